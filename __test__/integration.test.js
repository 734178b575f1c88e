const { config, manual, controlled, tick, START } = require('./support')
const { expectError, thrown } = require('./helpers')
const { nextRuns: nextRunsOf } = require('..')

const iso = (d) => d.toISOString()
let current
afterEach(async () => {
  if (current) await current.stop({ graceMs: 0 })
  current = undefined
})
async function setup(executor, options) {
  const ctx = await manual(executor, options)
  current = ctx.integration
  return ctx
}

describe('firing on the schedule', () => {
  test('fires each occurrence on time with the executor request the contract names', async () => {
    const requests = []
    const { integration } = await setup(async (r) => {
      requests.push(r)
      return { done: r.attempt }
    })
    await integration.createScheduledWorkflow(config('a', '*/5 * * * *', { executionConfig: { variables: { x: 1 }, environment: 'test' } }))
    await integration.advanceTime(15 * 60_000)
    expect(requests.map((r) => iso(r.scheduledTime))).toEqual([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:15:00.000Z',
    ])
    const [first] = requests
    expect(first).toMatchObject({
      scheduleId: 's-a',
      workflowId: 'wf-a',
      scheduledWorkflowId: 'a',
      attempt: 1,
      triggerType: 'scheduled',
      variables: { x: 1 },
      environment: 'test',
      metadata: { owner: 'tests' },
    })
    expect(iso(first.startedAt)).toBe('2026-01-01T00:05:00.000Z')
    expect(first.signal.aborted).toBe(false)
    expect((await integration.listExecutions({ sortOrder: 'asc' })).map((e) => [e.status, e.result.output])).toEqual([
      ['completed', { done: 1 }],
      ['completed', { done: 1 }],
      ['completed', { done: 1 }],
    ])
    expect(iso(integration.now())).toBe('2026-01-01T00:15:00.000Z')
  })

  test('time zones and DST: 02:30 New York shifts to 03:00 on 2026-03-08, or is skipped', async () => {
    const seen = []
    const { integration, events } = await setup((r) => seen.push([r.scheduleId, iso(r.scheduledTime)]), {
      startTime: new Date('2026-03-07T12:00:00Z'),
    })
    await integration.createScheduledWorkflow(config('shift', '30 2 * * *', { scheduleConfig: { timezone: 'America/New_York' } }))
    await integration.createScheduledWorkflow(config('skip', '30 2 * * *', { scheduleConfig: { timezone: 'America/New_York', dstGap: 'skip' } }))
    await integration.advanceTime(2 * 86_400_000)
    expect(seen.sort()).toEqual([
      ['s-shift', '2026-03-08T07:00:00.000Z'],
      ['s-shift', '2026-03-09T06:30:00.000Z'],
      ['s-skip', '2026-03-09T06:30:00.000Z'],
    ])
    // The fire 'skip' drops is recorded as skipped, reason 'dst'.
    const dst = events.filter((e) => e.type === 'schedule.skipped')
    expect(dst.map((e) => [e.scheduleId, e.reason, iso(e.scheduledTime)])).toEqual([['s-skip', 'dst', '2026-03-08T07:00:00.000Z']])
  })

  test('startDate, endDate and maxExecutions bound the fires; the end emits schedule.expired', async () => {
    const { integration, events } = await setup(() => 'ok')
    await integration.createScheduledWorkflow(config('max', '* * * * *', { scheduleConfig: { maxExecutions: 2 } }))
    await integration.createScheduledWorkflow(
      config('window', '* * * * *', {
        scheduleConfig: { startDate: new Date('2026-01-01T00:02:30Z'), endDate: new Date('2026-01-01T00:04:00Z') },
      }),
    )
    expect(integration.getNextExecutionTimes('s-window', 5).map(iso)).toEqual([
      '2026-01-01T00:03:00.000Z',
      '2026-01-01T00:04:00.000Z',
    ])
    await integration.advanceTime(10 * 60_000)
    const times = async (id) => (await integration.listExecutions({ scheduleId: id, sortOrder: 'asc' })).map((e) => iso(e.scheduledTime))
    expect(await times('s-max')).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z'])
    expect(await times('s-window')).toEqual(['2026-01-01T00:03:00.000Z', '2026-01-01T00:04:00.000Z'])
    expect(events.filter((e) => e.type === 'schedule.expired').map((e) => e.scheduleId).sort()).toEqual(['s-max', 's-window'])
    expect((await integration.getScheduleStatus('s-max')).status).toBe('expired')
    expect(integration.getNextExecutionTimes('s-max')).toEqual([])
  })

  test('jitterMs delays each fire by at most jitterMs, keeping its scheduled time', async () => {
    const starts = []
    const { integration } = await setup((r) => starts.push(r.startedAt.getTime() - r.scheduledTime.getTime()))
    await integration.createScheduledWorkflow(config('j', '* * * * *', { scheduleConfig: { jitterMs: 20_000 } }))
    await integration.advanceTime(30 * 60_000 + 20_000)
    expect(starts).toHaveLength(30)
    expect(Math.min(...starts)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...starts)).toBeLessThanOrEqual(20_000)
    expect(new Set(starts).size).toBeGreaterThan(5)
  })

  test('a yearly schedule waits longer than 2^31 ms and fires on its day', async () => {
    const seen = []
    const { integration } = await setup((r) => seen.push(iso(r.scheduledTime)))
    await integration.createScheduledWorkflow(config('y', '0 0 1 1 *'))
    await integration.advanceTime(366 * 86_400_000)
    expect(seen).toEqual(['2027-01-01T00:00:00.000Z'])
  })
})

