'use strict'
// tickflow history <scheduleId>: a schedule's latest executions, newest first.

const { parseArgs, parseCount } = require('./args.js')
const { RuntimeError } = require('./errors.js')
const { colours, table, formatDuration, formatLocal, oneLine, percent } = require('./format.js')
const { openForReading, DEFAULT_DB, sourceLabel, isRunning } = require('./store.js')
const { statusColour, nextRunText } = require('./status.js')

const usage = 'tickflow history <scheduleId> [--db PATH | --store postgres://…] [-n N]'

const help = `Usage: ${usage}

Shows a schedule's latest executions, newest first: when, how it was triggered, status,
attempts, duration, and the error or the action's output. Reads the store without locking
it, so it works while a 'tickflow run' is using it.

Options:
  --db PATH          the sqlite store (default ${DEFAULT_DB})
  --store postgres://user@host/db
                     a cluster's PostgreSQL database instead (its password is never printed)
  -n, --count N      how many executions, 1 to 1000 (default 20)
  -h, --help         this help

Exit status: 0 shown, 1 the store cannot be read or has no such schedule, 2 bad options.`

const spec = {
  positionals: ['scheduleId'],
  options: { db: { type: 'string' }, store: { type: 'string' }, count: { type: 'string', short: 'n' }, help: { type: 'boolean', short: 'h' } },
}

async function history(argv, { out }) {
  const { options, positionals } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const count = options.count === undefined ? 20 : parseCount(options.count, '--count', { max: 1000 })
  const db = options.db === undefined ? DEFAULT_DB : options.db
  const integration = await openForReading(db, options.store)
  try {
    const running = isRunning(db, options.store)
    out.write(`${await renderHistory(integration, positionals.scheduleId, { paint: colours(out), count, source: sourceLabel(db, options.store), running })}\n`)
  } finally {
    // Closes the store (a cluster's connections) at once.
    await integration.stop()
  }
  return 0
}

/** The header line and execution table of one schedule; a RuntimeError if it is unknown. */
async function renderHistory(integration, scheduleId, { paint, count, source, now = new Date(), timeZone, running = null }) {
  const configs = integration.getScheduledWorkflows()
  const config = configs.find((c) => c.scheduleId === scheduleId || c.id === scheduleId)
  if (config === undefined) {
    const known = configs.map((c) => c.scheduleId).join(', ')
    throw new RuntimeError(`no schedule '${scheduleId}' in ${source}`, { hint: known ? `it has: ${known}` : 'it has no schedules' })
  }
  const s = await integration.getScheduleStatus(config.scheduleId)
  const m = s.metrics
  const zone = timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone
  const facts = [
    `state ${statusColour(paint, s.status)}`,
    `next run ${nextRunText(integration, config.scheduleId, s, { running, now })}`,
    `last status ${statusColour(paint, s.lastExecutionStatus)}`,
    `success ${m.totalExecutions > 0 ? percent(m.successRate * 100) : '-'}`,
    `avg duration ${m.successfulExecutions > 0 ? formatDuration(m.averageExecutionTime) : '-'}`,
    `${m.totalExecutions} runs`,
  ]
  const executions = await integration.listExecutions({ scheduleId: config.scheduleId, sortBy: 'scheduledTime', sortOrder: 'desc', limit: count })
  const rows = executions.map((e) => [
    formatLocal(e.scheduledTime, zone) || e.scheduledTime.toISOString(),
    e.triggerType,
    statusColour(paint, e.status),
    String(e.attempts.length),
    formatDuration(e.duration),
    outcome(e, paint),
  ])
  const lines = [
    paint.bold(`${config.scheduleId}  ${config.scheduleConfig.cronExpression}${config.scheduleConfig.timezone ? ` (${config.scheduleConfig.timezone})` : ''}`),
    facts.join(' · '),
    '',
    executions.length === 0 ? 'no executions yet' : table([`scheduled (${zone})`, 'trigger', 'status', 'attempts', 'duration', 'outcome'], rows, { right: [3, 4], paint }),
  ]
  return lines.join('\n')
}

/** The error, or what the action printed or answered. */
function outcome(e, paint) {
  if (e.error) return paint.red(`${e.error.code}: ${oneLine(e.error.message, 70)}`)
  if (e.cancelReason) return `cancelled (${e.cancelReason})`
  const r = e.result && e.result.output
  if (r && typeof r.stdout === 'string') return oneLine(r.stdout, 70)
  if (r && typeof r.status === 'number') return `HTTP ${r.status}`
  return ''
}

module.exports = { name: 'history', summary: "a schedule's latest executions", usage, help, run: history, renderHistory }
