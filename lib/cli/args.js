'use strict'
// The commands' arguments, parsed by node:util's parseArgs (strict: an unknown option is an
// error) with named positionals and usage errors that name the culprit.

const util = require('node:util')
const { UsageError } = require('./errors.js')
const { redact } = require('./redact.js')

/**
 * @param {string[]} argv
 * @param {{ positionals: string[], options: Record<string, { type: 'string' | 'boolean', short?: string }> }} spec
 *   `positionals` names the positional arguments in order (a trailing '?' marks one optional).
 * @returns {{ options: Record<string, string | boolean>, positionals: Record<string, string> }}
 */
function parseArgs(argv, spec) {
  let parsed
  try {
    parsed = util.parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(usageMessage(err))
  }
  const options = { ...parsed.values }
  if (options.help) return { options, positionals: {} }
  const values = parsed.positionals
  const positionals = {}
  spec.positionals.forEach((slot, index) => {
    const optional = slot.endsWith('?')
    const name = optional ? slot.slice(0, -1) : slot
    if (index < values.length) positionals[name] = values[index]
    else if (!optional) throw new UsageError(`missing argument <${name}>`)
  })
  if (values.length > spec.positionals.length) {
    throw new UsageError(`unexpected argument '${redact(values[spec.positionals.length])}'`)
  }
  return { options, positionals }
}

/** parseArgs's messages, shortened to what the user typed and what is wrong with it. */
function usageMessage(err) {
  const unknown = /^Unknown option '([^']+)'/.exec(err.message)
  if (unknown) return `unknown option '${unknown[1]}'`
  const flag = /^Option '(?:-\w, )?(--[\w-]+)/.exec(err.message)
  if (flag && /argument missing/.test(err.message)) return `option '${flag[1]}' needs a value`
  if (flag && /does not take an argument/.test(err.message)) return `option '${flag[1]}' takes no value`
  return err.message
}

/** A whole number from `min` to `max` given to `flag`. */
function parseCount(text, flag, { min = 1, max = 1000 } = {}) {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${flag} expects a whole number from ${min} to ${max}, got '${text}'`)
  }
  return Number(text)
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** '20s', '1m30s', '500ms', '2h' → milliseconds. */
function parseDuration(text, flag) {
  const parts = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:ms|s|m|h|d)/g) : null
  const ms = parts && parts.reduce((sum, part) => {
    const [, amount, unit] = part.match(/^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/)
    return sum + Number(amount) * UNIT_MS[unit]
  }, 0)
  if (!parts || ms <= 0 || ms > 2_147_483_647) {
    throw new UsageError(`${flag} expects a duration such as 20s, 1m30s, 500ms or 2h, got '${text}'`)
  }
  return Math.round(ms)
}

module.exports = { parseArgs, parseCount, parseDuration }