describe('pause, resume, enable, disable', () => {
  test('take effect at once; a manual trigger works while paused; disabled fires are recorded as skipped', async () => {
    const seen = []
    const { integration, events } = await setup((r) => seen.push(`${r.triggerType}@${iso(r.scheduledTime)}`))
    await integration.createScheduledWorkflow(config('p', '* * * * *'))
    await integration.pauseSchedule('s-p', 'maintenance')
    await integration.advanceTime(2 * 60_000)
    expect(seen).toEqual([])
    expect(await integration.getScheduleStatus('s-p')).toMatchObject({ status: 'paused', pauseNote: 'maintenance' })
    await integration.triggerScheduledExecution('s-p', { by: 'ops' })
    expect(seen).toEqual(['manual@2026-01-01T00:02:00.000Z'])
    await tick()
    await integration.resumeSchedule('s-p')
    await integration.advanceTime(60_000)
    expect(seen).toEqual(['manual@2026-01-01T00:02:00.000Z', 'scheduled@2026-01-01T00:03:00.000Z'])
    await integration.disableSchedule('s-p')
    await integration.advanceTime(2 * 60_000)
    expect(seen).toHaveLength(2)
    const skipped = events.filter((e) => e.type === 'schedule.skipped')
    expect(skipped.map((e) => [e.reason, iso(e.scheduledTime)])).toEqual([
      ['disabled', '2026-01-01T00:04:00.000Z'],
      ['disabled', '2026-01-01T00:05:00.000Z'],
    ])
    expect((await integration.getScheduleStatus('s-p')).status).toBe('disabled')
    await integration.enableSchedule('s-p')
    await integration.advanceTime(60_000)
    expect(seen).toEqual(expect.arrayContaining(['scheduled@2026-01-01T00:06:00.000Z']))
    const kinds = events.map((e) => e.type)
    expect(kinds).toEqual(expect.arrayContaining(['schedule.paused', 'schedule.resumed', 'schedule.updated']))
  })
})

describe('overlap policies (a run takes longer than the interval)', () => {
  async function overlap(policy) {
    const { runs, executor } = controlled()
    const ctx = await setup(executor)
    const extra = policy ? { scheduleConfig: { overlapPolicy: policy } } : {}
    await ctx.integration.createScheduledWorkflow(config('o', '* * * * *', extra))
    await ctx.integration.advanceTime(3 * 60_000)
    return { ...ctx, runs }
  }
  const skippedOverlap = (events) => events.filter((e) => e.type === 'schedule.skipped' && e.reason === 'overlap').map((e) => iso(e.scheduledTime))

  test('skip (the default) drops fires while one runs', async () => {
    const { runs, events } = await overlap(undefined)
    expect(runs).toHaveLength(1)
    expect(skippedOverlap(events)).toEqual(['2026-01-01T00:02:00.000Z', '2026-01-01T00:03:00.000Z'])
  })

  test('allow runs them side by side', async () => {
    const { runs } = await overlap('allow')
    expect(runs.map((r) => iso(r.request.scheduledTime))).toEqual([
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:03:00.000Z',
    ])
  })

  test('bufferOne keeps one fire waiting and skips the rest', async () => {
    const { runs, events } = await overlap('bufferOne')
    expect(runs).toHaveLength(1)
    expect(skippedOverlap(events)).toEqual(['2026-01-01T00:03:00.000Z'])
    runs[0].resolve('done')
    await tick()
    expect(runs.map((r) => iso(r.request.scheduledTime))).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:02:00.000Z'])
  })

  test('bufferAll runs every fire, one after another', async () => {
    const { runs } = await overlap('bufferAll')
    expect(runs).toHaveLength(1)
    runs[0].resolve()
    await tick()
    runs[1].resolve()
    await tick()
    expect(runs.map((r) => iso(r.request.scheduledTime))).toEqual([
      '2026-01-01T00:01:00.000Z',
      '2026-01-01T00:02:00.000Z',
      '2026-01-01T00:03:00.000Z',
    ])
  })

  test('cancelOther aborts the running one and starts the new fire', async () => {
    const { runs, integration, events } = await overlap('cancelOther')
    expect(runs).toHaveLength(3)
    expect(runs[0].request.signal.aborted).toBe(true)
    expect(runs[0].request.signal.reason.reason).toBe('cancelOther')
    expect(runs[1].request.signal.aborted).toBe(true)
    expect(runs[2].request.signal.aborted).toBe(false)
    expect(events.filter((e) => e.type === 'workflow.cancelled').map((e) => e.reason)).toEqual(['cancelOther', 'cancelOther'])
    expect((await integration.getExecution(runs[0].request.executionId)).status).toBe('cancelled')
    // A late answer from the cancelled run changes nothing.
    runs[0].resolve('late')
    await tick()
    expect((await integration.getExecution(runs[0].request.executionId)).status).toBe('cancelled')
  })
})

