'use strict'
// tickflow status: one row per schedule in the store: next run, last run and its status,
// success rate and average duration. Reads the store without locking it.

const { parseArgs } = require('./args.js')
const { colours, table, formatDuration, formatRelative, percent } = require('./format.js')
const { openForReading, DEFAULT_DB } = require('./store.js')

const usage = 'tickflow status [--db PATH]'

const help = `Usage: ${usage}

Shows the schedules in a store: state, next run, last run and its status, runs, success
rate and average duration. It reads the store without locking it, so it works while a
'tickflow run' is using it.

Options:
  --db PATH    the sqlite store (default ${DEFAULT_DB})
  -h, --help   this help

Exit status: 0 shown, 1 the store cannot be read, 2 bad options.`

const spec = { positionals: [], options: { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } } }

async function status(argv, { out }) {
  const { options } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const db = options.db === undefined ? DEFAULT_DB : options.db
  const integration = await openForReading(db)
  out.write(`${renderStatus(integration, { paint: colours(out), source: db })}\n`)
  return 0
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

/** The status table of every schedule `integration` holds. */
function renderStatus(integration, { paint, source, now = new Date() }) {
  const configs = integration.getScheduledWorkflows()
  if (configs.length === 0) return `no schedules in ${source}`
  const rows = configs.map((config) => {
    const s = integration.getScheduleStatus(config.scheduleId)
    const m = s.metrics
    const nextRun = nextRunOf(integration, config.scheduleId, s)
    return [
      config.scheduleId,
      config.scheduleConfig.cronExpression,
      statusColour(paint, s.status),
      nextRun ? formatRelative(nextRun, now) : '-',
      s.lastExecution ? formatRelative(s.lastExecution, now) : '-',
      statusColour(paint, s.lastExecutionStatus),
      String(m.totalExecutions),
      m.totalExecutions > 0 ? percent(m.successRate * 100) : '-',
      m.successfulExecutions > 0 ? formatDuration(m.averageExecutionTime) : '-',
    ]
  })
  const headers = ['schedule', 'cron', 'state', 'next run', 'last run', 'last status', 'runs', 'success', 'avg duration']
  return `${paint.bold(`${configs.length} schedule${configs.length === 1 ? '' : 's'} in ${source}`)}\n${table(headers, rows, { right: [6, 7, 8], paint })}`
}

module.exports = { name: 'status', summary: 'schedules in the store: next run, last status, success rate', usage, help, run: status, renderStatus, statusColour, nextRunOf }
