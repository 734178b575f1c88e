'use strict'
// Names and installed versions of the libraries compared, and why a library cannot take
// part in a workload (the tables print these reasons instead of leaving a column out).

const fs = require('node:fs')
const path = require('node:path')

const LIBRARIES = ['tickflow', 'croner', 'node-cron', 'node-schedule', 'cron-parser', 'pg-boss', 'graphile-worker']

// Read from the files: node-cron's "exports" does not list its package.json.
function versionOf(name) {
  const root = path.join(__dirname, '..', '..')
  const file = name === 'tickflow' ? path.join(root, 'package.json') : path.join(root, 'node_modules', name, 'package.json')
  return JSON.parse(fs.readFileSync(file, 'utf8')).version
}

const NOT_A_SCHEDULER = 'computes dates only, runs nothing'
const NO_EXECUTIONS = 'no execution records or lifecycle events'

const REASONS = {
  noNextRunApi: 'no next-run API (Job.nextInvocation() returns the fire already scheduled)',
  notAScheduler: NOT_A_SCHEDULER,
  noExecutions: NO_EXECUTIONS,
  noStore: 'no persistent store',
  noNativeEvents: 'pure JavaScript: its events are EventEmitter calls with no thread crossing',
}

module.exports = { LIBRARIES, versionOf, REASONS }