describe('late fires follow the catch-up policy', () => {
  async function sleepThrough(catchup) {
    const seen = []
    const ctx = await setup((r) => seen.push([r.triggerType, iso(r.scheduledTime)]))
    const extra = { scheduleConfig: { overlapPolicy: 'allow', ...(catchup ? { catchup } : {}) } }
    await ctx.integration.createScheduledWorkflow(config('c', '*/10 * * * *', extra))
    await ctx.integration.advanceTime(45 * 60_000, { jump: true })
    const misfires = ctx.events.filter((e) => e.reason === 'misfire').map((e) => iso(e.scheduledTime))
    return { seen, misfires }
  }

  test("once (the default) runs the latest missed fire and reports the others as 'misfire'", async () => {
    const { seen, misfires } = await sleepThrough(undefined)
    expect(seen).toEqual([['catchup', '2026-01-01T00:40:00.000Z']])
    expect(misfires).toEqual(['2026-01-01T00:10:00.000Z', '2026-01-01T00:20:00.000Z', '2026-01-01T00:30:00.000Z'])
  })

  test('skip runs none of them', async () => {
    const { seen, misfires } = await sleepThrough({ policy: 'skip' })
    expect(seen).toEqual([])
    expect(misfires).toHaveLength(4)
  })

  test('all runs each within windowMs, capped by maxRuns', async () => {
    const all = await sleepThrough({ policy: 'all' })
    expect(all.seen.map((s) => s[1])).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:20:00.000Z',
      '2026-01-01T00:30:00.000Z',
      '2026-01-01T00:40:00.000Z',
    ])
    await current.stop()
    const capped = await sleepThrough({ policy: 'all', windowMs: 30 * 60_000, maxRuns: 1 })
    expect(capped.seen).toEqual([['catchup', '2026-01-01T00:40:00.000Z']])
    expect(capped.misfires).toEqual(['2026-01-01T00:10:00.000Z', '2026-01-01T00:20:00.000Z', '2026-01-01T00:30:00.000Z'])
  })

  test("all under the default overlap policy runs them one after another, each a 'catchup' run", async () => {
    const { runs, executor } = controlled()
    const { integration, events } = await setup(executor)
    await integration.createScheduledWorkflow(config('a', '0 * * * *', { scheduleConfig: { catchup: { policy: 'all', maxRuns: 3 } } }))
    await integration.advanceTime(10 * 3_600_000 + 30_000, { jump: true })
    for (let i = 0; i < 3; i++) {
      expect(runs).toHaveLength(i + 1)
      runs[i].resolve()
      await tick()
    }
    expect(runs.map((r) => [r.request.triggerType, iso(r.request.scheduledTime)])).toEqual([
      ['catchup', '2026-01-01T08:00:00.000Z'],
      ['catchup', '2026-01-01T09:00:00.000Z'],
      ['catchup', '2026-01-01T10:00:00.000Z'],
    ])
    expect(events.filter((e) => e.reason === 'overlap')).toEqual([])
  })
})

describe('backfill and concurrency', () => {
  test('backfill runs one execution per occurrence in [from, to)', async () => {
    const seen = []
    const { integration } = await setup((r) => seen.push([r.triggerType, iso(r.scheduledTime)]))
    await integration.createScheduledWorkflow(config('b', '0 6 * * *', { scheduleConfig: { timezone: 'Europe/Berlin' } }))
    const ids = await integration.backfill('s-b', new Date('2025-12-29T05:00:00Z'), new Date('2025-12-31T05:00:00Z'))
    expect(ids).toHaveLength(2)
    await tick()
    expect(seen).toEqual([
      ['backfill', '2025-12-29T05:00:00.000Z'],
      ['backfill', '2025-12-30T05:00:00.000Z'],
    ])
    const backwards = new Date('2025-12-01')
    await expect(integration.backfill('s-b', new Date('2025-12-02'), backwards)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'to', value: backwards })
  })

  test('backfill refuses a range reaching past now(): those occurrences are the schedule\'s own to fire', async () => {
    const seen = []
    const { integration } = await setup((r) => seen.push([r.triggerType, iso(r.scheduledTime)]))
    await integration.createScheduledWorkflow(config('h', '0 * * * *'))
    await integration.advanceTime(12 * 3_600_000 + 60_000) // 12:01
    seen.length = 0
    const future = new Date('2026-01-01T15:00:00Z')
    await expect(integration.backfill('s-h', new Date('2026-01-01T10:00:00Z'), future)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'to', value: future })
    expect(seen).toEqual([])
    // 13:00 and 14:00 then run once each, as scheduled.
    await integration.advanceTime(2 * 3_600_000)
    expect(seen).toEqual([
      ['scheduled', '2026-01-01T13:00:00.000Z'],
      ['scheduled', '2026-01-01T14:00:00.000Z'],
    ])
  })

  test('maxConcurrency bounds executions in flight; queued work leaves by priority, then due time', async () => {
    const { runs, executor } = controlled()
    const { integration } = await setup(executor, { maxConcurrency: 2 })
    await integration.createScheduledWorkflow(config('low', '0 0 1 1 *', { executionConfig: { priority: 'low' } }))
    await integration.createScheduledWorkflow(config('high', '0 0 1 1 *', { executionConfig: { priority: 'urgent' } }))
    for (let i = 0; i < 3; i++) await integration.triggerScheduledExecution('s-low')
    await integration.triggerScheduledExecution('s-high')
    expect(runs).toHaveLength(2)
    expect(await integration.getSystemMetrics()).toMatchObject({ inFlight: 2, queueDepth: 2 })
    runs[0].resolve()
    await tick()
    expect(runs.map((r) => r.request.scheduleId)).toEqual(['s-low', 's-low', 's-high'])
    runs[1].resolve()
    await tick()
    expect(runs.map((r) => r.request.scheduleId)).toEqual(['s-low', 's-low', 's-high', 's-low'])
  })
})

