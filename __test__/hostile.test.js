// Hostile input and a listener that hogs the JS thread: refused quickly with codes, or
// absorbed without losing a fire or an event.
const { WorkflowScheduleIntegration, SyncCronEngine } = require('..')
const { config, manual } = require('./support')
const { rejection } = require('./helpers')

describe('huge inputs are refused with a code, not chewed on', () => {
  let integration
  beforeEach(async () => {
    ;({ integration } = await manual(async () => 'ok'))
  })
  afterEach(() => integration.stop())

  test('a 1 MB pattern', async () => {
    const err = await rejection(integration.createScheduledWorkflow(config('p', '*'.repeat(1 << 20))))
    expect(err.code).toBe('ERR_INVALID_CRON')
    expect(err.message).toMatch(/at most 1024/)
  })

  test('a configuration over 1 MiB as JSON (documented cap)', async () => {
    const err = await rejection(integration.createScheduledWorkflow(config('m', '* * * * *', { metadata: { blob: 'x'.repeat(1 << 20) } })))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'config' })
    await integration.createScheduledWorkflow(config('ok', '* * * * *'))
    const grown = await rejection(integration.updateScheduledWorkflow('ok', { metadata: { blob: 'x'.repeat(1 << 20) } }))
    expect(grown.code).toBe('ERR_OUT_OF_RANGE')
    // The refused update changed nothing.
    expect(integration.getScheduledWorkflow('ok').metadata).toEqual({ owner: 'tests' })
  })

  test('metadata nested 5,000 levels deep', async () => {
    let deep = {}
    for (let i = 0; i < 5000; i++) deep = { d: deep }
    const err = await rejection(integration.createScheduledWorkflow(config('d', '* * * * *', { metadata: deep })))
    expect(err.code).toBe('ERR_INVALID_ARG_TYPE')
    expect(integration.getScheduledWorkflows()).toEqual([])
  })

  test('10,000-element arrays: accepted where a list makes sense, capped where it does not', async () => {
    const statuses = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? 'completed' : 'failed'))
    expect(await integration.listExecutions({ status: statuses })).toEqual([])
    const cron = new SyncCronEngine()
    const conflicts = cron.detectScheduleConflicts(Array.from({ length: 10_000 }, () => '0 0 1 1 *'), 'UTC', { horizonMs: 86_400_000 })
    expect(Array.isArray(conflicts)).toBe(true)
    let err
    try {
      cron.detectScheduleConflicts(Array.from({ length: 10_001 }, () => '* * * * *'), 'UTC')
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'expressions' })
  })
})

test('a listener that blocks the JS thread for 1.5 s loses no fire and no event', async () => {
  const seen = []
  const integration = new WorkflowScheduleIntegration({
    executor: (request) => {
      seen.push(request.scheduledTime.getTime())
      return 'ok'
    },
  })
  const triggered = []
  let completed = 0
  let blocked = false
  integration.on('schedule.triggered', (e) => {
    triggered.push(e.scheduledTime.getTime())
    if (!blocked) {
      blocked = true
      const until = Date.now() + 1500
      while (Date.now() < until) {} // a listener doing synchronous work it should not
    }
  })
  integration.on('workflow.completed', () => completed++)
  const errors = []
  integration.on('integration.error', (e) => errors.push(e))
  await integration.start()
  await integration.createScheduledWorkflow({ id: 'tick', workflowId: 'w', scheduleConfig: { cronExpression: '* * * * * *', overlapPolicy: 'allow' } })
  await new Promise((resolve) => setTimeout(resolve, 3600))
  await integration.stop()
  expect(errors).toEqual([])
  // Every second from the first fire on, in order, each once; every run completed.
  expect(triggered.length).toBeGreaterThanOrEqual(3)
  for (let i = 1; i < triggered.length; i++) expect(triggered[i] - triggered[i - 1]).toBe(1000)
  expect(seen).toEqual(triggered)
  expect(completed).toBe(triggered.length)
}, 15_000)

test('Dates anywhere in what crosses the boundary come back as Dates; other values as they were', async () => {
  const seen = []
  const { integration } = await manual(async (request) => {
    seen.push(request)
    // Only a toJSON method knows of this Date.
    if (request.context && request.context.hidden) return { viaToJson: { toJSON: () => ({ at: new Date(7) }) } }
    return { finishedAt: new Date('2026-01-01T00:00:05Z'), nested: [{ at: new Date(0) }], plain: { n: 1, s: 'x' }, viaToJson: { toJSON: () => ({ at: new Date(7) }) } }
  })
  try {
    await integration.createScheduledWorkflow(
      config('d', '0 0 1 1 *', {
        metadata: { owner: 'tests', since: new Date('2025-06-01T00:00:00Z'), tags: ['a', 1, null] },
        executionConfig: { variables: { window: { from: new Date(1000), to: new Date(2000) } } },
      }),
    )
    const stored = integration.getScheduledWorkflow('d')
    expect(stored.metadata.since).toEqual(new Date('2025-06-01T00:00:00Z'))
    expect(stored.metadata.tags).toEqual(['a', 1, null])
    const completed = new Promise((resolve) => integration.once('workflow.completed', resolve))
    await integration.triggerScheduledExecution('s-d', { requestedAt: new Date(42) })
    const done = await completed
    expect(seen[0].variables.window.to).toEqual(new Date(2000))
    expect(seen[0].metadata.since).toEqual(new Date('2025-06-01T00:00:00Z'))
    expect(done.result).toEqual({ finishedAt: new Date('2026-01-01T00:00:05Z'), nested: [{ at: new Date(0) }], plain: { n: 1, s: 'x' }, viaToJson: { at: new Date(7) } })
    const [execution] = await integration.listExecutions({ scheduleId: 's-d' })
    expect(execution.context.triggerData.requestedAt).toEqual(new Date(42))
    const hidden = new Promise((resolve) => integration.once('workflow.completed', resolve))
    await integration.triggerScheduledExecution('s-d', { hidden: true })
    expect((await hidden).result).toEqual({ viaToJson: { at: new Date(7) } })
  } finally {
    await integration.stop()
  }
})
