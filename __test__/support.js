// Shared set-up for the integration tests: a manual-clock integration and an event log.
const { WorkflowScheduleIntegration } = require('..')

const START = new Date('2026-01-01T00:00:00Z')

function config(id, cronExpression, extra = {}) {
  const { scheduleConfig = {}, executionConfig = {}, ...rest } = extra
  return {
    id,
    workflowId: `wf-${id}`,
    scheduleId: `s-${id}`,
    name: `workflow ${id}`,
    enabled: true,
    executionConfig: { ...executionConfig },
    scheduleConfig: { cronExpression, timezone: 'UTC', enabled: true, ...scheduleConfig },
    metadata: { owner: 'tests' },
    ...rest,
  }
}

/** A started manual-clock integration whose events are recorded in `events`. */
async function manual(executor, options = {}) {
  const integration = new WorkflowScheduleIntegration({ executor, clock: 'manual', startTime: START, ...options })
  const events = []
  integration.on('event', (e) => events.push(e))
  await integration.start()
  return { integration, events, types: () => events.map((e) => e.type) }
}

/** An executor whose runs stay open until the test settles them. */
function controlled() {
  const runs = []
  const executor = (request) =>
    new Promise((resolve, reject) => {
      runs.push({ request, resolve, reject })
    })
  return { runs, executor }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

module.exports = { START, config, manual, controlled, tick }