describe('executors that misbehave end in a recorded state', () => {
  test.each([
    ['a plain value', () => 42, 'completed', { result: { success: true, output: 42 } }],
    ['undefined', () => undefined, 'completed', { result: { success: true } }],
    ['a synchronous throw', () => { throw Object.assign(new Error('sync boom'), { code: 'SYNC' }) }, 'failed', { error: { code: 'SYNC', message: 'sync boom' } }],
    ['a rejection without code', () => Promise.reject(new Error('async boom')), 'failed', { error: { code: 'EXECUTION_FAILED', message: 'async boom' } }],
    ['a thrown string', () => { throw 'just a string' }, 'failed', { error: { code: 'EXECUTION_FAILED', message: 'just a string' } }],
    ['a circular result', () => { const o = {}; o.self = o; return o }, 'failed', { error: { code: 'RESULT_NOT_SERIALIZABLE' } }],
    ['a BigInt result', () => 10n, 'failed', { error: { code: 'RESULT_NOT_SERIALIZABLE' } }],
    ['a Map result (JSON would store {})', () => new Map([['k', 1]]), 'failed', { error: { code: 'RESULT_NOT_SERIALIZABLE', message: expect.stringMatching(/result\.?: a Map is not JSON/) } }],
    ['NaN inside a result, stored as JSON.stringify does', () => ({ ratio: NaN }), 'completed', { result: { success: true, output: { ratio: null } } }],
    ['a thrown object that is not an Error', () => { throw { code: 42, reason: 'quota' } }, 'failed', { error: { code: '42', message: '{"code":42,"reason":"quota"}' } }],
  ])('%s', async (_name, executor, status, expected) => {
    const { integration } = await setup(executor)
    // Attempts to spare: a result that cannot be stored is not retried (the work succeeded).
    const retries = { enabled: true, maxRetries: 2, retryDelay: 1000, backoffStrategy: 'fixed', retryableErrors: [] }
    await integration.createScheduledWorkflow(config('x', '0 0 1 1 *', { scheduleConfig: { retryPolicy: retries } }))
    const id = await integration.triggerScheduledExecution('s-x')
    await tick()
    await integration.advanceTime(5_000)
    const record = await integration.getExecution(id)
    expect(record.status).toBe(status)
    expect(record).toMatchObject(expected)
    if (expected.error && expected.error.code === 'RESULT_NOT_SERIALIZABLE') expect(record.attempts).toHaveLength(1)
  })
})

