'use strict'
// S1-S2 (issue 4): the durable store. S1 creates 100,000 schedules, each awaited, on the
// sqlite store and on the memory store; S2 reopens a store of 100,000 schedules: the time
// from `start()` on a fresh integration until it resolves (open, read, restore, arm).
// Executions per second with the sqlite store against memory are B7's second row. S3
// (issue 16) declares 100,000 schedules in one `syncScheduledWorkflows` call.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { runInChild } = require('./lib/child')
const { preciseNow } = require('./lib/measure')
const { REASONS } = require('./lib/peers')

const COLUMNS = ['tickflow', 'croner', 'node-cron', 'node-schedule', 'cron-parser']

const storeFiles = (file) => [file, `${file}-wal`, `${file}-shm`, `${file}-lock`]

function config(i) {
  return {
    id: `c${i}`,
    workflowId: `w${i % 100}`,
    scheduleConfig: { cronExpression: `${i % 60} ${i % 24} * * *`, timezone: i % 2 ? 'Europe/Berlin' : 'UTC' },
  }
}

/** In a child: creates `count` schedules (each awaited), then, for sqlite, reopens them. */
async function createAndReopen({ count, store }) {
  const { WorkflowScheduleIntegration } = require('..')
  const file = path.join(os.tmpdir(), `tickflow-bench-store-${process.pid}.db`)
  const option = store === 'sqlite' ? { type: 'sqlite', path: file } : { type: 'memory' }
  const make = () => new WorkflowScheduleIntegration({ executor: async () => 'ok', store: option })
  try {
    const first = make()
    await first.start()
    let started = preciseNow()
    for (let i = 0; i < count; i++) await first.createScheduledWorkflow(config(i))
    const createPerSecond = count / ((preciseNow() - started) / 1000)
    await first.stop()
    if (store !== 'sqlite') return { createPerSecond }
    const bytes = fs.statSync(file).size
    const second = make()
    started = preciseNow()
    await second.start()
    const reopenMs = preciseNow() - started
    const restored = second.getScheduledWorkflows().length
    await second.stop()
    return { createPerSecond, reopenMs, restored, bytes }
  } finally {
    for (const f of storeFiles(file)) fs.rmSync(f, { force: true })
  }
}

/** In a child: one `syncScheduledWorkflows` of `count` configs on a started integration. */
async function syncAll({ count, store }) {
  const { WorkflowScheduleIntegration } = require('..')
  const file = path.join(os.tmpdir(), `tickflow-bench-sync-${process.pid}.db`)
  const option = store === 'sqlite' ? { type: 'sqlite', path: file } : { type: 'memory' }
  try {
    const integration = new WorkflowScheduleIntegration({ executor: async () => 'ok', store: option })
    await integration.start()
    const configs = Array.from({ length: count }, (_, i) => config(i))
    const started = preciseNow()
    const { created } = await integration.syncScheduledWorkflows(configs)
    const seconds = (preciseNow() - started) / 1000
    await integration.stop()
    if (created.length !== count) throw new Error(`sync created ${created.length} of ${count}`)
    return { perSecond: count / seconds }
  } finally {
    for (const f of storeFiles(file)) fs.rmSync(f, { force: true })
  }
}

const inChild = (args) => runInChild(__filename, 'createAndReopen', args, { timeoutMs: 300_000 })
const syncInChild = (args) => runInChild(__filename, 'syncAll', args, { timeoutMs: 300_000 })

function peers() {
  return { croner: { na: REASONS.noStore }, 'node-cron': { na: REASONS.noStore }, 'node-schedule': { na: REASONS.noStore }, 'cron-parser': { na: REASONS.notAScheduler } }
}

const failedOr = (result, pick) => (result.failed ? { failed: result.failed } : pick(result))

async function run(sizes) {
  const count = sizes.storeSchedules
  const sqlite = await inChild({ count, store: 'sqlite' })
  const memory = await inChild({ count, store: 'memory' })
  const syncMemory = await syncInChild({ count, store: 'memory' })
  const syncSqlite = await syncInChild({ count, store: 'sqlite' })
  const syncRate = (r) => (r.failed ? r.failed : `${Math.round(r.perSecond).toLocaleString('en-US')}/s`)
  const n = count.toLocaleString('en-US')
  return [
    {
      id: 'S1',
      title: `Creating ${n} schedules on the durable store`,
      unit: 'schedules/s',
      libraries: COLUMNS,
      what:
        `${n} \`createScheduledWorkflow\` calls, each awaited (so each is committed before the next: ` +
        'one SQLite transaction per schedule), on a started integration. The memory store in the same run for scale.',
      rows: [
        { label: 'sqlite store', better: 'higher', figures: { tickflow: failedOr(sqlite, (r) => r.createPerSecond), ...peers() } },
        { label: 'memory store', better: 'higher', figures: { tickflow: failedOr(memory, (r) => r.createPerSecond), ...peers() } },
      ],
      target: { text: 'none (issue 4 asks for the figure)', met: null, none: true },
    },
    {
      id: 'S2',
      title: `Reopening a store of ${n} schedules`,
      unit: 'ms',
      libraries: COLUMNS,
      what:
        `A fresh integration on the store S1 wrote: time from \`start()\` until it resolves (open the file, ` +
        'read every row, rebuild the schedules, arm their timers).',
      rows: [
        {
          label: 'start() on the store',
          better: 'lower',
          figures: { tickflow: failedOr(sqlite, (r) => r.reopenMs), ...peers() },
          comment: sqlite.failed ? '' : `${sqlite.restored.toLocaleString('en-US')} schedules restored from a ${(sqlite.bytes / 2 ** 20).toFixed(0)} MiB file`,
        },
      ],
      target: { text: 'none (issue 4 asks for the figure)', met: null, none: true },
    },
    {
      id: 'S3',
      title: `Declaring ${n} schedules in one syncScheduledWorkflows call`,
      unit: 'schedules/s',
      libraries: COLUMNS,
      what:
        `One \`syncScheduledWorkflows(configs)\` of ${n} configs (the configs of S1) on a started, empty ` +
        'integration: every config checked first, then all applied in one store commit; timed until it resolves.',
      rows: [
        { label: 'memory store', better: 'higher', figures: { tickflow: failedOr(syncMemory, (r) => r.perSecond), ...peers() } },
        { label: 'sqlite store', better: 'higher', figures: { tickflow: failedOr(syncSqlite, (r) => r.perSecond), ...peers() } },
      ],
      target: {
        text: '≥ 200,000/s memory, ≥ 50,000/s sqlite',
        met: !syncMemory.failed && !syncSqlite.failed && syncMemory.perSecond >= 200_000 && syncSqlite.perSecond >= 50_000,
        detail: `memory ${syncRate(syncMemory)}, sqlite ${syncRate(syncSqlite)}`,
      },
    },
  ]
}

module.exports = { run, createAndReopen, syncAll }
