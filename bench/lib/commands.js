'use strict'
// The synchronous part of a command: how long each holds the JavaScript thread (the call
// until its Promise is returned) and until it settles, on a store and on memory (C5,
// bench/cluster.js; alone: bench/cluster-async.js).
const { performance } = require('node:perf_hooks')
const { WorkflowScheduleIntegration } = require('../..')
const { percentile } = require('./measure')
const { freshDb } = require('./servers')

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
  const connectionString = await freshDb(pg, database)
  return {
    postgres: await commands({ type: 'postgres', connectionString }, rounds),
    memory: await commands({ type: 'memory' }, rounds),
  }
}

module.exports = { commands, commandsBothStores, COMMANDS }
