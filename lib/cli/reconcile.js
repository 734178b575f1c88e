'use strict'
// Makes the schedules in the store match the schedules file: new ones are created, changed
// ones updated (keeping their history and their place in time), and those no longer in the
// file deleted. With the memory store everything is new.

const CLEARABLE_TOP = ['description', 'enabled']

/**
 * @returns {Promise<{ created: string[], updated: string[], unchanged: string[], removed: string[] }>}
 */
async function reconcile(integration, configs) {
  const stored = new Map(integration.getScheduledWorkflows().map((c) => [c.id, c]))
  const outcome = { created: [], updated: [], unchanged: [], removed: [] }
  for (const config of configs) {
    const before = stored.get(config.id)
    if (before === undefined) {
      await integration.createScheduledWorkflow(config)
      outcome.created.push(config.id)
    } else if (canonical(before) === canonical(config)) {
      outcome.unchanged.push(config.id)
    } else {
      await integration.updateScheduledWorkflow(config.id, withClearedFields(config, before))
      outcome.updated.push(config.id)
    }
  }
  const wanted = new Set(configs.map((c) => c.id))
  for (const id of stored.keys()) {
    if (!wanted.has(id)) {
      await integration.deleteScheduledWorkflow(id)
      outcome.removed.push(id)
    }
  }
  return outcome
}

/**
 * An update merges scheduleConfig and executionConfig field by field, so a field the file
 * no longer has must be sent as null to go away.
 */
function withClearedFields(config, before) {
  const cleared = (now = {}, then = {}) => {
    const out = { ...now }
    for (const key of Object.keys(then)) if (!(key in now)) out[key] = null
    return out
  }
  const update = {
    ...config,
    scheduleConfig: cleared(config.scheduleConfig, before.scheduleConfig),
    executionConfig: cleared(config.executionConfig, before.executionConfig),
  }
  for (const key of CLEARABLE_TOP) if (!(key in config) && key in before) update[key] = null
  return update
}

/**
 * JSON with sorted keys, dates as ISO text, and null or empty-object fields left out (the
 * store may keep `executionConfig: {}` where the file had none): equal configs, equal text.
 */
function canonical(value) {
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => !isEmpty(value[k])).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function isEmpty(value) {
  if (value === null || value === undefined) return true
  return Object.getPrototypeOf(value) === Object.prototype && Object.keys(value).length === 0
}

module.exports = { reconcile, canonical }
