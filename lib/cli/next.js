'use strict'
// tickflow next "<pattern>": the upcoming runs of a cron pattern, in a time zone and in UTC.

const { nextRuns, validateCron, describeCron } = require('../../index.js')
const { parseArgs, parseCount } = require('./args.js')
const { UsageError } = require('./errors.js')
const { isoMs } = require('../schedule-options.js')
const { colours, table, formatLocal, formatUtc, formatRelative } = require('./format.js')
const { pointAtErrors } = require('./cron-pointer.js')

const usage = 'tickflow next "<pattern>" [--tz ZONE] [-n N] [--from DATE]'

const help = `Usage: ${usage}

Prints the next runs of a cron pattern: local time in the zone, UTC, and how far away.

Options:
  --tz ZONE       IANA time zone the pattern is read in (default UTC)
  -n, --count N   how many runs, 1 to 1000 (default 5)
  --from DATE     count from this instant instead of now (ISO 8601, e.g. 2026-03-29T00:00:00Z)
  -h, --help      this help

Quote the pattern: the shell would expand its '*'.
Exit status: 0 printed, 2 bad pattern, zone or option.

Examples:
  tickflow next "0 9 * * 1-5" --tz Europe/Berlin
  tickflow next "*/10 * * * * *" -n 3
  tickflow next "30 2 * * *" --tz America/New_York --from 2026-03-07T00:00:00Z`

const spec = {
  positionals: ['pattern'],
  options: { tz: { type: 'string' }, count: { type: 'string', short: 'n' }, from: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
}

async function next(argv, { out }) {
  const { options, positionals } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const paint = colours(out)
  const { pattern } = positionals
  const timezone = options.tz === undefined ? 'UTC' : options.tz
  const count = options.count === undefined ? 5 : parseCount(options.count, '--count', { max: 1000 })
  const from = options.from === undefined ? new Date() : parseDate(options.from)

  const check = validateCron(pattern, timezone)
  if (!check.valid) {
    const zoneErrors = check.errors.filter((e) => e.startsWith('timezone:')).map((e) => `--tz: ${e.replace(/^timezone: /, '')}`)
    const patternErrors = check.errors.filter((e) => !e.startsWith('timezone:'))
    if (patternErrors.length === 0) throw new UsageError(zoneErrors.join('\n'), { usage: false })
    const details = [pointAtErrors(pattern, patternErrors, paint), ...zoneErrors.map((e) => `  ${e}`)]
    throw new UsageError(`invalid cron pattern '${pattern}'`, { details, usage: false })
  }

  const runs = nextRuns(pattern, { timezone, from, count })
  out.write(`${paint.bold(describeCron(pattern))} (${pattern}), in ${timezone}\n`)
  for (const warning of check.warnings) out.write(`${paint.yellow(`warning: ${warning}`)}\n`)
  if (runs.length === 0) {
    out.write(`no runs after ${formatUtc(from)}\n`)
    return 0
  }
  const rows = runs.map((run, i) => [String(i + 1), formatLocal(run, timezone) || '-', formatUtc(run), formatRelative(run, from)])
  out.write(`${table(['#', `local (${timezone})`, 'UTC', 'when'], rows, { right: [0], paint })}\n`)
  if (runs.length < count) out.write(`${paint.dim(`(no further runs: the pattern ends after ${runs.length})`)}\n`)
  return 0
}

/** `--from`: an ISO 8601 date-time with its offset, read as the API reads one. */
function parseDate(text) {
  try {
    return new Date(isoMs(text, '--from'))
  } catch {
    throw new UsageError(`--from expects an ISO 8601 date and time with its offset, such as 2026-03-29T00:00:00Z, got '${text}'`)
  }
}

module.exports = { name: 'next', summary: 'upcoming runs of a cron pattern', usage, help, run: next }