describe('timeouts, retries, cancel', () => {
  test('a timeout aborts the signal, emits workflow.timeout and fails with TIMEOUT', async () => {
    const { runs, executor } = controlled()
    const { integration, events } = await setup(executor)
    await integration.createScheduledWorkflow(config('t', '0 0 1 1 *', { executionConfig: { timeout: 5000 } }))
    const id = await integration.triggerScheduledExecution('s-t')
    await integration.advanceTime(5000)
    expect(runs[0].request.signal.aborted).toBe(true)
    expect(runs[0].request.signal.reason.code).toBe('TIMEOUT')
    const timeout = events.find((e) => e.type === 'workflow.timeout')
    expect(timeout).toMatchObject({ executionId: id, attempt: 1, timeoutMs: 5000 })
    const failed = events.find((e) => e.type === 'workflow.failed')
    expect(failed).toMatchObject({ executionId: id, status: 'timeout', error: { code: 'TIMEOUT', retryable: true } })
    expect((await integration.getExecution(id)).status).toBe('timeout')
  })

  test('on the system clock a 500 ms timeout is reported as 500 ms and never ends an attempt early', async () => {
    const { WorkflowScheduleIntegration } = require('..')
    const integration = new WorkflowScheduleIntegration({
      executor: (r) => new Promise((resolve) => r.signal.addEventListener('abort', () => resolve('aborted'))),
    })
    current = integration
    const events = []
    integration.on('event', (e) => events.push(e))
    await integration.start()
    await integration.createScheduledWorkflow(config('t', '0 0 1 1 *', { executionConfig: { timeout: 500 } }))
    for (let i = 0; i < 5; i++) {
      const id = await integration.triggerScheduledExecution('s-t')
      const failed = new Promise((resolve) => integration.on('workflow.failed', (e) => e.executionId === id && resolve(e)))
      const event = await failed
      expect(event.error).toMatchObject({ code: 'TIMEOUT', message: 'attempt 1 timed out after 500 ms' })
      expect(events.find((e) => e.type === 'workflow.timeout' && e.executionId === id).timeoutMs).toBe(500)
      const [attempt] = (await integration.getExecution(id)).attempts
      expect(attempt.endTime.getTime() - attempt.startTime.getTime()).toBeGreaterThanOrEqual(500)
    }
  })

  test('exponential backoff up to maxDelay, then failure; events in order', async () => {
    const { integration, events } = await setup((r) => {
      throw Object.assign(new Error(`try ${r.attempt}`), { code: 'FLAKY' })
    })
    await integration.createScheduledWorkflow(
      config('r', '0 0 1 1 *', {
        executionConfig: { retryPolicy: { maxAttempts: 4, backoffStrategy: 'exponential', initialDelay: 1000, maxDelay: 3000, multiplier: 2 } },
      }),
    )
    const id = await integration.triggerScheduledExecution('s-r')
    await tick()
    await integration.advanceTime(10_000)
    const mine = events.filter((e) => e.executionId === id)
    expect(mine.map((e) => e.type)).toEqual([
      'schedule.triggered',
      'workflow.started',
      'workflow.retrying',
      'workflow.started',
      'workflow.retrying',
      'workflow.started',
      'workflow.retrying',
      'workflow.started',
      'workflow.failed',
    ])
    expect(mine.filter((e) => e.type === 'workflow.retrying').map((e) => [e.attempt, e.delayMs])).toEqual([
      [2, 1000],
      [3, 2000],
      [4, 3000],
    ])
    const retrying = mine.find((e) => e.type === 'workflow.retrying')
    expect(iso(retrying.nextAttemptAt)).toBe('2026-01-01T00:00:01.000Z')
    expect(retrying.error).toMatchObject({ code: 'FLAKY', message: 'try 1', retryable: true })
    const record = await integration.getExecution(id)
    expect(record.attempts.map((a) => a.error.message)).toEqual(['try 1', 'try 2', 'try 3', 'try 4'])
    expect(record).toMatchObject({ status: 'failed', retryCount: 3, maxRetries: 3 })
  })

  test("retryableErrors limits retries; scheduleConfig.retryPolicy applies when executionConfig has none", async () => {
    let code = 'NETWORK_ERROR'
    const { integration, events } = await setup(() => {
      throw Object.assign(new Error('x'), { code })
    })
    await integration.createScheduledWorkflow(
      config('s', '0 0 1 1 *', {
        scheduleConfig: { retryPolicy: { enabled: true, maxRetries: 2, retryDelay: 500, backoffStrategy: 'linear', retryableErrors: ['NETWORK_ERROR'] } },
      }),
    )
    const first = await integration.triggerScheduledExecution('s-s')
    await tick()
    await integration.advanceTime(2000)
    expect(events.filter((e) => e.type === 'workflow.retrying' && e.executionId === first).map((e) => e.delayMs)).toEqual([500, 1000])
    code = 'VALIDATION'
    const second = await integration.triggerScheduledExecution('s-s')
    await tick()
    expect(await integration.getExecution(second)).toMatchObject({ status: 'failed', error: { code: 'VALIDATION', retryable: false } })
  })

  test('cancel aborts a running execution; cancelling a finished one is an error; retryExecution starts afresh', async () => {
    const { runs, executor } = controlled()
    const { integration, events } = await setup(executor)
    await integration.createScheduledWorkflow(config('k', '0 0 1 1 *'))
    const id = await integration.triggerScheduledExecution('s-k', { reason: 'test' })
    await integration.cancelScheduledExecution(id)
    expect(runs[0].request.signal.aborted).toBe(true)
    expect(events.find((e) => e.type === 'workflow.cancelled')).toMatchObject({ executionId: id, reason: 'cancelled' })
    await expect(integration.cancelScheduledExecution(id)).rejects.toMatchObject({ code: 'ERR_EXECUTION_FINISHED' })
    await expect(integration.cancelScheduledExecution('nope')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    const again = await integration.retryExecution(id)
    expect(await integration.getExecution(again)).toMatchObject({ triggerType: 'retry', retryOf: id, status: 'running' })
    expect(runs[1].request.triggerType).toBe('retry')
  })
})

describe('records, history, status and metrics', () => {
  test('listExecutions filters, sorts and pages; history counts and averages', async () => {
    let n = 0
    const { runs, executor } = controlled()
    const { integration } = await setup(executor)
    await integration.createScheduledWorkflow(config('h', '0 0 1 1 *'))
    await integration.createScheduledWorkflow(config('other', '0 0 1 1 *'))
    for (let i = 0; i < 4; i++) {
      await integration.triggerScheduledExecution('s-h')
      await integration.advanceTime(100 * (i + 1))
      if (i === 3) runs[n++].reject(Object.assign(new Error('no'), { code: 'NO' }))
      else runs[n++].resolve(i)
      await tick()
    }
    await integration.triggerScheduledExecution('s-other')
    expect(await integration.listExecutions({ scheduleId: 's-h' })).toHaveLength(4)
    expect((await integration.listExecutions({ status: ['failed'] })).map((e) => e.error.code)).toEqual(['NO'])
    expect((await integration.listExecutions({ status: ['running'] })).map((e) => e.scheduleId)).toEqual(['s-other'])
    const page = await integration.listExecutions({ scheduleId: 's-h', sortBy: 'duration', sortOrder: 'asc', limit: 2, offset: 1 })
    expect(page.map((e) => e.duration)).toEqual([200, 300])
    const history = await integration.getExecutionHistory('s-h')
    // The failed run's 400 ms counts: an average of successes alone would hide it.
    expect(history).toMatchObject({ totalCount: 4, successCount: 3, failureCount: 1, averageDuration: 250 })
    expect(history.trends.executionCount).toEqual([4])
    expect(history.trends.timestamps.map(iso)).toEqual(['2026-01-01T00:00:00.000Z'])
    const metrics = await integration.getScheduleMetrics('s-h')
    expect(metrics).toMatchObject({ totalExecutions: 4, successfulExecutions: 3, failedExecutions: 1, successRate: 0.75, averageExecutionTime: 250, p95ExecutionTime: 400 })
    expect(await integration.getScheduleHealth('s-h')).toMatchObject({ status: 'warning', successRate: 0.75 })
    const status = await integration.getScheduleStatus('s-h')
    expect(status).toMatchObject({ id: 's-h', status: 'active', enabled: true, executionCount: 4, lastExecutionStatus: 'failed', lastError: 'no' })
    expect(iso(status.nextExecution)).toBe('2027-01-01T00:00:00.000Z')
    const wf = await integration.getScheduleWorkflowStatus('s-h')
    expect(wf).toMatchObject({ scheduleId: 's-h', workflowId: 'wf-h', workflowStatus: { id: 'wf-h', status: 'active', executionCount: 4 } })
    expect(wf.lastExecution.status).toBe('failed')
    expect(await integration.getIntegrationMetrics('s-h')).toMatchObject({ totalIntegrations: 4, successfulExecutions: 3, failedExecutions: 1 })
    const system = await integration.getSystemMetrics()
    expect(system).toMatchObject({ totalSchedules: 2, activeSchedules: 2, totalExecutions: 5, successfulExecutions: 3, failedExecutions: 1, inFlight: 1 })
    expect(system.systemLoad.memory).toBeGreaterThan(0)
    expect(integration.getPerformanceMetrics()).toMatchObject({ schedules: 2, inFlight: 1 })
  })

  test('trigger latency: scheduled instant to executor call', async () => {
    const { integration } = await setup(() => 'ok')
    await integration.createScheduledWorkflow(config('l', '* * * * *'))
    await integration.advanceTime(3 * 60_000)
    expect((await integration.getSystemMetrics()).triggerLatency).toEqual({ p50: 0, p99: 0, samples: 3 })
  })

  test('configs round-trip; update merges scheduleConfig; delete removes', async () => {
    const { integration, events } = await setup(() => 'ok')
    const given = config('u', '0 9 * * *', { scheduleConfig: { startDate: new Date('2026-02-01T00:00:00Z') } })
    expect(await integration.createScheduledWorkflow(given)).toBe('u')
    // As given, with the fields production-ccs's type requires filled in with what the engine uses.
    expect(integration.getScheduledWorkflow('u')).toMatchObject(given)
    expect(integration.getScheduledWorkflow('u').scheduleConfig).toMatchObject({ id: 's-u', workflowId: 'wf-u', name: 'workflow u', timezone: 'UTC', createdBy: 'tickflow', retryPolicy: { enabled: true, maxRetries: 0, retryDelay: 1000, backoffStrategy: 'fixed', retryableErrors: [] }, metadata: { tags: [], priority: 2 } })
    expect(integration.getScheduledWorkflows().map((c) => c.id)).toEqual(['u'])
    await integration.updateScheduledWorkflow('u', { scheduleConfig: { cronExpression: '0 10 * * *' }, name: 'renamed' })
    const updated = integration.getScheduledWorkflow('u')
    expect(updated.name).toBe('renamed')
    expect(updated.scheduleConfig).toMatchObject({ cronExpression: '0 10 * * *', timezone: 'UTC' })
    expect(iso(updated.scheduleConfig.startDate)).toBe('2026-02-01T00:00:00.000Z')
    expect(integration.getNextExecutionTimes('s-u', 1).map(iso)).toEqual(['2026-02-01T10:00:00.000Z'])
    await integration.deleteScheduledWorkflow('u')
    expect(integration.getScheduledWorkflow('u')).toBeNull()
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['schedule.created', 'schedule.updated', 'schedule.deleted']))
    const generated = await integration.createScheduledWorkflow({ id: 'g', workflowId: 'w', scheduleConfig: { cronExpression: '@daily' } })
    // One id for one job: a missing scheduleId is the config's id.
    expect(integration.getScheduledWorkflow(generated).scheduleId).toBe('g')
  })
})

