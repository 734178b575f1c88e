'use strict'
// Values cross into the native core as JSON. A Date travels as { $date: ms } both ways, so
// that it survives the trip; everything else is plain JSON.

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
    return JSON.stringify(value, function replace(key, v) {
      const original = this[key]
      if (original instanceof Date) {
        const ms = original.getTime()
        return { $date: Number.isFinite(ms) ? ms : null }
      }
      return v
    })
  } catch (err) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, `not representable as JSON (${err.message})`, value)
  }
}

/** Turns every { $date: ms } back into a Date, in place. */
function revive(value) {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i])
    return value
  }
  const keys = Object.keys(value)
  if (keys.length === 1 && keys[0] === '$date') return new Date(value.$date)
  for (const key of keys) value[key] = revive(value[key])
  return value
}

module.exports = { codedError, toJson, revive }
