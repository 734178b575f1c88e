// Operations: the Prometheus exposition series by series, the prom-client bridge, and
// OpenTelemetry spans (with the SDK's in-memory exporter) around every attempt.
const client = require('prom-client')
const otel = require('@opentelemetry/api')
const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base')
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks')
const { WorkflowScheduleIntegration } = require('..')
const { register, parseExposition } = require('../lib/prometheus.js')
const { config, tick } = require('./support')

let current
afterEach(async () => {
  if (current) await current.stop({ graceMs: 0 })
  current = undefined
})

/** A run with completions, a failure, a retry, a timeout and skips, on the manual clock. */
async function busyIntegration() {
  let calls = 0
  const it = new WorkflowScheduleIntegration({
    clock: 'manual',
    startTime: new Date('2026-01-01T00:00:00Z'),
    executor: (r) => {
      calls++
      if (r.scheduleId === 's-flaky' && r.attempt === 1) throw Object.assign(new Error('try again'), { code: 'FLAKY' })
      if (r.scheduleId === 's-slow') return new Promise(() => {}) // times out
      if (r.scheduleId === 's-bad') throw Object.assign(new Error('broken'), { code: 'BROKEN' })
      return 'ok'
    },
  })
  current = it
  await it.start()
  await it.createScheduledWorkflow(config('flaky', '*/10 * * * * *', { executionConfig: { retryPolicy: { maxAttempts: 2, initialDelay: 1000 } } }))
  await it.createScheduledWorkflow(config('slow', '0 * * * * *', { executionConfig: { timeout: 30_000 } }))
  await it.createScheduledWorkflow(config('bad', '0 0 1 1 *'))
  await it.createScheduledWorkflow(config('idle', '0 0 1 1 *'))
  await it.pauseSchedule('s-idle')
  await it.triggerScheduledExecution('s-bad')
  await it.advanceTime(125_000) // 12 flaky fires; slow fires at 00:01 (times out at 00:01:30) and 00:02 (still running)
  await tick()
  return it
}

test('metrics(): every series, with the values of the run', async () => {
  const it = await busyIntegration()
  const text = await it.metrics()
  const families = parseExposition(text)
  const value = (name, labels) => {
    const family = [...families.values()].find((f) => f.values.some((v) => (v.metricName || f.name) === name))
    const found = family && family.values.find((v) => (v.metricName || family.name) === name && Object.entries(labels).every(([k, x]) => v.labels[k] === x) && Object.keys(v.labels).length === Object.keys(labels).length)
    if (!found) throw new Error(`no ${name} ${JSON.stringify(labels)} in\n${text}`)
    return found.value
  }
  expect(value('tickflow_fires_total', { schedule: 's-flaky' })).toBe(12)
  expect(value('tickflow_executions_total', { schedule: 's-flaky', outcome: 'completed' })).toBe(12)
  expect(value('tickflow_retries_total', { schedule: 's-flaky' })).toBe(12)
  expect(value('tickflow_executions_total', { schedule: 's-bad', outcome: 'failed' })).toBe(1)
  expect(value('tickflow_fires_total', { schedule: 's-bad' })).toBe(0) // a manual trigger is not a fire
  expect(value('tickflow_executions_total', { schedule: 's-slow', outcome: 'timeout' })).toBe(1)
  expect(value('tickflow_skipped_fires_total', { schedule: 's-slow', reason: 'overlap' })).toBe(0)
  expect(value('tickflow_executions_running', { schedule: 's-slow' })).toBe(1)
  expect(value('tickflow_schedule_paused', { schedule: 's-idle' })).toBe(1)
  // The timed-out run took 30 s: in the 30 s bucket, not the 10 s one.
  expect(value('tickflow_execution_duration_seconds_count', { schedule: 's-slow' })).toBe(1)
  expect(value('tickflow_execution_duration_seconds_bucket', { schedule: 's-slow', le: '30' })).toBe(1)
  expect(value('tickflow_execution_duration_seconds_bucket', { schedule: 's-slow', le: '10' })).toBe(0)
  expect(value('tickflow_execution_duration_seconds_sum', { schedule: 's-slow' })).toBe(30)
  expect(value('tickflow_trigger_lateness_seconds_count', { schedule: 's-flaky' })).toBe(12)
  expect(value('tickflow_schedule_last_success_timestamp_seconds', { schedule: 's-flaky' })).toBe(Date.parse('2026-01-01T00:02:01Z') / 1000)
  expect(value('tickflow_schedule_next_fire_timestamp_seconds', { schedule: 's-flaky' })).toBe(Date.parse('2026-01-01T00:02:10Z') / 1000)
  // Naming: one prefix, counters alone end in _total, units in seconds; no execution ids or
  // error texts as labels.
  for (const f of families.values()) {
    expect(f.name.startsWith('tickflow_')).toBe(true)
    expect([f.name, f.type === 'counter']).toEqual([f.name, f.name.endsWith('_total')])
    for (const v of f.values) expect(Object.keys(v.labels).every((l) => ['schedule', 'reason', 'outcome', 'le'].includes(l))).toBe(true)
  }
  expect(text).not.toMatch(/exec_|try again|broken/)
  // The label switched off: sums, no per-schedule series.
  const summed = parseExposition(await it.metrics({ perSchedule: false }))
  expect(summed.get('tickflow_fires_total').values).toEqual([{ value: 14, labels: {} }])
  expect(summed.has('tickflow_schedule_last_success_timestamp_seconds')).toBe(false)
  await expect(it.metrics({ perSchedule: 'no' })).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.perSchedule' })
})

