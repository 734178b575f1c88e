'use strict'
// The JavaScript thread on the PostgreSQL store: how long a command holds it (the call
// until its Promise is returned; the commit happens off the thread), and the longest the
// event loop of each of 3 nodes was held while they ran a herd of schedules due at once.
//   node bench/cluster-async.js [herd size, default 20000] [commands, default 2000]
const { performance } = require('node:perf_hooks')
const { WorkflowScheduleIntegration } = require('..')
const { startPostgres } = require('../__test__/helpers/postgres')
const { herd } = require('./cluster.js')

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

async function commands(pg, n) {
  await pg.query('CREATE DATABASE commands')
  const integration = new WorkflowScheduleIntegration({
    executor: async () => 'ok',
    store: { type: 'postgres', connectionString: pg.urlFor('commands') },
    maxConcurrency: 100,
  })
  await integration.start()
  await integration.createScheduledWorkflow({ id: 'c', scheduleId: 'c', workflowId: 'w', scheduleConfig: { cronExpression: '0 0 1 1 *', overlapPolicy: 'allow' } })
  const sync = []
  const total = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const pending = integration.triggerScheduledExecution('c')
    sync.push(performance.now() - t0)
    await pending
    total.push(performance.now() - t0)
  }
  await integration.stop()
  sync.sort((a, b) => a - b)
  total.sort((a, b) => a - b)
  const ms = (v) => Number(v.toFixed(3))
  return {
    commands: n,
    syncMs: { p50: ms(quantile(sync, 0.5)), p99: ms(quantile(sync, 0.99)), max: ms(sync[sync.length - 1]) },
    committedMs: { p50: ms(quantile(total, 0.5)), p99: ms(quantile(total, 0.99)) },
  }
}

async function main() {
  const herdSize = Number(process.argv[2] || 20_000)
  const n = Number(process.argv[3] || 2_000)
  const pg = await startPostgres()
  try {
    console.log('triggerScheduledExecution on PostgreSQL:', JSON.stringify(await commands(pg, n)))
    console.log(`herd of ${herdSize} on 3 nodes:`, JSON.stringify(await herd(pg, herdSize)))
  } finally {
    await pg.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
