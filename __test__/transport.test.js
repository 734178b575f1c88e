'use strict'
// The compact transport between the engine and JavaScript (src/outbound.rs, lib/messages.js)
// loses, duplicates and reorders nothing: on the system clock, with the JavaScript thread
// blocked for seconds while the engine goes on firing, with schedules changed and deleted
// while their executions run, and with executors that succeed, fail and are retried.

const { WorkflowScheduleIntegration } = require('..')

const SCHEDULES = 20
const busy = (ms) => {
  const until = Date.now() + ms
  while (Date.now() < until) {} // a listener or request handler hogging the thread
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const eventNumber = (event) => parseInt(event.id.slice(event.id.lastIndexOf('_') + 1), 16)

let integration
afterEach(async () => {
  if (integration) await integration.stop({ graceMs: 0 })
  integration = undefined
})

test('every event arrives once, in order, and every answer reaches its own execution, across a blocked thread', async () => {
  const calls = []
  integration = new WorkflowScheduleIntegration({
    maxConcurrency: 1000,
    // Odd seconds of schedule s3 fail on their first attempt and are retried; every answer
    // names the attempt it answers, so a completion applied to another execution shows.
    executor: async (request) => {
      calls.push(`${request.executionId}#${request.attempt}`)
      await null
      const second = request.scheduledTime.getUTCSeconds()
      if (request.scheduleId === 's3' && second % 2 === 1 && request.attempt === 1) {
        const err = new Error('first attempt fails')
        err.code = 'FLAKY'
        throw err
      }
      return { answered: `${request.executionId}#${request.attempt}`, version: request.metadata.version }
    },
  })
  const events = []
  integration.on('event', (event) => events.push(event))
  await integration.start()
  for (let i = 0; i < SCHEDULES; i++) {
    await integration.createScheduledWorkflow({
      id: `s${i}`,
      workflowId: 'w',
      metadata: { version: 1 },
      scheduleConfig: { cronExpression: '* * * * * *', overlapPolicy: 'allow' },
      executionConfig: { retryPolicy: { maxAttempts: 2, backoffStrategy: 'fixed', initialDelay: 10 } },
    })
  }
  await sleep(1100)
  busy(2500)
  // A new version of a schedule's constant parts, and a schedule deleted mid-run.
  await integration.updateScheduledWorkflow('s1', { metadata: { version: 2 } })
  const manual = await Promise.all(Array.from({ length: 200 }, (_, i) => integration.triggerScheduledExecution(`s${i % SCHEDULES}`, { n: i })))
  await integration.deleteScheduledWorkflow('s2')
  busy(1500)
  await sleep(1200)
  await integration.stop()

  // Numbered in the engine as they were made: delivered 1, 2, 3, … with no gap or repeat.
  const numbers = events.map(eventNumber)
  expect(numbers[0]).toBe(1)
  numbers.forEach((n, i) => expect(n).toBe(i + 1))

  const byExecution = new Map()
  for (const event of events) {
    if (!event.executionId) continue
    if (!byExecution.has(event.executionId)) byExecution.set(event.executionId, [])
    byExecution.get(event.executionId).push(event)
  }
  for (const id of manual) expect(byExecution.has(id)).toBe(true)
  const finals = { completed: 0, failed: 0 }
  for (const [id, list] of byExecution) {
    const kinds = list.map((e) => (e.type === 'workflow.started' ? `started#${e.attempt}` : e.type))
    // Each execution's story, in order: triggered, then each attempt, then one end.
    expect(kinds[0]).toBe('schedule.triggered')
    const ends = kinds.filter((k) => k === 'workflow.completed' || k === 'workflow.failed' || k === 'workflow.cancelled')
    expect(ends).toHaveLength(1)
    expect(kinds[kinds.length - 1]).toBe(ends[0])
    const starts = kinds.filter((k) => k.startsWith('started#'))
    expect(starts).toEqual(starts.map((_, i) => `started#${i + 1}`))
    const end = list[list.length - 1]
    if (end.type === 'workflow.completed') {
      finals.completed++
      // The answer of the last attempt, of this execution.
      expect(end.result.answered).toBe(`${id}#${starts.length}`)
      expect(end.metadata.correlationId).toBe(id)
    }
    if (end.type === 'workflow.failed') finals.failed++
    for (const e of list) expect(e.timestamp).toBeInstanceOf(Date)
    const record = await integration.getExecution(id)
    expect(record.status).toBe(end.type === 'workflow.completed' ? 'completed' : end.type === 'workflow.failed' ? 'failed' : 'cancelled')
  }
  // Every executor call was one started event, and the other way round.
  const started = events.filter((e) => e.type === 'workflow.started').map((e) => `${e.executionId}#${e.attempt}`)
  expect([...started].sort()).toEqual([...calls].sort())
  expect(new Set(calls).size).toBe(calls.length)
  const metrics = await integration.getSystemMetrics()
  expect(metrics.successfulExecutions).toBe(finals.completed)
  // Retries happened, and the blocked seconds were fired (every second of each schedule).
  expect(events.some((e) => e.type === 'workflow.retrying')).toBe(true)
  for (let i = 0; i < SCHEDULES; i++) {
    if (i === 2) continue
    const seconds = events
      .filter((e) => e.type === 'schedule.triggered' && e.scheduleId === `s${i}` && e.triggerType === 'scheduled')
      .map((e) => e.scheduledTime.getTime())
    expect(seconds.length).toBeGreaterThanOrEqual(5)
    seconds.forEach((t, k) => k > 0 && expect(t - seconds[k - 1]).toBe(1000))
  }
  // Events carry the schedule's constant parts as they were when each was made.
  const s1 = events.filter((e) => e.type === 'schedule.triggered' && e.scheduleId === 's1').map((e) => e.metadata.version)
  expect(s1).toContain(1)
  expect(s1).toContain(2)
  expect(s1).toEqual([...s1].sort())
  // A manual trigger's context crossed with its own execution.
  const contexts = events.filter((e) => e.type === 'schedule.triggered' && e.triggerType === 'manual').map((e) => e.context.triggerData.n)
  expect(contexts.sort((a, b) => a - b)).toEqual(Array.from({ length: 200 }, (_, i) => i))
}, 30_000)

test('each event object is its own: changing one changes no other event and no request', async () => {
  const requests = []
  integration = new WorkflowScheduleIntegration({
    clock: 'manual',
    startTime: new Date('2026-01-01T00:00:00Z'),
    executor: (request) => {
      requests.push(request)
      request.metadata.touched = true
      request.variables.list.push('changed')
      return 'ok'
    },
  })
  const events = []
  integration.on('event', (event) => {
    events.push(event)
    event.metadata.touched = true
  })
  await integration.start()
  await integration.createScheduledWorkflow({
    id: 'a',
    workflowId: 'w',
    metadata: { team: 'x', when: new Date('2025-05-05T00:00:00Z') },
    scheduleConfig: { cronExpression: '* * * * *' },
    executionConfig: { variables: { list: ['v'] } },
  })
  await integration.advanceTime(3 * 60_000)
  expect(requests).toHaveLength(3)
  for (const request of requests) {
    expect(request.variables.list).toEqual(['v', 'changed'])
    expect(request.metadata.when).toBeInstanceOf(Date)
    expect(request.signal.aborted).toBe(false)
    expect('signal' in request).toBe(true)
  }
  const triggered = events.filter((e) => e.type === 'schedule.triggered')
  expect(triggered).toHaveLength(3)
  for (const event of triggered) {
    expect(event.context.metadata).toEqual({ team: 'x', when: new Date('2025-05-05T00:00:00Z') })
    expect(event.metadata.when).toBeInstanceOf(Date)
  }
  const withMetadata = events.filter((e) => e.metadata !== undefined)
  expect(withMetadata).toHaveLength(10) // schedule.created, then 3 × (triggered, started, completed)
  expect(new Set(withMetadata.map((e) => e.metadata)).size).toBe(withMetadata.length)
})

test('a metadata key named __proto__ stays a plain field of every copy', async () => {
  const requests = []
  integration = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z'), executor: (request) => requests.push(request) })
  const events = []
  integration.on('event', (event) => events.push(event))
  await integration.start()
  // Flat and nested: both ways of copying are taken.
  const flat = JSON.parse('{"__proto__": "text", "team": "x"}')
  const nested = JSON.parse('{"__proto__": {"polluted": true}, "team": "y"}')
  await integration.createScheduledWorkflow({ id: 'f', workflowId: 'w', metadata: flat, scheduleConfig: { cronExpression: '* * * * *' } })
  await integration.createScheduledWorkflow({ id: 'n', workflowId: 'w', metadata: nested, scheduleConfig: { cronExpression: '* * * * *' } })
  await integration.advanceTime(60_000)
  const started = events.filter((e) => e.type === 'workflow.started')
  expect(started).toHaveLength(2)
  for (const metadata of [...started.map((e) => e.metadata), ...requests.map((r) => r.metadata)]) {
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype)
    expect(Object.keys(metadata)).toContain('__proto__')
  }
  expect({}.polluted).toBeUndefined()
})
