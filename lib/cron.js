'use strict'
// The cron functions and CronEngine, with errors made natively rebuilt in the caller's
// realm (so that `instanceof Error`, TypeError and RangeError hold inside Jest too).

const native = require('./native.js').binding
const { rebuilding } = require('./json.js')

const nextRuns = rebuilding(native.nextRuns)
const previousRuns = rebuilding(native.previousRuns)
const validateCron = rebuilding(native.validateCron)
const describeCron = rebuilding(native.describeCron)

class CronEngine extends native.CronEngine {}
for (const name of Object.getOwnPropertyNames(native.CronEngine.prototype)) {
  const method = native.CronEngine.prototype[name]
  if (name !== 'constructor' && typeof method === 'function') {
    Object.defineProperty(CronEngine.prototype, name, { value: rebuilding(method), writable: true, configurable: true })
  }
}

module.exports = { nextRuns, previousRuns, validateCron, describeCron, CronEngine }
