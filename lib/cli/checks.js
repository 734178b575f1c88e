'use strict'
// Small composable checks for JSON values, written to mirror a JSON Schema: each check
// pushes `{ path, message }` for every problem it finds, so a file's errors are all
// reported at once. `check.meta` keeps the schema keywords the check enforces, which lets
// a test hold these checks and schema/schedules.schema.json to the same rules. Each problem
// also carries the `code` (and `kind`: 'type' or 'range') a thrown error would have, and the
// bad `value`, for callers in code rather than in a file.

const check = (meta, fn) => Object.assign(fn, { meta })

function show(value) {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'function') return 'a function'
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'symbol') return value.toString()
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function integer(minimum, maximum) {
  return check({ type: 'integer', minimum, maximum }, (value, path, errors) => {
    if (!Number.isInteger(value) || value < minimum || value > maximum) {
      errors.push(problem(path, `expected a whole number from ${minimum} to ${maximum}, got ${show(value)}`, value, typeof value === 'number' ? RANGE : TYPE))
    }
  })
}

function number(minimum, maximum) {
  return check({ type: 'number', minimum, maximum }, (value, path, errors) => {
    if (typeof value !== 'number' || !(value >= minimum && value <= maximum)) {
      errors.push(problem(path, `expected a number from ${minimum} to ${maximum}, got ${show(value)}`, value, typeof value === 'number' ? RANGE : TYPE))
    }
  })
}

function boolean() {
  return check({ type: 'boolean' }, (value, path, errors) => {
    if (typeof value !== 'boolean') errors.push(problem(path, `expected true or false, got ${show(value)}`, value, TYPE))
  })
}

/** `pattern` is a RegExp; `patternHint` says in words what it allows. */
function string({ minLength = 0, maxLength = Infinity, pattern, patternHint } = {}) {
  const meta = { type: 'string', minLength, maxLength, pattern: pattern && pattern.source }
  return check(meta, (value, path, errors) => {
    if (typeof value !== 'string') return errors.push(problem(path, `expected a string, got ${show(value)}`, value, TYPE))
    if (value.length < minLength) return errors.push(problem(path, minLength === 1 ? 'must not be empty' : `expected at least ${minLength} characters`, value, RANGE))
    if (value.length > maxLength) return errors.push(problem(path, `expected at most ${maxLength} characters, got ${value.length}`, value, RANGE))
    if (pattern && !pattern.test(value)) errors.push(problem(path, `${patternHint}, got ${show(value)}`, value, VALUE))
  })
}

function oneOf(values) {
  return check({ enum: values }, (value, path, errors) => {
    if (!values.includes(value)) errors.push(problem(path, `expected one of ${values.map((v) => `'${v}'`).join(', ')}, got ${show(value)}`, value, VALUE))
  })
}

/** Anything JSON can hold. */
function any() {
  return check({}, () => {})
}

/** Passes when one of the checks passes; `expected` says in words what they allow. */
function either(checks, expected) {
  return check({ anyOf: checks.map((c) => c.meta) }, (value, path, errors) => {
    const passes = checks.some((c) => {
      const found = []
      c(value, path, found)
      return found.length === 0
    })
    if (!passes) errors.push(problem(path, `expected ${expected}, got ${show(value)}`, value, VALUE))
  })
}

function arrayOf(item, { minItems = 0, first } = {}) {
  return check({ type: 'array', minItems, items: item.meta }, (value, path, errors) => {
    if (!Array.isArray(value)) return errors.push(problem(path, `expected an array, got ${show(value)}`, value, TYPE))
    if (value.length < minItems) return errors.push(problem(path, `expected at least ${minItems} item${minItems === 1 ? '' : 's'}`, value, RANGE))
    value.forEach((element, i) => (i === 0 && first ? first : item)(element, `${path}[${i}]`, errors))
  })
}

/** An object with any keys, each value passing `valueCheck` (headers, env). */
function mapOf(valueCheck) {
  return check({ type: 'object', additionalProperties: valueCheck.meta }, (value, path, errors) => {
    if (!isPlainObject(value)) return errors.push(problem(path, `expected an object, got ${show(value)}`, value, TYPE))
    for (const [key, element] of Object.entries(value)) valueCheck(element, `${path}.${key}`, errors)
  })
}

/** An object with known fields only; `required` lists the fields that must be there. */
function object(fields, { required = [] } = {}) {
  return check({ type: 'object', properties: fields, required }, (value, path, errors) => {
    if (!isPlainObject(value)) return errors.push(problem(path, `expected an object, got ${show(value)}`, value, TYPE))
    for (const name of required) {
      if (!Object.hasOwn(value, name)) errors.push(problem(join(path, name), 'is required', undefined, MISSING))
    }
    for (const [name, element] of Object.entries(value)) {
      if (Object.hasOwn(fields, name)) fields[name](element, join(path, name), errors)
      else errors.push(problem(join(path, name), `unknown field (allowed: ${Object.keys(fields).join(', ')})`, element, UNKNOWN))
    }
  })
}

const TYPE = ['ERR_INVALID_ARG_TYPE', 'type']
const RANGE = ['ERR_OUT_OF_RANGE', 'range']
const VALUE = ['ERR_INVALID_OPTION_VALUE', 'range']
const MISSING = ['ERR_MISSING_FIELD', 'type']
const UNKNOWN = ['ERR_UNKNOWN_OPTION', 'type']
const problem = (path, message, value, [code, kind]) => ({ path, message, code, kind, value })

const join = (path, name) => (path ? `${path}.${name}` : name)
const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value)

module.exports = { integer, number, boolean, string, oneOf, any, either, arrayOf, mapOf, object, isPlainObject }
