'use strict'
// The JavaScript thread on the PostgreSQL store: how long a command holds it (the call
// until its Promise is returned; the commit happens off the thread), beside the memory
// store, where the whole command runs on the thread; and the longest the event loop of each
// of 3 nodes was held while they ran a herd of schedules due at once. bench/cluster.js
// reports both as C5 and C6; this script prints them alone:
//   node bench/cluster-async.js [herd size, default 20000] [commands, default 2000]
const { performance } = require('node:perf_hooks')
const { WorkflowScheduleIntegration } = require('..')
const { startPostgres } = require('../__test__/helpers/postgres')
const { percentile } = require('./lib/measure')

const COMMANDS = ['create', 'pause', 'resume', 'trigger']
const WARMUP_ROUNDS = 50

/**
 * `rounds` rounds of createScheduledWorkflow, pauseSchedule, resumeSchedule and
 * triggerScheduledExecution, one at a time on a new schedule each round, on one started node
 * with `store`. For each command, the time from the call until its Promise is returned
 * (p50/p99/max, ms) and until the Promise settles (p50/p99). A first WARMUP_ROUNDS are not
 * counted.
 */
async function commands(store, rounds) {
  const integration = new WorkflowScheduleIntegration({ executor: async () => 'ok', store, maxConcurrency: 100 })
  await integration.start()
  const sync = Object.fromEntries(COMMANDS.map((c) => [c, []]))
  const settled = Object.fromEntries(COMMANDS.map((c) => [c, []]))
  const timed = async (name, call, counted) => {
    const t0 = performance.now()
    const pending = call()
    const returned = performance.now() - t0
    await pending
    if (!counted) return
    sync[name].push(returned)
    settled[name].push(performance.now() - t0)
  }
  // Yearly: no schedule fires while the commands are timed; overlap allowed for the triggers.
  const config = (id) => ({ id, workflowId: 'w', scheduleConfig: { cronExpression: '0 0 1 1 *', overlapPolicy: 'allow' } })
  try {
    for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) {
      const id = `c${i}`
      const counted = i >= WARMUP_ROUNDS
      await timed('create', () => integration.createScheduledWorkflow(config(id)), counted)
      await timed('pause', () => integration.pauseSchedule(id), counted)
      await timed('resume', () => integration.resumeSchedule(id), counted)
      await timed('trigger', () => integration.triggerScheduledExecution(id), counted)
    }
  } finally {
    await integration.stop()
  }
  const ms = (v) => Number(v.toFixed(3))
  const stats = (xs, withMax) => {
    const sorted = xs.slice().sort((a, b) => a - b)
    const s = { p50: ms(percentile(sorted, 50)), p99: ms(percentile(sorted, 99)) }
    if (withMax) s.max = ms(sorted[sorted.length - 1])
    return s
  }
  return {
    rounds,
    commands: Object.fromEntries(COMMANDS.map((c) => [c, { syncMs: stats(sync[c], true), settledMs: stats(settled[c], false) }])),
  }
}

/** commands() on a fresh database of `pg` and on the memory store. */
async function commandsBothStores(pg, rounds, database = 'commands') {
  await pg.query(`CREATE DATABASE ${database}`)
  return {
    postgres: await commands({ type: 'postgres', connectionString: pg.urlFor(database) }, rounds),
    memory: await commands({ type: 'memory' }, rounds),
  }
}

async function main() {
  const herdSize = Number(process.argv[2] || 20_000)
  const rounds = Number(process.argv[3] || 2_000)
  // Required here: bench/cluster.js requires this file for C5.
  const { herd } = require('./cluster.js')
  const pg = await startPostgres()
  try {
    const both = await commandsBothStores(pg, rounds)
    for (const [store, r] of Object.entries(both)) console.log(`commands on ${store}:`, JSON.stringify(r.commands))
    const h = await herd(pg, herdSize)
    console.log(`herd of ${herdSize} on 3 nodes: longest event-loop stall per node ${h.loopMaxMs.join(' / ')} ms;`, JSON.stringify(h))
  } finally {
    await pg.stop()
  }
}

module.exports = { commands, commandsBothStores, COMMANDS }

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
