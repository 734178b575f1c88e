'use strict'
// B3 (idle memory per schedule) and B4 (creating schedules). Each library runs in a child
// process of its own, so that the RSS delta is that library's alone: RSS after GC before
// creating the schedules, then again once they have sat idle for a while.

const path = require('node:path')
const { runInChild } = require('./lib/child')
const { SCHEDULERS, createSchedules } = require('./lib/schedulers')
const { rssAfterGc, sleep, idleCpuMsPerSecond } = require('./lib/measure')
const { REASONS } = require('./lib/peers')

const KB = 1024
const COLUMNS = ['tickflow', 'croner', 'node-cron', 'node-schedule', 'cron-parser']
const PEERS = ['croner', 'node-cron', 'node-schedule']

/**
 * Daily patterns spread over minutes and hours, in two zones, none due within the next two
 * hours (so that nothing fires while memory is measured).
 */
function idlePattern(i) {
  const hour = (new Date().getUTCHours() + 3 + (i % 20)) % 24
  return [`${i % 60} ${hour} * * *`, i % 2 ? 'Europe/Berlin' : 'UTC']
}

/** In a child: creates up to `count` schedules within `budgetMs`, lets them idle, measures. */
async function idleSchedules({ library, count, budgetMs, idleWaitMs, idleCpuWindowMs }) {
  const scheduler = await SCHEDULERS[library].open({ onFire: () => {}, expectedFires: 0 })
  const before = rssAfterGc()
  const deadline = budgetMs === null ? Infinity : performance.now() + budgetMs
  const { created, seconds, stoppedBy } = await createSchedules(scheduler, count, idlePattern, deadline)
  await sleep(idleWaitMs)
  const idleCpu = await idleCpuMsPerSecond(idleCpuWindowMs)
  const after = rssAfterGc()
  return { created, stoppedBy, createPerSecond: created / seconds, bytesPerSchedule: (after - before) / created, idleCpuMsPerSecond: idleCpu }
}

// tickflow always creates them all; a peer stops at the creation budget.
const inChild = (library, count, sizes) =>
  runInChild(
    __filename,
    'idleSchedules',
    {
      library,
      count,
      budgetMs: library === 'tickflow' ? null : sizes.creationBudgetMs,
      idleWaitMs: sizes.idleWaitMs,
      idleCpuWindowMs: sizes.idleCpuWindowMs,
    },
    { timeoutMs: 300_000 },
  )

/** Says which peers stopped early, at how many schedules, and why. */
function shortfall(results, count, sizes) {
  const short = Object.entries(results).filter(([, r]) => !r.failed && r.created < count)
  if (short.length === 0) return ''
  const why = { time: `${sizes.creationBudgetMs / 1000} s budget`, heap: '3 GiB heap cap' }
  const list = short.map(([lib, r]) => `${lib} ${r.created.toLocaleString('en-US')} (${why[r.stoppedBy]})`).join(', ')
  return `created before a limit: ${list}; figures per schedule created`
}

/** A figure from a child's result, or the child's failure. */
const figure = (result, key) => (result.failed ? { failed: result.failed } : result[key])

async function run(sizes) {
  const n = sizes.idleSchedules
  const big = sizes.idleSchedulesTickflowOnly
  const results = {}
  for (const library of ['tickflow', ...PEERS]) results[library] = await inChild(library, n, sizes)
  const alone = await inChild('tickflow', big, sizes)
  const notRun = { na: 'not run at this size (tickflow alone)' }
  const row = (label, unit, better, key) => ({
    label,
    unit,
    better,
    comment: shortfall(results, n, sizes),
    figures: {
      ...Object.fromEntries(Object.entries(results).map(([lib, r]) => [lib, figure(r, key)])),
      'cron-parser': { na: REASONS.notAScheduler },
    },
  })
  const bigRow = (label, unit, better, key) => ({
    label,
    unit,
    better,
    figures: { tickflow: figure(alone, key), ...Object.fromEntries(PEERS.map((p) => [p, notRun])), 'cron-parser': { na: REASONS.notAScheduler } },
  })
  const fmtCount = (c) => c.toLocaleString('en-US')

  const perSchedule = results.tickflow.bytesPerSchedule
  const perScheduleBig = alone.bytesPerSchedule
  const vsCroner = results.croner.bytesPerSchedule / perSchedule
  const memoryMet = perSchedule <= KB && perScheduleBig <= KB && vsCroner >= 5
  const createRate = results.tickflow.createPerSecond
  return [
    {
      id: 'B3',
      title: `Idle memory per active schedule at ${fmtCount(n)} schedules, and tickflow alone at ${fmtCount(big)}`,
      unit: 'bytes per schedule',
      libraries: COLUMNS,
      what:
        'RSS after GC, before creating the schedules and after they sat idle, divided by their count; ' +
        'each library in a child process of its own. Daily patterns spread over minutes and hours, half ' +
        'UTC, half Europe/Berlin, none due during the run. tickflow: `createScheduledWorkflow` on a ' +
        'started integration (memory store); croner `new Cron(p, { timezone }, fn)`; node-cron ' +
        '`schedule(p, fn, { timezone })`; node-schedule `scheduleJob({ rule: p, tz }, fn)`.',
      rows: [
        row(`${fmtCount(n)} schedules`, 'bytes per schedule', 'lower', 'bytesPerSchedule'),
        bigRow(`${fmtCount(big)} schedules`, 'bytes per schedule', 'lower', 'bytesPerSchedule'),
        row(`idle CPU with ${fmtCount(n)} schedules`, 'ms per second', 'lower', 'idleCpuMsPerSecond'),
      ],
      notes: [
        'croner 11 keeps a 10,000-entry `year` array in every job\'s pattern: about 83 KB of heap per job.',
      ],
      target: {
        text: '≤ 1 KB (1,024 bytes) each; ≥ 5× less than croner',
        met: memoryMet,
        detail: `${Math.round(perSchedule)} B at ${fmtCount(n)}, ${Math.round(perScheduleBig)} B at ${fmtCount(big)}, ${vsCroner.toFixed(1)}× less than croner`,
      },
    },
    {
      id: 'B4',
      title: `Creating ${fmtCount(n)} schedules`,
      unit: 'schedules/s',
      libraries: COLUMNS,
      what:
        'The creation loop of B3, timed: tickflow awaits each `createScheduledWorkflow` one by one ' +
        '(memory store, integration started); the peers create synchronously.',
      rows: [
        row(`${fmtCount(n)} schedules`, 'schedules/s', 'higher', 'createPerSecond'),
        bigRow(`${fmtCount(big)} schedules`, 'schedules/s', 'higher', 'createPerSecond'),
      ],
      target: {
        text: '≥ 200,000 per second (memory store)',
        met: createRate >= 200_000,
        detail: `${Math.round(createRate).toLocaleString('en-US')}/s at ${fmtCount(n)}`,
      },
    },
  ]
}

module.exports = { run, idleSchedules }