test('tickflow/prometheus puts the same series in a prom-client registry, read at scrape time', async () => {
  const it = await busyIntegration()
  const registry = new client.Registry()
  const handle = register(it, { registry })
  const scrape = async () => parseExposition(await registry.metrics())
  const first = await scrape()
  const own = parseExposition(await it.metrics())
  expect([...first.keys()].sort()).toEqual([...own.keys()].sort())
  for (const [name, family] of own) {
    expect(first.get(name).type).toBe(family.type)
    expect(first.get(name).values).toEqual(family.values)
  }
  // Later work shows at the next scrape, with no listener or per-event work in between.
  await it.triggerScheduledExecution('s-bad')
  await tick()
  await new Promise((resolve) => setTimeout(resolve, 120))
  const failed = (await scrape()).get('tickflow_executions_total').values.find((v) => v.labels.schedule === 's-bad' && v.labels.outcome === 'failed')
  expect(failed.value).toBe(2)
  handle.unregister()
  expect(await registry.metrics()).not.toMatch(/tickflow_/)
})

describe('OpenTelemetry', () => {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
  beforeAll(() => {
    otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
    otel.trace.setGlobalTracerProvider(provider)
  })
  afterAll(() => {
    otel.trace.disable()
    otel.context.disable()
  })
  beforeEach(() => exporter.reset())

  test('each attempt is a span; the executor runs inside it; failures have error status; a manual trigger links to its caller', async () => {
    const tracer = otel.trace.getTracer('app')
    const it = new WorkflowScheduleIntegration({
      clock: 'manual',
      startTime: new Date('2026-01-01T00:00:00Z'),
      executor: async (r) => {
        // The application's own span nests under tickflow's.
        await tracer.startActiveSpan('db.query', async (span) => {
          await new Promise((resolve) => setImmediate(resolve))
          span.end()
        })
        if (r.attempt === 1) throw Object.assign(new Error('first attempt fails'), { code: 'FLAKY' })
        return 'ok'
      },
    })
    current = it
    await it.start()
    await it.createScheduledWorkflow(config('a', '0 * * * * *', { workflowId: 'report', executionConfig: { retryPolicy: { maxAttempts: 2, initialDelay: 1000 } } }))
    await it.advanceTime(61_000)
    await tick()
    let manualId
    await tracer.startActiveSpan('http POST /run', async (caller) => {
      manualId = await it.triggerScheduledExecution('s-a')
      caller.end()
    })
    await it.advanceTime(2000)
    await tick()
    const spans = exporter.getFinishedSpans()
    const runs = spans.filter((s) => s.name === 'tickflow.execute report')
    expect(runs).toHaveLength(4) // two executions, two attempts each
    const [failedAttempt, secondAttempt] = runs.filter((s) => s.attributes['tickflow.execution_id'] !== manualId)
    expect(failedAttempt.attributes).toMatchObject({
      'tickflow.schedule_id': 's-a',
      'tickflow.workflow_id': 'report',
      'tickflow.scheduled_time': '2026-01-01T00:01:00.000Z',
      'tickflow.attempt': 1,
      'tickflow.trigger_type': 'scheduled',
      'tickflow.lateness_ms': 0,
      'tickflow.error_code': 'FLAKY',
    })
    expect(failedAttempt.status).toMatchObject({ code: otel.SpanStatusCode.ERROR, message: 'first attempt fails' })
    expect(secondAttempt.attributes['tickflow.attempt']).toBe(2)
    expect(secondAttempt.status.code).toBe(otel.SpanStatusCode.UNSET)
    for (const run of runs) {
      const child = spans.find((s) => s.name === 'db.query' && s.parentSpanContext?.spanId === run.spanContext().spanId || s.name === 'db.query' && s.parentSpanId === run.spanContext().spanId)
      expect(child).toBeDefined()
    }
    const caller = spans.find((s) => s.name === 'http POST /run')
    const manual = runs.find((s) => s.attributes['tickflow.execution_id'] === manualId && s.attributes['tickflow.attempt'] === 1)
    expect(manual.links.map((l) => l.context.spanId)).toEqual([caller.spanContext().spanId])
  })
})

test('without @opentelemetry/api nothing is loaded and executions run as before', () => {
  const { execFileSync } = require('node:child_process')
  const script = `
    const Module = require('node:module')
    const resolve = Module._resolveFilename
    Module._resolveFilename = function (request, ...rest) {
      if (request.startsWith('@opentelemetry/')) throw Object.assign(new Error('not installed'), { code: 'MODULE_NOT_FOUND' })
      return resolve.call(this, request, ...rest)
    }
    const { WorkflowScheduleIntegration } = require(${JSON.stringify(require('node:path').join(__dirname, '..'))})
    const it = new WorkflowScheduleIntegration({ clock: 'manual', executor: () => 'ok' })
    it.start()
      .then(() => it.schedule('a', '* * * * * *', () => 'done'))
      .then(() => it.advanceTime(2000))
      .then(() => it.listExecutions())
      .then((executions) => {
        const loaded = Object.keys(require.cache).filter((f) => f.includes('opentelemetry'))
        console.log(JSON.stringify({ loaded, runs: executions.map((e) => e.status) }))
        return it.stop()
      })
  `
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }))
  expect(out).toEqual({ loaded: [], runs: ['completed', 'completed'] })
})
