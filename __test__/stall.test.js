// Stalled runs: a handler that never settles (no timeout, overlap 'skip') stops its schedule;
// the health, the Prometheus series, the dashboard and `tickflow status` say so. And handlers
// that never settle leave nothing behind once their attempts are ended.
const client = require('prom-client')
const { WorkflowScheduleIntegration } = require('..')
const { register, parseExposition } = require('../lib/prometheus.js')
const { renderStatus, statusJson } = require('../lib/cli/status.js')
const { colours } = require('../lib/cli/format.js')
const { READS } = require('../lib/dashboard/views.js')
const { START, config, tick } = require('./support')

const never = () => new Promise(() => {})
const paint = colours({ isTTY: false })

let current
afterEach(async () => {
  if (current) await current.stop({ graceMs: 0 })
  current = undefined
})

async function manual(options = {}) {
  current = new WorkflowScheduleIntegration({ clock: 'manual', startTime: START, ...options })
  await current.start()
  return current
}

/** The oldest-running gauge of `schedule` (or, with no label, the only sample). */
async function oldestRunning(it, options) {
  const family = parseExposition(await it.metrics(options)).get('tickflow_execution_oldest_running_seconds')
  return Object.fromEntries(family.values.map((v) => [v.labels.schedule || '', v.value]))
}

describe('a run that never ends', () => {
  test('makes the health warning past one period and critical past three, naming the execution', async () => {
    const it = await manual()
    await it.schedule('tick', '* * * * *', undefined, never)
    await it.schedule('calm', '0 0 1 1 *', undefined, never)
    await it.advanceTime(60_000) // 00:01 fires; its handler never settles
    const [run] = await it.listExecutions({ scheduleId: 'tick' })
    expect(run.status).toBe('running')

    await it.advanceTime(60_000) // exactly one period: not stalled yet
    expect(await it.getScheduleHealth('tick')).toMatchObject({ status: 'healthy', successRate: 1 })
    expect(await oldestRunning(it)).toEqual({ tick: 60, calm: 0 })

    await it.advanceTime(1_000)
    const warning = await it.getScheduleHealth('tick')
    expect(warning.status).toBe('warning')
    expect(warning.successRate).toBe(1) // nothing has failed: only the stall tells
    expect(warning.issues[0]).toEqual({
      type: 'reliability',
      severity: 'medium',
      message: `execution ${run.id} has been running for 1m 1s, longer than the schedule's period (1m)`,
      timestamp: it.now(),
      executionId: run.id,
      runningMs: 61_000,
    })
    // The later fire was skipped, and the status carries the same health.
    expect(warning.issues.some((i) => /1 due fires were skipped/.test(i.message))).toBe(true)
    expect((await it.getScheduleStatus('tick')).health.status).toBe('warning')
    expect(await oldestRunning(it)).toEqual({ tick: 61, calm: 0 })

    await it.advanceTime(2 * 60_000) // 3m 1s
    const critical = await it.getScheduleHealth('tick')
    expect(critical.status).toBe('critical')
    expect(critical.issues[0]).toMatchObject({ severity: 'high', executionId: run.id, runningMs: 181_000 })
    expect((await it.getScheduleHealth('calm')).status).toBe('healthy')

    // Cancelled, the run no longer counts.
    await it.cancelScheduledExecution(run.id)
    expect(await it.getScheduleHealth('tick')).toMatchObject({ status: 'healthy' })
    expect(await oldestRunning(it)).toEqual({ tick: 0, calm: 0 })
  })

  test('stallAfterMs replaces the period, in both config shapes, and is checked', async () => {
    const it = await manual({ executor: never })
    await it.schedule('short', '0 * * * *', { stallAfterMs: 5_000 }, never)
    await it.createScheduledWorkflow(config('long', '* * * * *', { scheduleConfig: { stallAfterMs: 10 * 60_000 } }))
    await it.triggerScheduledExecution('short')
    await it.advanceTime(5_001)
    expect((await it.getScheduleHealth('short')).status).toBe('warning')
    await it.advanceTime(10_000)
    expect((await it.getScheduleHealth('short')).status).toBe('critical')
    // A minutely schedule given ten minutes: four minutes in, it is fine.
    await it.advanceTime(4 * 60_000)
    expect((await it.getScheduleHealth('s-long')).status).toBe('healthy')

    await expect(it.schedule('bad', '* * * * *', { stallAfterMs: 0 }, never)).rejects.toMatchObject({
      name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'options.stallAfterMs', value: 0,
    })
    await expect(it.createScheduledWorkflow(config('bad', '* * * * *', { scheduleConfig: { stallAfterMs: 1.5 } }))).rejects.toMatchObject({
      name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'config.scheduleConfig.stallAfterMs',
    })
    const wrongType = await it.createScheduledWorkflow(config('bad', '* * * * *', { scheduleConfig: { stallAfterMs: '5s' } })).catch((err) => err)
    expect(wrongType).toBeInstanceOf(TypeError)
    expect(wrongType).toMatchObject({ path: 'config.scheduleConfig.stallAfterMs' })
  })

  test('the series: per schedule, the oldest of all without the label, and through prom-client', async () => {
    const it = await manual()
    await it.schedule('a', '* * * * *', undefined, never)
    await it.schedule('b', '*/2 * * * *', undefined, never)
    await it.advanceTime(150_500) // a runs since 00:01, b since 00:02
    expect(await oldestRunning(it)).toEqual({ a: 90.5, b: 30.5 })
    expect(await oldestRunning(it, { perSchedule: false })).toEqual({ '': 90.5 })

    const registry = new client.Registry()
    const handle = register(it, { registry })
    const scraped = parseExposition(await registry.metrics()).get('tickflow_execution_oldest_running_seconds')
    expect(scraped.type).toBe('gauge')
    expect(scraped.values).toEqual([{ value: 90.5, labels: { schedule: 'a' } }, { value: 30.5, labels: { schedule: 'b' } }])
    handle.unregister()
  })

  test('tickflow status and the dashboard show the stalled run and how long it has run', async () => {
    const it = await manual()
    await it.schedule('tick', '* * * * *', undefined, never)
    await it.schedule('fine', '0 0 1 1 *', undefined, never)
    await it.advanceTime(60_000 + 3 * 60_000 + 5_000)
    const [run] = await it.listExecutions({ scheduleId: 'tick' })

    const lines = (await renderStatus(it, { paint, source: 'test.db', now: it.now() })).split('\n')
    expect(lines.slice(-2)).toEqual(['', `stalled tick: ${run.id} running for 3m 5s`])
    expect(lines.filter((l) => l.startsWith('stalled'))).toHaveLength(1)
    const json = await statusJson(it)
    expect(json.find((s) => s.scheduleId === 'tick')).toMatchObject({ health: 'critical', stalled: [{ executionId: run.id, runningMs: 185_000, severity: 'high' }] })
    expect(json.find((s) => s.scheduleId === 'fine')).toMatchObject({ health: 'healthy', stalled: [] })

    const overview = await READS.overview(it, new URLSearchParams(), { readOnly: true, allowed: {} })
    const row = overview.schedules.find((s) => s.scheduleId === 'tick')
    expect(row).toMatchObject({ health: 'critical', stalled: [{ executionId: run.id, runningMs: 185_000, severity: 'high' }] })
    expect(overview.schedules.find((s) => s.scheduleId === 'fine').stalled).toEqual([])
  })
})

