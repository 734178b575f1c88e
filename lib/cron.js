'use strict'
// The cron functions and the two cron engines, with errors made natively rebuilt in the
// caller's realm (so that `instanceof Error`, TypeError and RangeError hold inside Jest too).
//
// - `SyncCronEngine` answers at once (the native class): for code that wants values.
// - `CronEngine` is production-ccs's CronEngine interface: every method returns a Promise
//   (a bad argument rejects it, never throws), and optimizeScheduleDistribution is there.

const { types } = require('node:util')
const native = require('./native.js').binding
const { rebuilding } = require('./json.js')

// The addon makes its Dates in Node's main realm. Under Jest (a vm context) those are not
// `instanceof Date` in the test: there, each answer's Dates are made again in this realm.
const SAME_REALM = native.nextRuns('* * * * *', { count: 1 })[0] instanceof Date

/** `value` with every Date in it made in this realm (in place; a Date answer anew). */
function localDates(value) {
  if (types.isDate(value)) return new Date(value.getTime())
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = localDates(value[i])
  } else {
    for (const key of Object.keys(value)) value[key] = localDates(value[key])
  }
  return value
}

/** `fn` with native errors rebuilt, and Dates made, in the caller's realm. */
function local(fn) {
  const rebuilt = rebuilding(fn)
  if (SAME_REALM) return rebuilt
  return function (...args) {
    return localDates(rebuilt.apply(this, args))
  }
}

const nextRuns = local(native.nextRuns)
const previousRuns = local(native.previousRuns)
const validateCron = local(native.validateCron)
const describeCron = local(native.describeCron)

class SyncCronEngine extends native.CronEngine {}
const METHODS = Object.getOwnPropertyNames(native.CronEngine.prototype).filter(
  (name) => name !== 'constructor' && typeof native.CronEngine.prototype[name] === 'function',
)
for (const name of METHODS) {
  Object.defineProperty(SyncCronEngine.prototype, name, {
    value: local(native.CronEngine.prototype[name]),
    writable: true,
    configurable: true,
  })
}

class CronEngine {
  constructor() {
    this.sync = new SyncCronEngine()
  }

  /**
   * For schedules that fire together, a minute to move each one to (all but the first of
   * each group), checked to fire no more often than before and to meet none of the others
   * over the same horizon; where the minute is not a single value, spreading with jitterMs.
   */
  async optimizeScheduleDistribution(expressions, timezone, options) {
    const conflicts = this.sync.detectScheduleConflicts(expressions, timezone, options)
    const taken = new Set(expressions.map((e) => minuteOf(this.sync, e)).filter((m) => m !== null))
    const suggestions = []
    const moved = new Set()
    for (const conflict of conflicts) {
      for (const expression of [...new Set(conflict.scheduleIds)].slice(1)) {
        if (moved.has(expression)) continue
        moved.add(expression)
        const meetsNone = (candidate) => {
          const others = expressions.filter((e) => e !== expression)
          const found = this.sync.detectScheduleConflicts([candidate, ...others], timezone, options)
          return !found.some((c) => c.scheduleIds.includes(candidate))
        }
        suggestions.push(suggest(this.sync, expression, taken, conflict, meetsNone))
      }
    }
    return suggestions
  }
}
for (const name of METHODS) {
  Object.defineProperty(CronEngine.prototype, name, {
    value: async function (...args) {
      return this.sync[name](...args)
    },
    writable: true,
    configurable: true,
  })
}

/** The pattern's minute when it is one plain number, else null. */
function minuteOf(engine, expression) {
  const parsed = engine.parseExpression(expression)
  const minute = parsed.valid ? parsed.fields.minute : ''
  return /^\d{1,2}$/.test(minute) ? Number(minute) : null
}

function suggest(engine, expression, taken, conflict, meetsNone) {
  const base = {
    scheduleId: expression,
    currentExpression: expression,
  }
  const minute = minuteOf(engine, expression)
  const parsed = engine.parseExpression(expression)
  if (minute !== null) {
    for (const step of [5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 1, 2, 3, 4]) {
      const candidate = (minute + step) % 60
      if (taken.has(candidate)) continue
      const fields = parsed.fields
      const parts = [fields.second, String(candidate), fields.hour, fields.dayOfMonth, fields.month, fields.dayOfWeek, fields.year].filter((f) => f !== undefined)
      const suggested = parts.join(' ')
      if (!engine.validateExpression(suggested).valid || !meetsNone(suggested)) continue
      taken.add(candidate)
      return {
        ...base,
        type: 'time_adjustment',
        suggestedExpression: suggested,
        reason: `fires together with ${conflict.scheduleIds.length - 1} other schedule(s) at ${conflict.conflictTime.toISOString()}`,
        expectedBenefit: `moves its runs to minute ${candidate}, which no other schedule uses`,
        riskLevel: 'low',
      }
    }
  }
  return {
    ...base,
    type: 'load_balancing',
    suggestedExpression: expression,
    reason: `fires together with ${conflict.scheduleIds.length - 1} other schedule(s) at ${conflict.conflictTime.toISOString()}, and its minute is not a single value to move`,
    expectedBenefit: 'give the schedule jitterMs (a random delay per fire) so that its runs spread out',
    riskLevel: 'medium',
  }
}

module.exports = { nextRuns, previousRuns, validateCron, describeCron, CronEngine, SyncCronEngine }
