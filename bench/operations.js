'use strict'
// O1/O2: operations at scale, tickflow alone. O1: each dashboard request against N schedules
// (memory store, a manual clock so that none fires): its answer time and the longest the
// event loop was blocked while it ran. O2: the Prometheus exposition of N schedules: summed,
// streamed per schedule, and metrics() refusing what one string cannot hold.

const http = require('node:http')
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { runInChild } = require('./lib/child')

const REQUESTS = [
  'api/overview',
  'api/overview?search=export%2012345',
  'api/overview?sort=nextFire&limit=500',
  'api/overview?state=paused',
  'api/schedule?id=job-0054321',
  'api/timeline?hours=24',
  'api/timeline?hours=168',
]
const BLOCK_TARGET_MS = 50

/** `work()` with its time and the event loop's longest delay (1 ms resolution) meanwhile. */
async function measured(work) {
  const delay = monitorEventLoopDelay({ resolution: 1 })
  delay.enable()
  const started = performance.now()
  const value = await work()
  const ms = performance.now() - started
  delay.disable()
  return { value, ms, blockedMs: delay.max / 1e6 }
}

async function operations({ schedules }) {
  const { WorkflowScheduleIntegration } = require('..')
  const { dashboard } = require('../lib/dashboard')
  const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-03-07T12:00:00Z'), executor: async () => 'ok' })
  await it.initialize()
  const configs = []
  for (let i = 0; i < schedules; i++) {
    const cron = i % 4 === 0 ? `0 ${i % 60} 3 * * *` : `0 ${i % 60} * * * *`
    configs.push({ id: `job-${String(i).padStart(7, '0')}`, workflowId: `wf-${i}`, name: `Nightly export ${i}`, scheduleConfig: { cronExpression: cron, timezone: 'UTC' } })
  }
  for (let i = 0; i < schedules; i += 100_000) await it.syncScheduledWorkflows(configs.slice(i, i + 100_000))
  configs.length = 0
  await it.start()
  for (let i = 7; i < schedules; i += Math.max(1, Math.floor(schedules / 10))) await it.pauseSchedule(`job-${String(i).padStart(7, '0')}`)
  const handler = dashboard(it)
  const server = http.createServer((req, res) => handler(req, res))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${server.address().port}/`
  const requests = {}
  for (const path of REQUESTS) {
    await fetch(base + path).then((r) => r.text()) // warm
    const { ms, blockedMs, value } = await measured(() => fetch(base + path).then((r) => r.status))
    requests[path] = { ms, blockedMs, status: value }
  }
  server.closeAllConnections()
  server.close()

  const summed = await measured(() => it.metrics({ perSchedule: false }))
  const refused = await measured(() => it.metrics().then(() => 'fits', (e) => e.code))
  const streamed = await measured(async () => {
    let bytes = 0
    let pieces = 0
    for await (const piece of it.metricsStream()) {
      bytes += Buffer.byteLength(piece)
      pieces++
    }
    return { bytes, pieces }
  })
  await it.stop()
  return {
    schedules,
    requests,
    summed: { ms: summed.ms, blockedMs: summed.blockedMs, bytes: summed.value.length },
    whole: { ms: refused.ms, blockedMs: refused.blockedMs, outcome: refused.value },
    streamed: { ms: streamed.ms, blockedMs: streamed.blockedMs, ...streamed.value, rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20) },
  }
}

async function run(sizes) {
  const results = []
  for (const schedules of sizes.operationsSchedules) {
    results.push(await runInChild(__filename, 'operations', { schedules }, { timeoutMs: 900_000 }))
  }
  const label = (n) => n.toLocaleString('en-US')
  const fig = (r, pick) => (r.failed ? { failed: r.failed } : pick(r))
  const largest = results[results.length - 1]
  const worst = largest.failed ? null : Math.max(...Object.values(largest.requests).map((x) => x.blockedMs))
  const o1Rows = []
  for (const path of REQUESTS) {
    for (const r of results) {
      o1Rows.push({ label: `${path}, ${label(r.schedules)}: event loop blocked (longest)`, unit: 'ms', better: 'lower', figures: { tickflow: fig(r, (x) => x.requests[path].blockedMs) } })
      o1Rows.push({ label: `${path}, ${label(r.schedules)}: answer`, unit: 'ms', better: 'lower', figures: { tickflow: fig(r, (x) => x.requests[path].ms) } })
    }
  }
  const o2Rows = []
  for (const r of results) {
    const n = label(r.schedules)
    o2Rows.push(
      { label: `${n}: metricsStream(), all pieces`, unit: 'ms', better: 'lower', figures: { tickflow: fig(r, (x) => x.streamed.ms) } },
      { label: `${n}: metricsStream(), bytes`, unit: 'B', better: 'lower', figures: { tickflow: fig(r, (x) => ({ value: x.streamed.bytes, text: `${(x.streamed.bytes / 2 ** 20).toFixed(0)} MiB in ${x.streamed.pieces} pieces` })) } },
      { label: `${n}: metricsStream(), event loop blocked (longest)`, unit: 'ms', better: 'lower', figures: { tickflow: fig(r, (x) => x.streamed.blockedMs) } },
      { label: `${n}: metrics({ perSchedule: false })`, unit: 'ms', better: 'lower', figures: { tickflow: fig(r, (x) => x.summed.ms) } },
      { label: `${n}: metrics()`, unit: 'ms', better: 'lower', figures: { tickflow: fig(r, (x) => ({ value: x.whole.ms, text: `${Math.round(x.whole.ms)} (${x.whole.outcome})` })) } },
    )
  }
  const streamedLargest = largest.failed ? null : largest.streamed
  return [
    {
      id: 'O1',
      title: `Dashboard requests at ${results.map((r) => label(r.schedules)).join(' and ')} schedules`,
      unit: 'ms',
      libraries: ['tickflow'],
      what: 'tickflow alone in a child process, memory store, manual clock (none fires), a tenth of the schedules hourly-daily mixed as in the test; each request made once to warm up, then measured: the answer time over HTTP and the longest event-loop delay (`monitorEventLoopDelay`, 1 ms resolution) while it ran.',
      rows: o1Rows,
      target: {
        text: `no request blocks the event loop more than ${BLOCK_TARGET_MS} ms at ${label(largest.schedules || 0)} schedules`,
        met: worst !== null && worst <= BLOCK_TARGET_MS,
        detail: worst === null ? largest.failed : `longest ${worst.toFixed(1)} ms`,
      },
      notes: [],
    },
    {
      id: 'O2',
      title: `The Prometheus exposition of ${label(largest.schedules || 0)} schedules`,
      unit: 'ms',
      libraries: ['tickflow'],
      what: 'Per-schedule series streamed in pieces (`metricsStream()`), summed (`metrics({ perSchedule: false })`), and `metrics()` (one string: refused with ERR_METRICS_TOO_LARGE where it would not fit).',
      rows: o2Rows,
      target: {
        text: `metricsStream() renders every schedule's series at ${label(largest.schedules || 0)} schedules`,
        met: streamedLargest !== null && streamedLargest.bytes > 0,
        detail: streamedLargest === null ? largest.failed : `${(streamedLargest.bytes / 2 ** 20).toFixed(0)} MiB in ${(streamedLargest.ms / 1000).toFixed(1)} s, RSS ${streamedLargest.rssMiB} MiB after`,
      },
      notes: [],
    },
  ]
}

module.exports = { run, operations }