describe('handlers that never settle leave nothing behind', () => {
  test('timed-out attempts release their entries; a late answer changes nothing; stop() ends the rest', async () => {
    const N = 2_000
    const late = []
    const errors = []
    const it = await manual({ maxConcurrency: N })
    it.on('integration.error', (e) => errors.push(e))
    const signals = []
    await it.schedule('hang', '0 0 1 1 *', { timeoutMs: 50, overlapPolicy: 'allow' }, (request) => {
      signals.push(request.signal)
      return new Promise((resolve) => late.push(resolve))
    })
    const ids = []
    for (let i = 0; i < N; i++) ids.push(await it.triggerScheduledExecution('hang'))
    await tick()
    expect(late).toHaveLength(N)
    expect(it._host.controllers.size).toBe(N)

    await it.advanceTime(51)
    expect(it._host.controllers.size).toBe(0)
    expect(signals.every((s) => s.aborted && s.reason.code === 'TIMEOUT')).toBe(true)

    // The handlers answer at last: recorded as late, never applied.
    for (const resolve of late) resolve('too late')
    await tick()
    await tick()
    expect(it._host.controllers.size).toBe(0)
    expect(await it.getExecution(ids[0])).toMatchObject({ status: 'timeout' })
    expect((await it.listExecutions({ scheduleId: 'hang', status: ['timeout'] })).length).toBe(N)
    expect(errors).toEqual([])

    // Without a timeout, stop() ends what still runs.
    await it.schedule('forever', '0 0 1 1 *', undefined, never)
    await it.triggerScheduledExecution('forever')
    await tick()
    expect(it._host.controllers.size).toBe(1)
    await it.stop({ graceMs: 0 })
    expect(it._host.controllers.size).toBe(0)
  })
})
