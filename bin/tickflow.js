#!/usr/bin/env node
'use strict'
// The tickflow command; everything is in lib/cli/. `tickflow --help` lists the commands.

let main
try {
  ;({ main } = require('../lib/cli/main.js'))
} catch (err) {
  // No native binary for this platform: the message says which and what to do; a stack
  // trace would bury it.
  if (err.code !== 'ERR_NO_BINARY') throw err
  process.stderr.write(`${err.message}\n`)
  process.exit(1)
}

// Output piped into a program that has quit (`tickflow next ... | head -3`) is not an error.
process.stdout.on('error', (err) => {
  if (err.code !== 'EPIPE') throw err
})

main(process.argv.slice(2)).then((code) => {
  // Set, not process.exit(): output still being written reaches the terminal or pipe.
  process.exitCode = code
  // After a failure, something may still hold the event loop (a half-started integration):
  // do not hang. The timer is unref'd, so it never delays a process that is done.
  if (code !== 0) setTimeout(() => process.exit(code), 2000).unref()
})