describe('lifecycle', () => {
  test('states, start after stop, stop twice, wrong-state calls reject with a code', async () => {
    const { integration, types } = await setup(() => 'ok')
    expect(integration.getState()).toBe('running')
    await expect(integration.start()).resolves.toBeUndefined() // already running: nothing to do
    await integration.initialize() // already open: nothing to do
    await integration.createScheduledWorkflow(config('l', '* * * * *'))
    await integration.stop()
    await integration.stop()
    expect(integration.getState()).toBe('stopped')
    await expect(integration.triggerScheduledExecution('s-l')).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' })
    await integration.start()
    expect(integration.getState()).toBe('running')
    expect(types().filter((t) => t.startsWith('integration.'))).toEqual(['integration.started', 'integration.stopped', 'integration.started'])
  })

  test('stop({ graceMs }) lets running work finish, then aborts what remains', async () => {
    const { runs, executor } = controlled()
    const { integration } = await setup(executor, { clock: 'manual' })
    await integration.createScheduledWorkflow(config('g', '0 0 1 1 *'))
    const quick = await integration.triggerScheduledExecution('s-g')
    const slow = await integration.triggerScheduledExecution('s-g')
    setTimeout(() => runs[0].resolve('in time'), 20)
    const started = Date.now()
    await integration.stop({ graceMs: 200 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(150)
    expect((await integration.getExecution(quick)).status).toBe('completed')
    // Aborted, and left to run again at the next start (not cancelled: the run is not over).
    expect(await integration.getExecution(slow)).toMatchObject({ status: 'queued', attempts: [{ attempt: 1, counted: false, error: { code: 'INTERRUPTED' } }] })
    expect(runs[1].request.signal.aborted).toBe(true)
    await integration.start()
    while (runs.length < 3) await tick()
    expect(runs[2].request).toMatchObject({ executionId: slow, attempt: 2, resumed: true })
    runs[2].resolve('resumed')
    await integration.stop({ graceMs: 1000 })
    expect(await integration.getExecution(slow)).toMatchObject({ status: 'completed', result: { output: 'resumed' } })
  })
})

describe('listeners', () => {
  test('a throwing listener harms neither the integration nor other listeners', async () => {
    const { integration } = await setup(() => 'ok')
    const seen = []
    const errors = []
    integration.on('schedule.triggered', () => {
      throw new Error('listener bug')
    })
    integration.on('schedule.triggered', (e) => seen.push(e.executionId))
    integration.on('integration.error', (e) => errors.push(e))
    await integration.createScheduledWorkflow(config('t', '* * * * *'))
    await integration.advanceTime(2 * 60_000)
    expect(seen).toHaveLength(2)
    expect(errors[0]).toMatchObject({ code: 'ERR_LISTENER' })
    expect(errors[0].message).toMatch(/listener bug/)
    expect(await integration.listExecutions({ status: ['completed'] })).toHaveLength(2)
  })

  test('an async listener that rejects is reported as integration.error, not an unhandled rejection', async () => {
    const { integration } = await setup(() => 'ok')
    const errors = []
    const unhandled = []
    const onUnhandled = (reason) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      integration.on('workflow.completed', async () => {
        throw new Error('async listener bug')
      })
      integration.on('integration.error', (e) => errors.push(e))
      await integration.createScheduledWorkflow(config('r', '* * * * *'))
      await integration.advanceTime(60_000)
      await tick()
      expect(errors).toMatchObject([{ code: 'ERR_LISTENER', message: expect.stringMatching(/'workflow.completed' listener rejected: async listener bug/) }])
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })

  test('once, off and listenerCount work as on an EventEmitter', async () => {
    const { integration } = await setup(() => 'ok')
    const once = jest.fn()
    const on = jest.fn()
    integration.once('schedule.triggered', once)
    integration.on('schedule.triggered', on)
    expect(integration.listenerCount('schedule.triggered')).toBe(2)
    await integration.createScheduledWorkflow(config('o', '* * * * *'))
    await integration.advanceTime(2 * 60_000)
    expect(once).toHaveBeenCalledTimes(1)
    expect(on).toHaveBeenCalledTimes(2)
    integration.off('schedule.triggered', on)
    expect(integration.listenerCount('schedule.triggered')).toBe(0)
  })
})

describe('bad input', () => {
  test('config errors name the field path and the value', async () => {
    const { integration } = await setup(() => 'ok')
    const bad = async (cfg) => {
      try {
        await integration.createScheduledWorkflow(cfg)
      } catch (err) {
        return err
      }
      throw new Error('expected a rejection')
    }
    let err = await bad(config('b', '* * * * 8'))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_CRON', path: 'config.scheduleConfig.cronExpression', value: '* * * * 8' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { retryPolicy: { enabled: true, maxRetries: -1, retryDelay: 1, backoffStrategy: 'fixed', retryableErrors: [] } } }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'config.scheduleConfig.retryPolicy.maxRetries', value: -1 })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { timezone: 'Moon/Base' } }))
    expect(err).toMatchObject({ code: 'ERR_UNKNOWN_TIMEZONE', path: 'config.scheduleConfig.timezone' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { overlapPolicy: 'sometimes' } }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_OPTION_VALUE', path: 'config.scheduleConfig.overlapPolicy' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { onInterrupt: 'retry' } }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_OPTION_VALUE', path: 'config.scheduleConfig.onInterrupt', value: 'retry' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { jitterMs: 1.5 } }))
    expect(err).toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'config.scheduleConfig.jitterMs' })
    err = await bad({ ...config('b', '* * * * *'), colour: 'red' })
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_UNKNOWN_OPTION', path: 'config.colour' })
    err = await bad({ id: 'b', workflowId: 'w' })
    expect(err).toMatchObject({ code: 'ERR_MISSING_FIELD', path: 'config.scheduleConfig' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { startDate: new Date('nope') } }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'config.scheduleConfig.startDate' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { startDate: '2026-01-01' } }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'config.scheduleConfig.startDate', value: '2026-01-01' })
    err = await bad(config('b', '* * * * *', { scheduleConfig: { startDate: 7 } }))
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'config.scheduleConfig.startDate' })
    err = await bad(null)
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'config' })
    await integration.createScheduledWorkflow(config('b', '* * * * *'))
    err = await bad(config('b', '* * * * *'))
    expect(err).toMatchObject({ code: 'ERR_DUPLICATE_ID' })
  })

  test('unknown ids and bad arguments', async () => {
    const { integration } = await setup(() => 'ok')
    await expect(integration.pauseSchedule('missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' })
    await expect(integration.pauseSchedule(42)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'scheduleId' })
    await expect(integration.getScheduleStatus('missing')).rejects.toThrow(/schedule 'missing' not found/)
    expect(await integration.getExecution('missing')).toBeNull()
    expect(() => integration.getNextExecutionTimes('missing')).toThrow(expect.objectContaining({ code: 'ERR_NOT_FOUND' }))
    await expect(integration.advanceTime(-1)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'ms', value: -1 })
    await expect(integration.advanceTime(1.5)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', value: 1.5 })
    await expect(integration.advanceTime(NaN)).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE' })
    await expect(integration.stop({ graceMs: -5 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'options.graceMs' })
    await expect(integration.stop('now')).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options' })
    expect(integration.getState()).toBe('running')
    await expect(integration.advanceTime('1')).rejects.toMatchObject({ name: 'TypeError' })
    await expect(integration.listExecutions({ limit: -1 })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'filters.limit' })
  })

  test('constructor options are checked', () => {
    const { WorkflowScheduleIntegration } = require('..')
    expectError(() => new WorkflowScheduleIntegration({ executor: 'run' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.executor' })
    expectError(() => new WorkflowScheduleIntegration({ executor() {}, maxConcurrency: 0 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'options.maxConcurrency' })
    expectError(() => new WorkflowScheduleIntegration({ executor() {}, maxConcurrency: -1 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'options.maxConcurrency' })
    expectError(() => new WorkflowScheduleIntegration({ executor() {}, clock: 'sundial' }), { name: 'RangeError', code: 'ERR_INVALID_OPTION_VALUE', path: 'options.clock' })
    expectError(() => new WorkflowScheduleIntegration({ executor() {}, defaultTimezone: 'Nowhere' }), { name: 'RangeError', code: 'ERR_UNKNOWN_TIMEZONE', path: 'options.defaultTimezone' })
    expectError(() => new WorkflowScheduleIntegration({ executor() {}, speed: 11 }), { name: 'TypeError', code: 'ERR_UNKNOWN_OPTION', path: 'options.speed' })
  })

  test('NaN, Infinity, invalid Dates, functions and Maps are refused, never read as "not set"', async () => {
    const { integration } = await setup(() => 'ok')
    const bad = (cfg) => integration.createScheduledWorkflow(cfg).then(() => null, (err) => err)
    expect(await bad(config('n', '* * * * *', { executionConfig: { timeout: NaN } }))).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'config.executionConfig.timeout', value: NaN })
    expect(await bad(config('n', '* * * * *', { scheduleConfig: { jitterMs: Infinity } }))).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'config.scheduleConfig.jitterMs', value: Infinity })
    const invalid = new Date('nope')
    expect(await bad(config('n', '* * * * *', { scheduleConfig: { endDate: invalid } }))).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'config.scheduleConfig.endDate', value: invalid })
    expect(await bad(config('n', '* * * * *', { metadata: { tags: [], onDone: () => 1 } }))).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'config.metadata.onDone' })
    expect(await bad(config('n', '* * * * *', { metadata: { tags: [], lookup: new Map() } }))).toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'config.metadata.lookup' })
    // An update with NaN does not remove a timeout that is set.
    await integration.createScheduledWorkflow(config('n', '* * * * *', { executionConfig: { timeout: 5_000 } }))
    await expect(integration.updateScheduledWorkflow('n', { executionConfig: { timeout: NaN } })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'updates.executionConfig.timeout' })
    expect(integration.getScheduledWorkflow('n').executionConfig.timeout).toBe(5_000)
    await expect(integration.listExecutions({ limit: NaN })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'filters.limit' })
    await expect(integration.triggerScheduledExecution('s-n', { ratio: -Infinity })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'context.ratio' })
  })

  test("an error's value is the caller's own, not the engine's reading of it", async () => {
    const { integration } = await setup(() => 'ok')
    const start = new Date('2027-01-01T00:00:00Z')
    const end = new Date('2026-06-01T00:00:00Z')
    const err = await integration.createScheduledWorkflow(config('v', '* * * * *', { scheduleConfig: { startDate: start, endDate: end } })).catch((e) => e)
    expect(err).toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'config.scheduleConfig.endDate' })
    expect(err.value).toBe(end)
    const short = await integration.schedule('v', '* * * * *', { startDate: start, endDate: end }, () => 'ok').catch((e) => e)
    expect(short).toMatchObject({ path: 'options.endDate' })
    expect(short.value).toBe(end)
    expect(() => integration.getNextExecutionTimes('v', NaN)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', path: 'count', value: NaN }))
    const { WorkflowScheduleIntegration } = require('..')
    expectError(() => new WorkflowScheduleIntegration({ maxConcurrency: 1e12 }), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'options.maxConcurrency' })
    expect(thrown(() => new WorkflowScheduleIntegration({ maxConcurrency: 1e12 })).value).toBe(1e12)
  })

  test("options objects refuse keys they do not know, as configs do", async () => {
    const { integration } = await setup(() => 'ok')
    await expect(integration.stop({ grace: 500 })).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_UNKNOWN_OPTION', path: 'options.grace' })
    await expect(integration.start({ undeclard: 'pause' })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'options.undeclard' })
    await expect(integration.advanceTime(10, { jmp: true })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'options.jmp' })
    await expect(integration.advanceTime(10, { jump: 1 })).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.jump' })
    await expect(integration.syncScheduledWorkflows([], { deleteMising: true })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'options.deleteMising' })
    await expect(integration.metrics({ perschedule: false })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'options.perschedule' })
    expect(integration.getState()).toBe('running')
    const { WorkflowScheduleIntegration } = require('..')
    expectError(() => new WorkflowScheduleIntegration({ nodeId: 5 }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.nodeId' })
    expectError(() => new WorkflowScheduleIntegration({ excutor: () => 'ok' }), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.excutor' })
  })

  test('the same mistake gets the same code wherever it is made', async () => {
    const { integration } = await setup(() => 'ok')
    const handler = () => 'ok'
    const invalid = new Date('nope')
    await expect(integration.schedule('d', '* * * * *', { startDate: invalid }, handler)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'options.startDate', value: invalid })
    await expect(integration.schedule('d', '* * * * *', { endDate: '2026-01-01T00:00:00' }, handler)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'options.endDate', value: '2026-01-01T00:00:00' })
    await expect(integration.schedule('d', '', handler)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_CRON', path: 'cron' })
    await expect(integration.createScheduledWorkflow(config('d', ''))).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_CRON' })
    await expect(integration.pauseSchedule('missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', path: 'scheduleId', value: 'missing' })
    await expect(integration.retryExecution('exec_missing')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND', path: 'executionId', value: 'exec_missing' })
    // An unknown option's value is left out: the mistake is the key, and the value may be a secret.
    const misplaced = await integration.createScheduledWorkflow({ ...config('d', '* * * * *'), password: 'hunter2' }).catch((e) => e)
    expect(misplaced).toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'config.password' })
    expect(JSON.stringify({ ...misplaced, message: misplaced.message })).not.toContain('hunter2')
    expectError(() => nextRunsOf('* * * * *', { counts: 3 }), { name: 'TypeError', code: 'ERR_UNKNOWN_OPTION', path: 'options.counts' })
    const { WorkflowScheduleIntegration } = require('..')
    const secret = thrown(() => new WorkflowScheduleIntegration({ connectionString: 'postgres://app:s3cret@db/x' }))
    expect(secret).toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'options.connectionString' })
    expect(`${secret.message} ${secret.value}`).not.toContain('s3cret')
  })

  test('advanceTime needs the manual clock', async () => {
    const { WorkflowScheduleIntegration } = require('..')
    const integration = new WorkflowScheduleIntegration({ executor: () => 'ok' })
    await expect(integration.advanceTime(1000)).rejects.toMatchObject({ code: 'ERR_NOT_MANUAL_CLOCK' })
  })
})

