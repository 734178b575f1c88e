'use strict'
// What `tickflow run` did, counted from the events of this run: printed when it stops.

const { table, formatDuration } = require('./format.js')

class RunTally {
  constructor(scheduleIds) {
    this.rows = new Map(scheduleIds.map((id) => [id, { runs: 0, completed: 0, failed: 0, cancelled: 0, skipped: 0, durationMs: 0, finished: 0 }]))
  }

  record(event) {
    const row = this.rows.get(event.scheduleId)
    if (row === undefined) return
    switch (event.type) {
      case 'schedule.triggered':
        row.runs++
        break
      case 'schedule.skipped':
        row.skipped++
        break
      case 'workflow.completed':
      case 'workflow.failed': // status 'failed' or 'timeout'
        row[event.type === 'workflow.completed' ? 'completed' : 'failed']++
        row.durationMs += event.duration
        row.finished++
        break
      case 'workflow.cancelled':
        row.cancelled++
        break
    }
  }

  /** The summary table, and a line of totals; `durable`: the store keeps what did not finish. */
  render(paint, elapsedMs, durable) {
    const headers = ['schedule', 'runs', 'completed', 'failed', 'cancelled', 'skipped', 'avg duration']
    const rows = [...this.rows].map(([id, r]) => [
      id,
      String(r.runs),
      r.completed ? paint.green(String(r.completed)) : '0',
      r.failed ? paint.red(String(r.failed)) : '0',
      String(r.cancelled),
      String(r.skipped),
      r.finished ? formatDuration(r.durationMs / r.finished) : '-',
    ])
    const total = (key) => [...this.rows.values()].reduce((sum, r) => sum + r[key], 0)
    // Triggered and not ended when it stopped: a durable store keeps them for the next start.
    const unfinished = total('runs') - total('completed') - total('failed') - total('cancelled')
    const later = durable ? ` (${unfinished === 1 ? 'it runs' : 'they run'} again at the next start)` : ''
    const interrupted = unfinished > 0 ? `; ${unfinished} not finished at the stop${later}` : ''
    return [
      paint.bold(`Summary after ${formatDuration(elapsedMs)}`),
      table(headers, rows, { right: [1, 2, 3, 4, 5, 6], paint }),
      `${plural(total('runs'), 'execution')}: ${total('completed')} completed, ${total('failed')} failed, ${total('cancelled')} cancelled${interrupted}; ${plural(total('skipped'), 'fire')} skipped`,
    ].join('\n')
  }
}

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`

module.exports = { RunTally }
