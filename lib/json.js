'use strict'
// Values cross into the native core as JSON. A Date travels as { $date: ms } both ways, so
// that it survives the trip; everything else is plain JSON. A user's own object shaped like
// one ({ $date: … } or { $esc: … }, nothing else) travels as { $esc: object }, so that it
// comes back as it went, not as a Date.

function codedError(Kind, code, path, message, value) {
  const err = new Kind(`${path}: ${message}`)
  err.code = code
  err.path = path
  err.value = value
  return err
}

/**
 * JSON text for `value`; a value JSON cannot hold (BigInt, a cycle) is a TypeError. What JSON
 * would silently change is refused too, naming its path: a Map or Set without toJSON (it
 * would become {}), and, unless `data` (an executor's result, kept to JSON.stringify's
 * rules), a number that is not finite or an invalid Date (a RangeError: null reads as "not
 * set") and a function or symbol (a TypeError: a misspelt option holding one would vanish).
 */
function toJson(value, path, data = false) {
  try {
    // A replacer takes JSON.stringify off its fast path: use one only when a value needs it.
    if (!needsReplacer(value, 0)) return JSON.stringify(value)
    const wrappers = new Set()
    return JSON.stringify(value, function replace(key, v) {
      const original = this[key]
      // A Map or Set would be stored as {}: its entries lost (unless it says how it is JSON).
      if (isBareCollection(original)) throw NOT_JSON
      if (original instanceof Date) {
        const ms = original.getTime()
        if (!data && !Number.isFinite(ms)) throw NOT_JSON
        return { $date: Number.isFinite(ms) ? ms : null }
      }
      if (!data && ((typeof v === 'number' && !Number.isFinite(v)) || typeof v === 'function' || typeof v === 'symbol')) throw NOT_JSON
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && isReserved(v) && !wrappers.has(this)) {
        const wrapper = { $esc: v }
        wrappers.add(wrapper)
        return wrapper
      }
      return v
    })
  } catch (err) {
    if (err === NOT_JSON) throw unrepresentable(value, path, data)
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, `not representable as JSON (${err.message})`, value)
  }
}

/** Thrown by toJson's replacer at a value JSON would change; `unrepresentable` says which. */
const NOT_JSON = Symbol('not JSON')

/** The error for the first value in `value` that JSON cannot hold as it is. */
function unrepresentable(value, path, data) {
  const seen = new Set()
  const find = (v, at, depth = 0) => {
    if (depth > 64) return null
    if (data && (v === null || typeof v !== 'object' || v instanceof Date)) return null
    if (typeof v === 'number') return Number.isFinite(v) ? null : [at, v, 'ERR_OUT_OF_RANGE', `expected a finite number, got ${v}`]
    if (v instanceof Date) return Number.isFinite(v.getTime()) ? null : [at, v, 'ERR_INVALID_DATE', 'expected a valid Date, got Invalid Date']
    if (typeof v === 'function' || typeof v === 'symbol') return [at, v, 'ERR_INVALID_ARG_TYPE', `a ${typeof v} is not a value tickflow can store or read here`, TypeError]
    if (v === null || typeof v !== 'object' || seen.has(v)) return null
    if (isBareCollection(v)) {
      const kind = v instanceof Map ? 'Map' : 'Set'
      const hint = kind === 'Map' ? 'Object.fromEntries(map)' : '[...set]'
      return [at, v, 'ERR_INVALID_ARG_TYPE', `a ${kind} is not JSON (it would be stored as {}); pass ${hint}`, TypeError]
    }
    seen.add(v)
    if (typeof v.toJSON === 'function') return find(v.toJSON(), at, depth + 1)
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const found = find(v[i], `${at}[${i}]`, depth + 1)
        if (found) return found
      }
      return null
    }
    for (const key of Object.keys(v)) {
      const found = find(v[key], `${at}.${key}`, depth + 1)
      if (found) return found
    }
    return null
  }
  const [at, bad, code, message, Kind = RangeError] = find(value, path) || [path, value, 'ERR_OUT_OF_RANGE', 'expected finite numbers and valid Dates']
  return codedError(Kind, code, at, message, bad)
}

/**
 * Whether `value` may hold a Date or an object that needs escaping. Deep (or cyclic)
 * values answer yes after 64 levels, so that the replacer path gives them its usual
 * treatment and error.
 */
