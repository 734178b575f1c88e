'use strict'
// tickflow's series in a prom-client registry: `require('tickflow/prometheus').register(
// integration, { registry })`. They are collected at scrape time from the engine's own
// exposition (the text `integration.metrics()` returns, rendered off the JavaScript thread),
// once per scrape: nothing runs per event, and the names, labels and buckets are exactly those
// of `metrics()`. Where the per-schedule series are too many for one string, a scrape rejects
// with ERR_METRICS_TOO_LARGE: register with `perSchedule: false` for the sums.

const { codedError } = require('./json.js')

/** A scrape reuses one exposition for this long (prom-client asks each family in turn). */
const SNAPSHOT_MS = 100
/** How prom-client's cluster mode joins workers' samples, where a sum means nothing. */
const AGGREGATORS = { tickflow_execution_oldest_running_seconds: 'max' }

function register(integration, options = {}) {
  if (!integration || typeof integration.metrics !== 'function') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'integration', 'expected a WorkflowScheduleIntegration', integration)
  }
  if (options === null || typeof options !== 'object') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options', 'expected an object', options)
  }
  let client
  try {
    client = require('prom-client')
  } catch {
    throw codedError(Error, 'ERR_MISSING_PEER', 'prom-client', "tickflow/prometheus needs prom-client: npm install prom-client")
  }
  const registry = options.registry || client.register
  const perSchedule = options.perSchedule !== false
  let snapshot = null
  let taken = 0
  const families = () => {
    if (snapshot === null || Date.now() - taken > SNAPSHOT_MS) {
      snapshot = integration.metrics({ perSchedule }).then(parseExposition)
      taken = Date.now()
      // A failed scrape is not reused by the next one.
      snapshot.catch(() => {
        snapshot = null
      })
    }
    return snapshot
  }
  const names = []
  for (const { name, help, type } of integration._prometheusFamilies(perSchedule)) {
    const aggregator = AGGREGATORS[name] || 'sum'
    registry.registerMetric({
      name,
      help,
      type,
      aggregator,
      get: async () => ({ name, help, type, aggregator, values: ((await families()).get(name) || { values: [] }).values }),
      reset() {},
    })
    names.push(name)
  }
  return {
    names,
    unregister() {
      for (const name of names) registry.removeSingleMetric(name)
    },
  }
}

/** Prometheus text (as tickflow writes it) → Map name → { name, help, type, values }. */
function parseExposition(text) {
  const families = new Map()
  let current = null
  for (const line of text.split('\n')) {
    if (line === '') continue
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line)
    if (meta) {
      const [, kind, name, rest] = meta
      if (!families.has(name)) families.set(name, { name, help: '', type: 'untyped', values: [] })
      current = families.get(name)
      if (kind === 'HELP') current.help = rest
      else current.type = rest
      continue
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!sample || !current) continue
    const [, metricName, labelText, value] = sample
    const labels = parseLabels(labelText || '')
    const entry = { value: value === '+Inf' ? Infinity : Number(value), labels }
    if (metricName !== current.name) entry.metricName = metricName
    current.values.push(entry)
  }
  return families
}

function parseLabels(text) {
  const labels = {}
  const pattern = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g
  let match
  while ((match = pattern.exec(text)) !== null) {
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c))
  }
  return labels
}

module.exports = { register, parseExposition }
