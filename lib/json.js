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

/** JSON text for `value`; a value JSON cannot hold (BigInt, a cycle) is a TypeError. */
function toJson(value, path) {
  try {
    // A replacer takes JSON.stringify off its fast path: use one only when a value needs it.
    if (!needsReplacer(value, 0)) return JSON.stringify(value)
    const wrappers = new Set()
    return JSON.stringify(value, function replace(key, v) {
      const original = this[key]
      if (original instanceof Date) {
        const ms = original.getTime()
        return { $date: Number.isFinite(ms) ? ms : null }
      }
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && isReserved(v) && !wrappers.has(this)) {
        const wrapper = { $esc: v }
        wrappers.add(wrapper)
        return wrapper
      }
      return v
    })
  } catch (err) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, `not representable as JSON (${err.message})`, value)
  }
}

/**
 * Whether `value` may hold a Date or an object that needs escaping. Deep (or cyclic)
 * values answer yes after 64 levels, so that the replacer path gives them its usual
 * treatment and error.
 */
function needsReplacer(value, depth) {
  if (value === null || typeof value !== 'object') return false
  // A toJSON method may produce values the walk cannot see.
  if (value instanceof Date || depth > 64 || typeof value.toJSON === 'function') return true
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

module.exports = { codedError, toJson, revive, rebuilt, rebuilding }
