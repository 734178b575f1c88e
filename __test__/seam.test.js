// The seam production-ccs switches through: events it reads with its own types, listeners
// after removeAllListeners(), ScheduleExecutionHandler, syncScheduleWorkflowState, and
// errors that are instances of this realm's Error classes (this file runs inside Jest's).
const { WorkflowScheduleIntegration, ScheduleExecutionHandler, CronEngine, nextRuns, validateCron } = require('..')
const { config, controlled, tick } = require('./support')

let current
afterEach(async () => {
  if (current) await current.stop({ graceMs: 0 })
  current = undefined
})

async function started(executor, options = {}) {
  current = new WorkflowScheduleIntegration({ executor, clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z'), ...options })
  await current.start()
  return current
}

describe('events as production-ccs reads them', () => {
  test('a fresh id per event; the config id in scheduledWorkflowId; execution metadata; no nulls', async () => {
    const it = await started((r) => (r.attempt === 1 && r.scheduleId === 's-bad' ? Promise.reject(Object.assign(new Error('no'), { code: 'NOPE' })) : undefined))
    const events = []
    it.on('event', (e) => events.push(e))
    await it.createScheduledWorkflow(config('ok', '0 0 1 1 *', { metadata: { owner: 'ops', source: 'mine' } }))
    await it.createScheduledWorkflow(config('bad', '0 0 1 1 *'))
    const okId = await it.triggerScheduledExecution('s-ok', { userId: 'u1' })
    await it.triggerScheduledExecution('s-bad')
    await tick()
    const ids = events.map((e) => e.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) expect(id).toMatch(/^evt_[0-9a-f]{8}_[0-9a-f]+$/)
    const triggered = events.find((e) => e.type === 'schedule.triggered' && e.executionId === okId)
    expect(triggered).toMatchObject({ scheduledWorkflowId: 'ok', scheduleId: 's-ok', workflowId: 'wf-ok', triggerTime: expect.any(Date) })
    // No environment configured: the integration's ('production' by default), as production-ccs sends.
    expect(triggered.context.environment).toBe('production')
    const completed = events.find((e) => e.type === 'workflow.completed')
    // The schedule's own metadata wins over the execution's where both name a key.
    expect(completed.metadata).toEqual({ source: 'mine', correlationId: okId, owner: 'ops' })
    const badCompleted = events.find((e) => e.type === 'workflow.failed')
    expect(badCompleted.metadata).toEqual({ source: 'manual', correlationId: badCompleted.executionId, owner: 'tests' })
    // undefined result and no error: the fields are absent, not null.
    expect('error' in completed).toBe(false)
    expect('result' in completed).toBe(false)
    const failed = events.find((e) => e.type === 'workflow.failed')
    expect(failed.error).toMatchObject({ code: 'NOPE', message: 'no' })
    expect('result' in failed).toBe(false)
  })

  test("the integration's environment option names the environment events carry", async () => {
    const it = await started(() => 'ok', { environment: 'staging' })
    const seen = []
    it.on('schedule.triggered', (e) => seen.push(e.context.environment))
    await it.createScheduledWorkflow(config('a', '0 0 1 1 *'))
    await it.createScheduledWorkflow(config('b', '0 0 1 1 *', { executionConfig: { environment: 'test' } }))
    await it.triggerScheduledExecution('s-a')
    await it.triggerScheduledExecution('s-b')
    expect(seen).toEqual(['staging', 'test'])
  })

  test('listeners added after removeAllListeners() hear every event', async () => {
    const it = await started(() => 'ok')
    it.on('workflow.completed', () => {})
    it.removeAllListeners()
    const seen = []
    it.on('workflow.completed', (e) => seen.push(e.executionId))
    const name = 'schedule.triggered' // a string variable, as production-ccs's code passes it
    it.on(name, (e) => seen.push(`triggered ${e.executionId}`))
    await it.createScheduledWorkflow(config('a', '0 0 1 1 *'))
    const id = await it.triggerScheduledExecution('s-a')
    await tick()
    expect(seen).toEqual([`triggered ${id}`, id])
    it.removeAllListeners('workflow.completed')
    const id2 = await it.triggerScheduledExecution('s-a')
    await tick()
    expect(seen).toEqual([`triggered ${id}`, id, `triggered ${id2}`])
  })
})

describe('ScheduleExecutionHandler', () => {
  test('handleScheduleTrigger runs the schedule and resolves with its WorkflowExecution once it has started', async () => {
    const { runs, executor } = controlled()
    const it = await started(executor)
    await it.createScheduledWorkflow(config('a', '0 0 1 1 *'))
    const handler = new ScheduleExecutionHandler(it)
    await handler.initialize()
    await expect(handler.handleScheduleTrigger({ scheduleId: 's-a', workflowId: 'wf-a', triggerTime: new Date(), triggerType: 'manual', context: { triggeredBy: 'manual', metadata: {} } }))
      .rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    await handler.start()
    expect(handler.getStatus().isRunning).toBe(true)
    const heard = []
    handler.on('workflow.completed', (e) => heard.push(e.type))
    const execution = await handler.handleScheduleTrigger({ scheduleId: 's-a', workflowId: 'wf-a', triggerTime: new Date(), triggerType: 'manual', context: { triggeredBy: 'manual', metadata: { source: 'api' } } })
    // Resolved while the executor still runs: production-ccs's WorkflowExecution, 'running'.
    expect(runs).toHaveLength(1)
    expect(execution).toMatchObject({ workflowId: 'wf-a', workflowVersion: '1.0.0', status: 'running', steps: [], triggeredBy: 'manual', triggerType: 'schedule' })
    expect(execution.context).toMatchObject({ environment: 'production', userId: 'system', correlationId: execution.id })
    expect((await it.getExecution(execution.id)).status).toBe('running')
    expect(heard).toEqual([])
    runs[0].resolve({ rows: 3 })
    while (heard.length === 0) await tick()
    expect(heard).toEqual(['workflow.completed'])
    expect(await it.getExecution(execution.id)).toMatchObject({ status: 'completed', result: { success: true, output: { rows: 3 } } })
    const wrong = await handler.handleScheduleTrigger({ scheduleId: 's-a', workflowId: 'other' }).catch((e) => e)
    expect(wrong).toBeInstanceOf(RangeError)
    expect(wrong.code).toBe('ERR_WORKFLOW_MISMATCH')
    await handler.stop()
    expect(handler.getStatus().isRunning).toBe(false)
  })
})

test('a ScheduleExecutionHandler made without an integration (null) fails with a code only when used', async () => {
  const handler = new ScheduleExecutionHandler(null)
  await handler.initialize()
  await handler.start()
  expect(handler.getStatus().isRunning).toBe(true)
  await expect(handler.handleScheduleTrigger({ scheduleId: 's-a' })).rejects.toMatchObject({ code: 'ERR_NO_INTEGRATION', path: 'integration' })
  expect(() => new ScheduleExecutionHandler(42)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }))
})

