'use strict'
// ScheduleExecutionHandler with production-ccs's surface, backed by the engine: code and
// tests that hand a ScheduleTrigger to `handleScheduleTrigger` keep working, and the run is
// a real execution of the integration (its executor, retries, timeout, records).

const { EventEmitter } = require('node:events')
const { codedError } = require('./json.js')

const FINAL = new Set(['workflow.completed', 'workflow.failed', 'workflow.cancelled'])
const FORWARDED = new Set(['schedule.triggered', 'workflow.started', 'workflow.retrying', ...FINAL])

class ScheduleExecutionHandler extends EventEmitter {
  /** `integration` may be left out (null), as production-ccs's own test does: use then fails. */
  constructor(integration) {
    super()
    const missing = integration === null || integration === undefined
    if (!missing && (typeof integration.triggerScheduledExecution !== 'function' || typeof integration.on !== 'function')) {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'integration', 'expected a WorkflowScheduleIntegration', integration)
    }
    this._integration = missing ? null : integration
    this._running = false
    this._lastActivity = null
  }

  async initialize() {}

  async start() {
    this._running = true
  }

  async stop() {
    this._running = false
  }

  /**
   * Runs the trigger's schedule now (a manual trigger: the cadence does not move) and
   * resolves, as soon as the run has started, with production-ccs's WorkflowExecution
   * (status 'running'). The execution's events are emitted here until it ends.
   */
  async handleScheduleTrigger(trigger) {
    if (trigger === null || typeof trigger !== 'object') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'trigger', 'expected a ScheduleTrigger object', trigger)
    if (typeof trigger.scheduleId !== 'string') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'trigger.scheduleId', 'expected a string', trigger.scheduleId)
    const it = this._integration
    if (it === null) {
      throw codedError(Error, 'ERR_NO_INTEGRATION', 'integration', 'this ScheduleExecutionHandler was made without an integration: pass a WorkflowScheduleIntegration to its constructor')
    }
    if (!this._running) throw codedError(Error, 'ERR_INVALID_STATE', 'handleScheduleTrigger', 'the schedule execution handler is not running: call start() first')
    const status = await it.getScheduleWorkflowStatus(trigger.scheduleId)
    if (typeof trigger.workflowId === 'string' && status.workflowId !== trigger.workflowId) {
      throw codedError(RangeError, 'ERR_WORKFLOW_MISMATCH', 'trigger.workflowId', `schedule '${trigger.scheduleId}' runs workflow '${status.workflowId}', not '${trigger.workflowId}'`, trigger.workflowId)
    }
    this._lastActivity = new Date()
    // Events of the execution may arrive before its id does (they are delivered while the
    // trigger is applied): they wait here until it is known.
    const early = []
    let id = null
    let started
    const running = new Promise((resolve) => (started = resolve))
    const onEvent = (event) => {
      if (!FORWARDED.has(event.type)) return
      if (id === null) return void early.push(event)
      if (event.executionId !== id) return
      this._forward(event)
      if (event.type === 'workflow.started' || FINAL.has(event.type)) started()
      if (FINAL.has(event.type)) it.off('event', onEvent)
    }
    it.on('event', onEvent)
    let execution
    try {
      const context = trigger.context && typeof trigger.context === 'object' ? { ...trigger.context } : {}
      if (trigger.triggerTime instanceof Date) context.triggerTime = trigger.triggerTime
      if (trigger.triggerType !== undefined) context.triggerType = trigger.triggerType
      id = await it.triggerScheduledExecution(trigger.scheduleId, context)
      for (const event of early.splice(0)) onEvent(event)
      // Queued behind maxConcurrency: it has not started yet.
      if (!(await it.getExecution(id)).actualStartTime) await running
      execution = await it.getExecution(id)
    } catch (err) {
      it.off('event', onEvent)
      throw err
    }
    if (FINAL_STATUS.has(execution.status)) it.off('event', onEvent)
    this._lastActivity = new Date()
    return toWorkflowExecution(execution, it.getScheduledWorkflow(execution.scheduledWorkflowId), trigger)
  }

  _forward(event) {
    try {
      this.emit(event.type, event)
    } catch {
      // A throwing listener of this handler does not fail the run it reports.
    }
  }

  getStatus() {
    return { isRunning: this._running, lastActivity: this._lastActivity || new Date(0) }
  }
}

const FINAL_STATUS = new Set(['completed', 'failed', 'timeout', 'cancelled'])
const PRIORITIES = { 1: 'low', 2: 'normal', 3: 'high', 4: 'critical', 5: 'critical' }

/**
 * production-ccs's WorkflowExecution for a run that has started. tickflow keeps no workflow
 * versions and no steps: workflowVersion is '1.0.0' and steps is empty, as production-ccs's
 * handler returns them; the correlation id is the execution id (as in tickflow's events).
 */
function toWorkflowExecution(execution, config, trigger) {
  const environment = execution.context.environment
  const triggeredBy = trigger.context && typeof trigger.context.triggeredBy === 'string' ? trigger.context.triggeredBy : 'system'
  // The config is gone only if the schedule was deleted while its run started.
  const variables = (config && config.executionConfig.variables) || {}
  const tags = (config && config.scheduleConfig.metadata.tags) || []
  return {
    id: execution.id,
    workflowId: execution.workflowId,
    workflowVersion: '1.0.0',
    status: FINAL_STATUS.has(execution.status) ? execution.status : 'running',
    context: { variables, environment, userId: 'system', correlationId: execution.id },
    steps: [],
    startedAt: execution.actualStartTime || new Date(),
    triggeredBy,
    triggerType: 'schedule',
    metadata: {
      source: 'schedule',
      correlationId: execution.id,
      tags,
      priority: PRIORITIES[execution.priority] || 'normal',
      environment,
    },
  }
}

module.exports = { ScheduleExecutionHandler }
