'use strict'
// A small argument parser: `--name value`, `--name=value`, `-n value`, boolean flags, and
// `--` to end the options. Each command describes its arguments; anything else is a usage
// error that names the culprit.

const { UsageError } = require('./errors.js')

/**
 * @param {string[]} argv
 * @param {{ positionals: string[], options: Record<string, { type: 'string' | 'boolean', short?: string }> }} spec
 *   `positionals` names the positional arguments in order (a trailing '?' marks one optional).
 * @returns {{ options: Record<string, string | boolean>, positionals: Record<string, string> }}
 */
function parseArgs(argv, spec) {
  const fail = (message) => new UsageError(message)
  const byShort = new Map()
  for (const [name, def] of Object.entries(spec.options)) if (def.short) byShort.set(def.short, name)

  const options = {}
  const values = []
  let onlyPositionals = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (onlyPositionals || arg === '-' || !arg.startsWith('-')) {
      values.push(arg)
      continue
    }
    if (arg === '--') {
      onlyPositionals = true
      continue
    }
    let name
    let inline
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=')
      name = eq === -1 ? arg.slice(2) : arg.slice(2, eq)
      inline = eq === -1 ? undefined : arg.slice(eq + 1)
      if (!Object.hasOwn(spec.options, name)) throw fail(`unknown option '--${name}'`)
    } else {
      name = byShort.get(arg.slice(1, 2))
      if (name === undefined) throw fail(`unknown option '${arg}'`)
      if (arg.length > 2) inline = arg.slice(2) // -n5
    }
    const flag = arg.startsWith('--') ? `--${name}` : `-${spec.options[name].short}`
    if (spec.options[name].type === 'boolean') {
      if (inline !== undefined) throw fail(`option '${flag}' takes no value`)
      options[name] = true
    } else if (inline !== undefined) {
      options[name] = inline
    } else {
      if (i + 1 >= argv.length) throw fail(`option '${flag}' needs a value`)
      options[name] = argv[++i]
    }
  }

  if (options.help) return { options, positionals: {} }

  const positionals = {}
  spec.positionals.forEach((slot, index) => {
    const optional = slot.endsWith('?')
    const name = optional ? slot.slice(0, -1) : slot
    if (index < values.length) positionals[name] = values[index]
    else if (!optional) throw fail(`missing argument <${name}>`)
  })
  if (values.length > spec.positionals.length) {
    throw fail(`unexpected argument '${values[spec.positionals.length]}'`)
  }
  return { options, positionals }
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
