'use strict'
// One line per integration event while `tickflow run` runs:
//   12:00:05.003  heartbeat   completed  exec_01m8znd2400kk109xqaddz1  #1  41ms  hello from node

const { clockTime, formatDuration, oneLine } = require('./format.js')

const LABELS = {
  'integration.started': 'started',
  'integration.stopped': 'stopped',
  'integration.error': 'error',
  'schedule.created': 'created',
  'schedule.updated': 'updated',
  'schedule.deleted': 'deleted',
  'schedule.paused': 'paused',
  'schedule.resumed': 'resumed',
  'schedule.expired': 'expired',
  'schedule.triggered': 'triggered',
  'schedule.skipped': 'skipped',
  'workflow.started': 'running',
  'workflow.retrying': 'retrying',
  'workflow.timeout': 'timeout',
  'workflow.completed': 'completed',
  'workflow.failed': 'failed',
  'workflow.cancelled': 'cancelled',
}
const LABEL_WIDTH = Math.max(...Object.values(LABELS).map((l) => l.length))

/** Returns `format(event)` → one line; `scheduleWidth` aligns the schedule column. */
function liveLog(paint, scheduleWidth) {
  const colourOf = {
    completed: paint.green, failed: paint.red, error: paint.red, timeout: paint.red,
    retrying: paint.yellow, skipped: paint.yellow, cancelled: paint.magenta, expired: paint.magenta,
    triggered: paint.cyan, running: paint.cyan,
  }
  return function format(event) {
    const label = LABELS[event.type] || event.type
    const who = event.scheduleId || (event.type.startsWith('integration.') ? 'tickflow' : '')
    const colour = colourOf[label] || paint.dim
    const parts = [
      paint.dim(clockTime(event.timestamp)),
      who.padEnd(scheduleWidth),
      colour(label.padEnd(LABEL_WIDTH)),
      ...details(event, paint),
    ]
    return parts.join('  ').trimEnd()
  }
}

/** The fields worth a glance, for each event type. */
function details(e, paint) {
  // Whole: the id is what a reader pastes into getExecution or finds in other logs.
  const exec = e.executionId ? [e.executionId] : []
  const error = e.error ? [paint.red(`${e.error.code}: ${oneLine(e.error.message, 100)}`)] : []
  switch (e.type) {
    case 'schedule.triggered':
      return [...exec, e.triggerType === 'scheduled' ? `for ${clockTime(e.scheduledTime)}` : e.triggerType]
    case 'workflow.started':
      return [...exec, `#${e.attempt}`]
    case 'workflow.retrying':
      return [...exec, `#${e.attempt} in ${formatDuration(e.delayMs)}`, ...error]
    case 'workflow.timeout':
      return [...exec, `#${e.attempt}`, `after ${formatDuration(e.timeoutMs)}`]
    case 'workflow.completed':
      return [...exec, `#${e.attempts}`, formatDuration(e.duration), paint.dim(resultLine(e.result))]
    case 'workflow.failed':
      return [...exec, `#${e.attempts}`, formatDuration(e.duration), ...error]
    case 'workflow.cancelled':
      return [...exec, e.reason]
    case 'schedule.skipped':
      return [`fire at ${clockTime(e.scheduledTime)}`, `(${e.reason})`]
    case 'integration.error':
      return [paint.red(`${e.code}: ${oneLine(e.message, 120)}`)]
    default:
      return []
  }
}

/** What a finished action said: a command's first stdout line, a response's status. */
function resultLine(result) {
  if (result === null || typeof result !== 'object') return ''
  if (typeof result.stdout === 'string') return oneLine(result.stdout, 60)
  if (typeof result.status === 'number') return `HTTP ${result.status}`
  return ''
}

module.exports = { liveLog }
