// Shared set-up for the integration tests: a manual-clock integration and an event log.
const path = require('node:path')
const { spawn } = require('node:child_process')
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

/**
 * Runs a child that triggers executions whose executor never settles, then kills it: 'm'
 * (one attempt, the default onInterrupt), and 'r' (two attempts) and 'f' (one) with
 * onInterrupt 'fail'.
 */
function killWhileRunning(store) {
  const code = `
    const { WorkflowScheduleIntegration } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const integration = new WorkflowScheduleIntegration({
      executor: () => { process.stdout.write('running\\n'); return new Promise(() => {}) },
      store: ${JSON.stringify(store)},
    })
    ;(async () => {
      await integration.start()
      const never = { cronExpression: '0 0 1 1 *' }
      const fail = { scheduleConfig: { ...never, onInterrupt: 'fail' } }
      await integration.createScheduledWorkflow({ id: 'r', workflowId: 'w', scheduleId: 'r', ...fail,
        executionConfig: { retryPolicy: { maxAttempts: 2, backoffStrategy: 'fixed', initialDelay: 10, maxDelay: 10, multiplier: 1, retryableErrors: ['NETWORK'] } } })
      await integration.createScheduledWorkflow({ id: 'f', workflowId: 'w', scheduleId: 'f', ...fail })
      await integration.createScheduledWorkflow({ id: 'm', workflowId: 'w', scheduleId: 'm', scheduleConfig: never })
      await integration.triggerScheduledExecution('r')
      await integration.triggerScheduledExecution('f')
      await integration.triggerScheduledExecution('m')
    })()`
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
    let seen = 0
    child.stdout.on('data', (d) => {
      seen += String(d).split('running').length - 1
      if (seen === 3) child.kill('SIGKILL')
    })
    child.on('exit', (exitCode, signal) => resolve(signal))
  })
}

/** Resolves with the events of `types` once `count` of them were emitted by `integration`. */
function collect(integration, types, count) {
  const seen = []
  return new Promise((resolve) => {
    const listener = (e) => {
      if (!types.includes(e.type)) return
      seen.push(e)
      if (seen.length === count) {
        integration.off('event', listener)
        resolve(seen)
      }
    }
    integration.on('event', listener)
  })
}

module.exports = { START, config, manual, controlled, tick, killWhileRunning, collect }
