'use strict'
// Small composable checks for JSON values, written to mirror a JSON Schema: each check
// pushes `{ path, message }` for every problem it finds, so a file's errors are all
// reported at once. `check.meta` keeps the schema keywords the check enforces, which lets
// a test hold these checks and schema/schedules.schema.json to the same rules.

const check = (meta, fn) => Object.assign(fn, { meta })

function show(value) {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  const text = JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function integer(minimum, maximum) {
  return check({ type: 'integer', minimum, maximum }, (value, path, errors) => {
    if (!Number.isInteger(value) || value < minimum || value > maximum) {
      errors.push({ path, message: `expected a whole number from ${minimum} to ${maximum}, got ${show(value)}` })
    }
  })
}

function number(minimum, maximum) {
  return check({ type: 'number', minimum, maximum }, (value, path, errors) => {
    if (typeof value !== 'number' || !(value >= minimum && value <= maximum)) {
      errors.push({ path, message: `expected a number from ${minimum} to ${maximum}, got ${show(value)}` })
    }
  })
}

function boolean() {
  return check({ type: 'boolean' }, (value, path, errors) => {
    if (typeof value !== 'boolean') errors.push({ path, message: `expected true or false, got ${show(value)}` })
  })
}

/** `pattern` is a RegExp; `patternHint` says in words what it allows. */
function string({ minLength = 0, maxLength = Infinity, pattern, patternHint } = {}) {
  const meta = { type: 'string', minLength, maxLength, pattern: pattern && pattern.source }
  return check(meta, (value, path, errors) => {
    if (typeof value !== 'string') return errors.push({ path, message: `expected a string, got ${show(value)}` })
    if (value.length < minLength) return errors.push({ path, message: minLength === 1 ? 'must not be empty' : `expected at least ${minLength} characters` })
    if (value.length > maxLength) return errors.push({ path, message: `expected at most ${maxLength} characters, got ${value.length}` })
    if (pattern && !pattern.test(value)) errors.push({ path, message: `${patternHint}, got ${show(value)}` })
  })
}

function oneOf(values) {
  return check({ enum: values }, (value, path, errors) => {
    if (!values.includes(value)) errors.push({ path, message: `expected one of ${values.map((v) => `'${v}'`).join(', ')}, got ${show(value)}` })
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
    if (!passes) errors.push({ path, message: `expected ${expected}, got ${show(value)}` })
  })
}

function arrayOf(item, { minItems = 0, first } = {}) {
  return check({ type: 'array', minItems, items: item.meta }, (value, path, errors) => {
    if (!Array.isArray(value)) return errors.push({ path, message: `expected an array, got ${show(value)}` })
    if (value.length < minItems) return errors.push({ path, message: `expected at least ${minItems} item${minItems === 1 ? '' : 's'}` })
    value.forEach((element, i) => (i === 0 && first ? first : item)(element, `${path}[${i}]`, errors))
  })
}

/** An object with any keys, each value passing `valueCheck` (headers, env). */
function mapOf(valueCheck) {
  return check({ type: 'object', additionalProperties: valueCheck.meta }, (value, path, errors) => {
    if (!isPlainObject(value)) return errors.push({ path, message: `expected an object, got ${show(value)}` })
    for (const [key, element] of Object.entries(value)) valueCheck(element, `${path}.${key}`, errors)
  })
}

/** An object with known fields only; `required` lists the fields that must be there. */
function object(fields, { required = [] } = {}) {
  return check({ type: 'object', properties: fields, required }, (value, path, errors) => {
    if (!isPlainObject(value)) return errors.push({ path, message: `expected an object, got ${show(value)}` })
    for (const name of required) {
      if (!Object.hasOwn(value, name)) errors.push({ path: join(path, name), message: 'is required' })
    }
    for (const [name, element] of Object.entries(value)) {
      if (Object.hasOwn(fields, name)) fields[name](element, join(path, name), errors)
      else errors.push({ path: join(path, name), message: `unknown field (allowed: ${Object.keys(fields).join(', ')})` })
    }
  })
}

const join = (path, name) => (path ? `${path}.${name}` : name)
const isPlainObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value)

module.exports = { integer, number, boolean, string, oneOf, any, either, arrayOf, mapOf, object, isPlainObject }