function needsReplacer(value, depth) {
  // NaN and ±Infinity, functions and symbols: the replacer refuses them (or, for data,
  // JSON.stringify makes them null or leaves them out).
  if (typeof value === 'number') return value - value !== 0
  if (typeof value === 'function' || typeof value === 'symbol') return true
  if (value === null || typeof value !== 'object') return false
  // A toJSON method may produce values the walk cannot see.
  if (value instanceof Date || depth > 64 || typeof value.toJSON === 'function') return true
  if (isBareCollection(value)) return true
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (needsReplacer(value[i], depth + 1)) return true
    return false
  }
  let keys = 0
  let reserved = false
  for (const key in value) {
    keys++
    if (key === '$date' || key === '$esc') reserved = true
    if (needsReplacer(value[key], depth + 1)) return true
  }
  return reserved && keys === 1
}

/** A Map or Set without its own toJSON: JSON.stringify would make it {}. */
function isBareCollection(value) {
  return (value instanceof Map || value instanceof Set) && typeof value.toJSON !== 'function'
}

/** `{ $date: … }` or `{ $esc: … }`, and nothing else. */
function isReserved(value) {
  let only = null
  for (const key in value) {
    if (only !== null) return false
    only = key
  }
  return only === '$date' || only === '$esc'
}

/** Turns every { $date: ms } back into a Date, and every { $esc: object } into the object, in place. */
function revive(value) {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (item !== null && typeof item === 'object') value[i] = revive(item)
    }
    return value
  }
  if (value.$date !== undefined && isOnly(value, '$date')) return new Date(value.$date)
  if (value.$esc !== undefined && isOnly(value, '$esc')) return reviveFields(value.$esc)
  return reviveFields(value)
}

/** `revive` for an object's fields, the object itself taken as it is. */
function reviveFields(value) {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return revive(value)
  // Every message carries a dozen fields, most of them strings and numbers: only objects
  // are visited, and no key array is made.
  for (const key in value) {
    const item = value[key]
    if (item !== null && typeof item === 'object') value[key] = revive(item)
  }
  return value
}

/** Whether `key` is the object's one key. */
function isOnly(value, key) {
  for (const k in value) if (k !== key) return false
  return true
}

/**
 * An error made natively, rebuilt as an error of the caller's realm: under Jest (a vm
 * context) N-API's errors are not `instanceof Error` there. Keeps the class (TypeError,
 * RangeError), message, stack, and every field (code, path, value, errors).
 */
function rebuilt(err) {
  if (err instanceof Error || err === null || typeof err !== 'object') return err
  const Kind = err.name === 'TypeError' ? TypeError : err.name === 'RangeError' ? RangeError : Error
  const out = new Kind(err.message)
  for (const key of Object.keys(err)) out[key] = err[key]
  if (typeof err.stack === 'string') out.stack = err.stack
  return out
}

/**
 * Sets `err.value` to what the caller passed at `err.path`, when the path starts at one of
 * `args` (a method's arguments by name) and leads to a value there: an engine's error
 * carries the value as the engine read it (a BigInt for a large number, `{ $date }` for a
 * Date, null for NaN), the caller wants their own. Strings are left as they are.
 */
function withCallersValue(err, args) {
  if (err === null || typeof err !== 'object' || typeof err.path !== 'string') return err
  // A string is the caller's already, or shown redacted on purpose (a connection string's
  // password): kept as it is. An unknown option's value is left out on purpose (it may be
  // a misplaced secret), and so is anything under a store's options.
  if (typeof err.value === 'string' || err.code === 'ERR_UNKNOWN_OPTION' || /^options\.store\b/.test(err.path)) return err
  const [root, ...rest] = err.path.match(/[^.[\]]+/g) || []
  if (root === undefined || !Object.prototype.hasOwnProperty.call(args, root)) return err
  let value = args[root]
  for (const key of rest) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return err
    value = value[key]
  }
  err.value = value
  return err
}

/** `fn` with native errors rebuilt in the caller's realm. */
function rebuilding(fn) {
  return function (...args) {
    try {
      return fn.apply(this, args)
    } catch (err) {
      throw rebuilt(err)
    }
  }
}

module.exports = { codedError, toJson, revive, rebuilt, rebuilding, withCallersValue }
