'use strict'
// Makes the schedules in the store match the schedules file: new ones are created, changed
// ones replaced (keeping their history and, unless their timing changed, their place in
// time), and those the file created and no longer lists deleted. Schedules the file did not
// create (an application's, in a store it shares) are left alone.

const { createdByFile } = require('./schedules-file.js')

/** The config ids the file created earlier and no longer lists. */
function leftOut(integration, configs) {
  const listed = new Set(configs.map((c) => c.id))
  return integration.getScheduledWorkflows().filter((c) => createdByFile(c) && !listed.has(c.id)).map((c) => c.id)
}

/**
 * @returns {Promise<{ created: string[], updated: string[], unchanged: string[], removed: string[] }>}
 */
async function reconcile(integration, configs) {
  const removed = leftOut(integration, configs)
  const { created, updated, unchanged } = await integration.syncScheduledWorkflows(configs)
  for (const id of removed) await integration.deleteScheduledWorkflow(id)
  return { created, updated, unchanged, removed }
}

/** What `reconcile` would do, changing nothing. */
function plan(integration, configs) {
  return { ...integration._planSync(configs), removed: leftOut(integration, configs) }
}

module.exports = { reconcile, plan }
