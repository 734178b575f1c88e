'use strict'
// Commands on PostgreSQL issued together: `n` triggerScheduledExecution calls on `schedules`
// schedules, `inFlight` at a time, on one node. Commands that arrive while a transaction of
// commands commits share the next one (group commit): the figure is commands committed per
// second, with the time each one took until its Promise settled.
//   node bench/cluster-commands.js [n, default 5000] [inFlight, default 100] [schedules, default 100]
const { performance } = require('node:perf_hooks')
const { WorkflowScheduleIntegration } = require('..')
const { startPostgres } = require('../__test__/helpers/postgres')
const { freshDb } = require('./lib/servers')

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

async function measure(pg, { n = 5000, inFlight = 100, schedules = 100 } = {}) {
  const connectionString = await freshDb(pg, 'commands_together')
  const integration = new WorkflowScheduleIntegration({
    executor: async () => 'ok',
    store: { type: 'postgres', connectionString },
    maxConcurrency: 100,
    historyRetention: { maxPerSchedule: 10 },
  })
  await integration.start()
  const ids = Array.from({ length: schedules }, (_, i) => `c${i}`)
  await integration.syncScheduledWorkflows(ids.map((id) => ({ id, workflowId: 'w', scheduleConfig: { cronExpression: '0 0 1 1 *', overlapPolicy: 'allow' } })))
  const times = []
  let next = 0
  const started = performance.now()
  async function lane() {
    while (next < n) {
      const id = ids[next++ % ids.length]
      const t0 = performance.now()
      await integration.triggerScheduledExecution(id)
      times.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: inFlight }, lane))
  const seconds = (performance.now() - started) / 1000
  await integration.stop()
  times.sort((a, b) => a - b)
  const ms = (v) => Number(v.toFixed(2))
  return { commands: n, inFlight, perSecond: Math.round(n / seconds), settledMs: { p50: ms(quantile(times, 0.5)), p99: ms(quantile(times, 0.99)) } }
}

module.exports = { measure }

if (require.main === module) {
  ;(async () => {
    const [n, inFlight, schedules] = process.argv.slice(2).map(Number)
    const pg = await startPostgres()
    try {
      console.log('commands together on PostgreSQL:', JSON.stringify(await measure(pg, { n: n || undefined, inFlight: inFlight || undefined, schedules: schedules || undefined })))
    } finally {
      await pg.stop()
    }
  })().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
