'use strict'
// The tickflow command: picks the subcommand, prints help and version, and turns errors
// into messages and exit codes (0 ok, 1 runtime error, 2 usage or validation error).

const path = require('node:path')
const { UsageError, RuntimeError, EXIT } = require('./errors.js')
const { colours } = require('./format.js')
const { guard, hideSecret } = require('./terminal.js')
const { secretsIn } = require('./redact.js')

const COMMANDS = [require('./run.js'), require('./next.js'), require('./status.js'), require('./history.js'), require('./validate.js'), require('./dashboard.js')]

const SHORT_USAGE = `Usage: tickflow <command> [options]   (commands: ${COMMANDS.map((c) => c.name).join(', ')})
'tickflow --help' says more.`

/** The package's example file, as a path from the working directory: examples/schedules.json
 * in a clone, node_modules/tickflow/examples/schedules.json where tickflow is installed. */
function example() {
  const file = path.join(__dirname, '..', '..', 'examples', 'schedules.json')
  const relative = path.relative(process.cwd(), file)
  const shown = relative.startsWith('..') || path.isAbsolute(relative) ? file : relative
  return /[^\w./\\:-]/.test(shown) ? JSON.stringify(shown) : shown
}

function topHelp() {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `Usage: tickflow <command> [options]

Runs cron schedules that start commands or HTTP requests, and inspects them.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

Options:
  -h, --help     help; 'tickflow <command> --help' for a command's
  -v, --version  the version

Exit status: 0 ok, 1 runtime error (e.g. the store cannot open), 2 usage or validation error.

Start with:
  tickflow validate ${example()}
  tickflow run ${example()} --for 20s --store memory
  tickflow next "0 9 * * 1-5" --tz Europe/Berlin`
}

/** Runs the command line `argv` (without node and the script); resolves to the exit code. */
async function main(argv, { out = process.stdout, err = process.stderr } = {}) {
  // Everything printed passes the boundary that escapes control characters and hides secrets.
  const io = { out: guard(out), err: guard(err) }
  // A password on the command line (--store postgres://…, or one given where it does not
  // belong) is hidden wherever a message would quote it.
  for (const arg of argv) if (/:\/|@|pass/i.test(arg)) for (const secret of secretsIn(arg)) hideSecret(secret)
  const [name, ...rest] = argv
  const command = COMMANDS.find((c) => c.name === name)
  try {
    if (name === '-h' || name === '--help' || name === 'help') {
      const about = COMMANDS.find((c) => c.name === rest[0])
      io.out.write(`${about ? about.help : topHelp()}\n`)
      return EXIT.OK
    }
    if (name === '-v' || name === '--version') {
      io.out.write(`tickflow ${require('../../package.json').version}\n`)
      return EXIT.OK
    }
    if (name === undefined) throw new UsageError('no command given', { usage: SHORT_USAGE })
    if (command === undefined) {
      const what = name.startsWith('-') ? `unknown option '${name}'` : `unknown command '${name}'`
      throw new UsageError(what, { usage: SHORT_USAGE })
    }
    return await command.run(rest, io)
  } catch (err) {
    return report(err, command, io.err)
  }
}

/** Prints `err` for a person and returns the exit code. */
function report(err, command, stream) {
  const paint = colours(stream)
  const prefix = `tickflow${command ? ` ${command.name}` : ''}:`
  if (err instanceof UsageError) {
    const lines = [`${prefix} ${paint.red(err.message)}`]
    if (err.details) lines.push(...err.details)
    if (typeof err.usage === 'string') lines.push('', err.usage)
    else if (err.usage !== false && command) lines.push('', `Usage: ${command.usage}`, `'tickflow ${command.name} --help' says more.`)
    stream.write(`${lines.join('\n')}\n`)
    return EXIT.USAGE
  }
  if (err instanceof RuntimeError) {
    const lines = [`${prefix} ${paint.red(err.message)}${err.code ? ` (${err.code})` : ''}`]
    if (err.hint) lines.push(`  ${err.hint}`)
    stream.write(`${lines.join('\n')}\n`)
    return EXIT.RUNTIME
  }
  // A bug or an unexpected failure: keep the stack.
  const code = err && err.code ? ` (${err.code})` : ''
  stream.write(`${prefix} ${paint.red(`unexpected error${code}`)}\n${(err && err.stack) || err}\n`)
  return EXIT.RUNTIME
}

module.exports = { main }
