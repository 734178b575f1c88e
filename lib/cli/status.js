'use strict'
// tickflow status: one row per schedule in the store: next run, last run and its status,
// success rate and average duration, then any stalled runs. Reads the store without locking it.

const { parseArgs } = require('./args.js')
const { colours, table, formatDuration, formatRelative, percent } = require('./format.js')
const { openForReading, DEFAULT_DB, sourceLabel, isRunning } = require('./store.js')
const { sequence } = require('./terminal.js')

const usage = 'tickflow status [--db PATH | --store postgres://…] [--json] [--watch]'

const help = `Usage: ${usage}

Shows the schedules in a store: state, next run, last run and its status, runs, success
rate and average duration; below them, runs still going after their schedule's period (or
stallAfterMs). It reads the store without locking it, so it works while a 'tickflow run' is
using it.

Options:
  --db PATH          the sqlite store (default ${DEFAULT_DB})
  --store postgres://user@host/db
                     a cluster's PostgreSQL database instead (its password is never printed)
  --json             one JSON object per schedule, in an array, for scripts
  --watch            show it again every 2 seconds, until Ctrl-C
  -h, --help         this help

On a sqlite store that no 'tickflow run' holds, nothing fires: the next run says so.

Exit status: 0 shown, 1 the store cannot be read, 2 bad options.`

const spec = {
  positionals: [],
  options: { db: { type: 'string' }, store: { type: 'string' }, json: { type: 'boolean' }, watch: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
}

const WATCH_MS = 2000

async function status(argv, { out }) {
  const { options } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const db = options.db === undefined ? DEFAULT_DB : options.db
  const show = async () => {
    const integration = await openForReading(db, options.store)
    const running = isRunning(db, options.store)
    try {
      return options.json
        ? `${JSON.stringify(await statusJson(integration, { running }), null, 2)}\n`
        : `${await renderStatus(integration, { paint: colours(out), source: sourceLabel(db, options.store), running })}\n`
    } finally {
      await integration.stop()
    }
  }
  if (!options.watch) return out.write(await show()), 0
  let stopped = false
  let wake = () => {}
  const stop = () => {
    stopped = true
    wake()
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  try {
    while (!stopped) {
      const text = await show()
      // A terminal gets the screen cleared between views; a pipe gets them one after another.
      out.write(out.isTTY && !options.json ? `${sequence('[2J')}${sequence('[H')}${text}` : text)
      if (stopped) break
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, WATCH_MS)
        wake = () => (clearTimeout(timer), resolve())
      })
    }
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
  return 0
}

/** Schedules in a stable order, whatever order the store holds them in. */
const byScheduleId = (configs) => configs.sort((a, b) => (a.scheduleId < b.scheduleId ? -1 : a.scheduleId > b.scheduleId ? 1 : 0))

/** What the table shows, as data. */
async function statusJson(integration, { running = null } = {}) {
  const rows = []
  for (const config of byScheduleId(integration.getScheduledWorkflows())) {
    const s = await integration.getScheduleStatus(config.scheduleId)
    const m = s.metrics
    const nextRun = running === false ? null : nextRunOf(integration, config.scheduleId, s)
    rows.push({
      scheduleId: config.scheduleId,
      cron: config.scheduleConfig.cronExpression,
      timezone: config.scheduleConfig.timezone,
      state: s.status,
      nextRun: nextRun ? nextRun.toISOString() : null,
      running,
      lastRun: s.lastExecution ? s.lastExecution.toISOString() : null,
      lastStatus: s.lastExecutionStatus || null,
      lastError: s.lastError || null,
      runs: m.totalExecutions,
      successRate: m.totalExecutions > 0 ? m.successRate : null,
      averageDurationMs: m.totalExecutions > 0 ? m.averageExecutionTime : null,
      health: s.health.status,
      stalled: stalledRuns(s),
    })
  }
  return rows
}

/** The runs a schedule's health names as stalled: `{ executionId, runningMs, severity }`. */
function stalledRuns(status) {
  return status.health.issues
    .filter((issue) => issue.executionId !== undefined)
    .map(({ executionId, runningMs, severity }) => ({ executionId, runningMs, severity }))
}

/** Colour of an execution status or schedule state. */
function statusColour(paint, value) {
  if (value === 'completed' || value === 'active') return paint.green(value)
  if (value === 'failed' || value === 'timeout' || value === 'error') return paint.red(value)
  if (value === 'running' || value === 'retrying' || value === 'queued') return paint.cyan(value)
  return value ? paint.yellow(value) : '-'
}

/**
 * An active schedule's next run. A store read without running arms no timer, so the
 * status has none: it is worked out from the pattern.
 */
function nextRunOf(integration, scheduleId, status) {
  if (status.status !== 'active') return null
  return status.nextExecution || integration.getNextExecutionTimes(scheduleId, 1)[0] || null
}

/** The next-run cell: 'in 3s', '-', or 'not running' when nothing holds the store. */
function nextRunText(integration, scheduleId, status, { running, now }) {
  const nextRun = nextRunOf(integration, scheduleId, status)
  if (nextRun === null) return '-'
  return running === false ? 'not running' : formatRelative(nextRun, now)
}

/** The status table of every schedule `integration` holds. */
async function renderStatus(integration, { paint, source, now = new Date(), running = null }) {
  const configs = byScheduleId(integration.getScheduledWorkflows())
  if (configs.length === 0) return `no schedules in ${source}`
  const stalled = []
  const rows = []
  for (const config of configs) {
    const s = await integration.getScheduleStatus(config.scheduleId)
    for (const run of stalledRuns(s)) {
      const mark = run.severity === 'high' ? paint.red('stalled') : paint.yellow('stalled')
      stalled.push(`${mark} ${config.scheduleId}: ${run.executionId} running for ${formatDuration(run.runningMs)}`)
    }
    const m = s.metrics
    rows.push([
      config.scheduleId,
      config.scheduleConfig.cronExpression,
      statusColour(paint, s.status),
      nextRunText(integration, config.scheduleId, s, { running, now }),
      s.lastExecution ? formatRelative(s.lastExecution, now) : '-',
      statusColour(paint, s.lastExecutionStatus),
      String(m.totalExecutions),
      m.totalExecutions > 0 ? percent(m.successRate * 100) : '-',
      m.successfulExecutions > 0 ? formatDuration(m.averageExecutionTime) : '-',
    ])
  }
  const headers = ['schedule', 'cron', 'state', 'next run', 'last run', 'last status', 'runs', 'success', 'avg duration']
  const notes = stalled.length > 0 ? `\n\n${stalled.join('\n')}` : ''
  const idle = running === false ? paint.yellow(" (not running: nothing fires until 'tickflow run' holds it)") : ''
  return `${paint.bold(`${configs.length} schedule${configs.length === 1 ? '' : 's'} in ${source}`)}${idle}\n${table(headers, rows, { right: [6, 7, 8], paint })}${notes}`
}

module.exports = { name: 'status', summary: 'schedules in the store: next run, last status, success rate', usage, help, run: status, renderStatus, statusJson, statusColour, nextRunText, stalledRuns }
