'use strict'
// The two ways a command fails, each with its exit code (see `tickflow --help`).

/**
 * Bad input from the user: an unknown flag, a missing argument, an invalid file. Exit 2.
 * `details` are extra lines (one per validation error, say); `usage` is the usage text to
 * print after them: by default the command's, false for none (the input was a file, not
 * the command line).
 */
class UsageError extends Error {
  constructor(message, { usage, details } = {}) {
    super(message)
    this.name = 'UsageError'
    this.exitCode = 2
    this.usage = usage
    this.details = details
  }
}

/** Something went wrong while doing the work: the store cannot open, a schedule was refused. Exit 1. */
class RuntimeError extends Error {
  constructor(message, { code, hint } = {}) {
    super(message)
    this.name = 'RuntimeError'
    this.exitCode = 1
    this.code = code
    this.hint = hint
  }
}

const EXIT = Object.freeze({ OK: 0, RUNTIME: 1, USAGE: 2 })

module.exports = { UsageError, RuntimeError, EXIT }
