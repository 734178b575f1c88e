'use strict'
// tickflow validate <schedules.json>: every problem in the file, each with its path.

const { parseArgs } = require('./args.js')
const { UsageError } = require('./errors.js')
const { colours } = require('./format.js')
const { readSchedulesFile, checkSchedules } = require('./schedules-file.js')

const usage = 'tickflow validate <schedules.json>'

const help = `Usage: ${usage}

Checks a schedules file: its shape (schema/schedules.schema.json in this package), unique
ids, cron patterns and time zones, and that every environment variable an action names as
\${NAME} is set. Lists every error with its path in the file, and warns of credentials
written in a URL.

Options:
  -h, --help   this help

Exit status: 0 valid (warnings may be printed), 2 errors found or the file cannot be read.`

const spec = { positionals: ['file'], options: { help: { type: 'boolean', short: 'h' } } }

async function validate(argv, { out }) {
  const { options, positionals } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const { file } = positionals
  const doc = readSchedulesFile(file)
  const { errors, warnings } = checkSchedules(doc)
  const paint = colours(out)
  for (const w of warnings) out.write(`${paint.yellow('warning')} ${w.path}: ${w.message}\n`)
  if (errors.length > 0) throw fileErrors(file, errors)
  const n = doc.schedules.length
  out.write(`${paint.green('ok')} ${file}: ${n} schedule${n === 1 ? '' : 's'}, no errors\n`)
  return 0
}

/** Reads and checks a file for `run`: the same errors as validate, as one UsageError. */
function loadValidFile(file) {
  const doc = readSchedulesFile(file)
  const { errors } = checkSchedules(doc)
  if (errors.length > 0) throw fileErrors(file, errors)
  return doc
}

function fileErrors(file, errors) {
  return new UsageError(`${file}: ${errors.length} error${errors.length === 1 ? '' : 's'}`, {
    usage: false,
    details: errors.map((e) => `  ${e.path || '(file)'}: ${e.message}`),
  })
}

module.exports = { name: 'validate', summary: 'check a schedules file', usage, help, run: validate, loadValidFile }
