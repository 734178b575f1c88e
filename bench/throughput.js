'use strict'
// B7: end-to-end executions per second. Manual triggers (`triggerScheduledExecution`) on
// 100 schedules, a trivial async executor, one 'event' listener on (so every lifecycle event
// is built and delivered), up to 1,000 executions in flight. Memory store and sqlite store,
// each in a child process of its own; node-cron's `task.execute()` for comparison.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { runInChild } = require('./lib/child')
const { pipeline, triggeredExecutions } = require('./lib/pipeline')
const { preciseNow } = require('./lib/measure')
const { REASONS } = require('./lib/peers')

const SCHEDULES = 100
const WINDOW = 1000
const COLUMNS = ['tickflow', 'croner', 'node-cron', 'node-schedule', 'cron-parser']
const NEVER_DUE = '0 0 1 1 *' // the runs are manual triggers only

/** The sqlite store is not in every build yet: its absence is reported, not fatal. */
const storeUnavailable = (err) => err && typeof err.code === 'string' && /^ERR_STORE/.test(err.code)

/** In a child: `count` executions through tickflow with the given store. */
async function tickflowExecutions({ count, store }) {
  const { WorkflowScheduleIntegration } = require('..')
  const dbFile = store === 'sqlite' ? path.join(os.tmpdir(), `tickflow-bench-${process.pid}.db`) : null
  let integration
  try {
    integration = new WorkflowScheduleIntegration({
      executor: async () => 'ok',
      maxConcurrency: WINDOW,
      store: store === 'sqlite' ? { type: 'sqlite', path: dbFile } : { type: 'memory' },
    })
    await integration.start()
  } catch (err) {
    if (storeUnavailable(err)) return { unavailable: `${err.code}: ${err.message}` }
    throw err
  }
  try {
    const { events, seconds } = await triggeredExecutions(integration, { count, schedules: SCHEDULES, window: WINDOW })
    return { count, seconds, perSecond: count / seconds, events }
  } finally {
    await integration.stop({ graceMs: 0 })
    if (dbFile) for (const suffix of ['', '-wal', '-shm', '-lock']) fs.rmSync(`${dbFile}${suffix}`, { force: true })
  }
}

/** In a child: the same through node-cron's `task.execute()`, its execution events on. */
async function nodeCronExecutions({ count }) {
  const cron = require('node-cron')
  // execute() adds two listeners per call in flight; ten in flight on a task is no leak.
  require('node:events').defaultMaxListeners = 0
  const tasks = Array.from({ length: SCHEDULES }, () => cron.createTask(NEVER_DUE, async () => 'ok'))
  let events = 0
  const load = pipeline({ count, window: WINDOW, trigger: (i) => tasks[i % SCHEDULES].execute() })
  for (const task of tasks) {
    task.on('execution:started', () => events++)
    task.on('execution:finished', () => {
      events++
      load.completed()
    })
  }
  const started = preciseNow()
  load.start()
  await load.done
  const seconds = (preciseNow() - started) / 1000
  return { count, seconds, perSecond: count / seconds, events }
}

const inChild = (name, args) => runInChild(__filename, name, args, { timeoutMs: 300_000 })

function figure(result) {
  if (result.failed) return { failed: result.failed }
  if (result.unavailable) return { na: 'sqlite store not available in this build' }
  return result.perSecond
}

async function run(sizes) {
  const count = sizes.executions
  const memory = await inChild('tickflowExecutions', { count, store: 'memory' })
  const sqlite = await inChild('tickflowExecutions', { count, store: 'sqlite' })
  const nodeCron = await inChild('nodeCronExecutions', { count })
  const peersWithout = (reason) => ({ croner: { na: reason }, 'node-schedule': { na: reason }, 'cron-parser': { na: REASONS.notAScheduler } })
  const memoryMet = typeof figure(memory) === 'number' && memory.perSecond >= 100_000
  const sqliteMet = typeof figure(sqlite) === 'number' ? sqlite.perSecond >= 40_000 : null
  const rate = (r) => (typeof figure(r) === 'number' ? `${Math.round(r.perSecond).toLocaleString('en-US')}/s` : figure(r).na || figure(r).failed)
  return [
    {
      id: 'B7',
      title: 'End-to-end executions per second (manual triggers, trivial async executor, events on)',
      unit: 'executions/s',
      libraries: COLUMNS,
      what:
        `${count.toLocaleString('en-US')} executions: \`triggerScheduledExecution\` round-robin on ${SCHEDULES} schedules, ` +
        `executor \`async () => 'ok'\`, one 'event' listener, up to ${WINDOW.toLocaleString('en-US')} in flight ` +
        '(`maxConcurrency` the same); timed from the first trigger to the last `workflow.completed` event. ' +
        `node-cron: \`task.execute()\` on ${SCHEDULES} tasks with its \`execution:*\` listeners (it records no executions).`,
      rows: [
        {
          label: 'memory store',
          unit: 'executions/s',
          better: 'higher',
          figures: { tickflow: figure(memory), 'node-cron': figure(nodeCron), ...peersWithout(REASONS.noExecutions) },
        },
        {
          label: 'sqlite store',
          unit: 'executions/s',
          better: 'higher',
          figures: { tickflow: figure(sqlite), 'node-cron': { na: REASONS.noStore }, ...peersWithout(REASONS.noStore) },
        },
      ],
      target: {
        text: '≥ 100,000/s memory, ≥ 40,000/s sqlite',
        met: memoryMet && sqliteMet !== false,
        detail: `memory ${rate(memory)}, sqlite ${rate(sqlite)}${sqliteMet === null ? ' (the sqlite part is not judged)' : ''}`,
      },
    },
  ]
}

module.exports = { run, tickflowExecutions, nodeCronExecutions }