test('manual clock starts at startTime', async () => {
  const { integration } = await setup(() => 'ok')
  expect(iso(integration.now())).toBe(iso(START))
})

test('advanceTime with jump resolves once the runs it started and that settled at once are recorded', async () => {
  const { integration } = await setup(() => 'done', { startTime: new Date('2026-01-01T00:00:30Z') })
  await integration.createScheduledWorkflow(config('j', '0 * * * *', { scheduleConfig: { catchup: { policy: 'once' } } }))
  await integration.advanceTime(3 * 3_600_000, { jump: true })
  expect((await integration.listExecutions()).map((e) => e.status)).toEqual(['completed'])
})

test("an execution request's environment is the workflow's, else the integration's", async () => {
  const requests = []
  const { integration } = await setup((r) => requests.push(r), { environment: 'staging' })
  await integration.createScheduledWorkflow(config('e1', '0 0 1 1 *'))
  await integration.createScheduledWorkflow(config('e2', '0 0 1 1 *', { executionConfig: { environment: 'development' } }))
  await integration.triggerScheduledExecution('s-e1')
  await integration.triggerScheduledExecution('s-e2')
  await tick()
  expect(requests.map((r) => [r.scheduleId, r.environment])).toEqual([
    ['s-e1', 'staging'],
    ['s-e2', 'development'],
  ])
})