test('handleScheduleTrigger of a run queued behind maxConcurrency resolves once it starts', async () => {
  const { runs, executor } = controlled()
  const it = new WorkflowScheduleIntegration({ clock: 'manual', maxConcurrency: 1, executor })
  await it.start()
  try {
    await it.createScheduledWorkflow({ ...config('a', '0 0 1 1 *'), scheduleConfig: { cronExpression: '0 0 1 1 *', overlapPolicy: 'bufferAll' } })
    const handler = new ScheduleExecutionHandler(it)
    await handler.start()
    const first = await handler.handleScheduleTrigger({ scheduleId: 's-a' })
    let second = null
    const pending = handler.handleScheduleTrigger({ scheduleId: 's-a' }).then((e) => (second = e))
    await tick()
    expect(second).toBeNull()
    runs[0].resolve('done')
    await pending
    expect(second.status).toBe('running')
    expect(second.id).not.toBe(first.id)
    runs[1].resolve('done')
  } finally {
    await it.stop()
  }
})

test('syncScheduleWorkflowState checks the pair and resolves', async () => {
  const it = await started(() => 'ok')
  await it.createScheduledWorkflow(config('a', '0 0 1 1 *'))
  await expect(it.syncScheduleWorkflowState('s-a', 'wf-a')).resolves.toBeUndefined()
  await expect(it.syncScheduleWorkflowState('s-a', 'wf-b')).rejects.toMatchObject({ code: 'ERR_WORKFLOW_MISMATCH' })
  await expect(it.syncScheduleWorkflowState('nope', 'wf-a')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
})

describe("errors are instances of this realm's classes", () => {
  test('sync and async, native and JavaScript, TypeError and RangeError', async () => {
    const thrown = (fn) => {
      try {
        fn()
      } catch (e) {
        return e
      }
      throw new Error('no throw')
    }
    const range = thrown(() => nextRuns('* * * * *', { count: 0 }))
    expect(range).toBeInstanceOf(RangeError)
    expect(range).toBeInstanceOf(Error)
    expect(range).toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'options.count' })
    expect(thrown(() => nextRuns(5))).toBeInstanceOf(TypeError)
    await expect(new CronEngine().getNextExecutionTime('nope', 'UTC')).rejects.toBeInstanceOf(RangeError)
    expect(thrown(() => new WorkflowScheduleIntegration({ maxConcurrency: 0 }))).toBeInstanceOf(RangeError)
    expect(validateCron('nope').valid).toBe(false)
    const it = await started(() => 'ok')
    const notFound = await it.pauseSchedule('missing').catch((e) => e)
    expect(notFound).toBeInstanceOf(Error)
    expect(notFound.code).toBe('ERR_NOT_FOUND')
    await expect(it.listExecutions({ limit: -1 })).rejects.toBeInstanceOf(RangeError)
    await expect(it.createScheduledWorkflow({ id: 'x' })).rejects.toBeInstanceOf(TypeError)
  })
})
