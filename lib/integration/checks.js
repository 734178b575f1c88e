'use strict'
// The facade's argument checks: a bad argument is refused here, with its code, path and
// value, before anything reaches the engine.

const { codedError, toJson } = require('../json.js')

const DEFAULT_GRACE_MS = 10_000
const MAX_GRACE_MS = 2_147_483_647
const MAX_ADVANCE_MS = 100 * 366 * 86_400_000
const UNDECLARED_POLICIES = ['keep', 'pause', 'delete']
/** The longest string V8 makes; an exposition in UTF-8 bytes no longer than this fits. */
const MAX_STRING_LENGTH = require('node:buffer').constants.MAX_STRING_LENGTH

function checkId(value, path) {
  if (typeof value !== 'string') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, `expected a string, got ${value === null ? 'null' : typeof value}`, value)
  }
  // Each store ends or refuses a NUL in text its own way: one answer, here.
  if (value.includes('\0')) throw codedError(RangeError, 'ERR_INVALID_ID', path, 'cannot hold a NUL character (\\0)', value)
}

function checkObject(value, path) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, 'expected an object', value)
  }
}

function checkFunction(value, path) {
  if (typeof value !== 'function') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, 'expected a function', value)
}

/**
 * Refuses a key of `options` (an object) that is not in `known`: a misspelt option would
 * otherwise be ignored in silence (`stop({ grace: 500 })` waiting the default 10 s).
 */
function checkKeys(options, path, known) {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      // The mistake is the key; its value is left out (it may be a misplaced secret).
      throw codedError(TypeError, 'ERR_UNKNOWN_OPTION', `${path}.${key}`, `unknown option '${key}'; known options: ${known.join(', ')}`, undefined)
    }
  }
}

/** `options` (undefined, or an object of only `known` keys), checked. */
function checkOptions(options, known) {
  if (options === undefined) return
  checkObject(options, 'options')
  checkKeys(options, 'options', known)
}

/** JSON text for `value`, or undefined when it is left out. */
function optionalJson(value, path) {
  return value === undefined ? undefined : toJson(value, path)
}

/** The boolean option `name` of `options` (checked to be an object already), or `fallback`. */
function readFlag(options, name, fallback) {
  const value = options === undefined || options === null ? undefined : options[name]
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'boolean') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `options.${name}`, `expected true or false, got ${typeof value}`, value)
  }
  return value
}

/** start()'s `options.undeclared`: 'keep' (the default), 'pause' or 'delete'. */
function readUndeclared(options) {
  if (options === undefined) return 'keep'
  checkOptions(options, ['undeclared'])
  const value = options.undeclared
  if (value === undefined) return 'keep'
  if (typeof value !== 'string') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.undeclared', `expected 'keep', 'pause' or 'delete', got ${value === null ? 'null' : typeof value}`, value)
  if (!UNDECLARED_POLICIES.includes(value)) throw codedError(RangeError, 'ERR_INVALID_OPTION_VALUE', 'options.undeclared', `expected 'keep', 'pause' or 'delete', got '${value}'`, value)
  return value
}

/** stop()'s `options.graceMs`, DEFAULT_GRACE_MS when left out. */
function readGrace(options) {
  if (options === undefined) return DEFAULT_GRACE_MS
  checkOptions(options, ['graceMs'])
  const g = options.graceMs
  if (g === undefined) return DEFAULT_GRACE_MS
  if (typeof g !== 'number') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.graceMs', 'expected a number', g)
  if (!Number.isInteger(g) || g < 0 || g > MAX_GRACE_MS) {
    throw codedError(RangeError, 'ERR_OUT_OF_RANGE', 'options.graceMs', `expected a whole number from 0 to ${MAX_GRACE_MS}`, g)
  }
  return g
}

/** advanceTime()'s `ms`. */
function checkAdvance(ms) {
  if (typeof ms !== 'number') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'ms', 'expected a number', ms)
  if (!Number.isInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
    throw codedError(RangeError, 'ERR_OUT_OF_RANGE', 'ms', 'expected a whole number of milliseconds from 0 to 100 years', ms)
  }
}

module.exports = {
  MAX_GRACE_MS,
  MAX_STRING_LENGTH,
  checkId,
  checkObject,
  checkFunction,
  checkAdvance,
  checkOptions,
  optionalJson,
  readFlag,
  readUndeclared,
  readGrace,
}
