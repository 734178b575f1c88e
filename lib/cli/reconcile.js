'use strict'
// Makes the schedules in the store match the schedules file, in one store commit: new ones
// are created, changed ones replaced (keeping their history and, unless their timing
// changed, their place in time), and those no longer in the file deleted.

/**
 * @returns {Promise<{ created: string[], updated: string[], unchanged: string[], removed: string[] }>}
 */
async function reconcile(integration, configs) {
  const { created, updated, unchanged, deleted } = await integration.syncScheduledWorkflows(configs, { deleteMissing: true })
  return { created, updated, unchanged, removed: deleted }
}

module.exports = { reconcile }
