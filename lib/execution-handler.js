'use strict'
// ScheduleExecutionHandler with production-ccs's surface, backed by the engine: code and
// tests that hand a ScheduleTrigger to `handleScheduleTrigger` keep working, and the run is
// a real execution of the integration (its executor, retries, timeout, records).

const { EventEmitter } = require('node:events')
const { codedError } = require('./json.js')

const FINAL = new Set(['workflow.completed', 'workflow.failed', 'workflow.cancelled'])
const FORWARDED = new Set(['schedule.triggered', 'workflow.started', 'workflow.retrying', ...FINAL])

class ScheduleExecutionHandler extends EventEmitter {
  constructor(integration) {
    super()
    if (!integration || typeof integration.triggerScheduledExecution !== 'function' || typeof integration.on !== 'function') {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'integration', 'expected a WorkflowScheduleIntegration', integration)
    }
    this._integration = integration
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
   * resolves with the execution once it has finished (completed, failed, timed out or
   * cancelled). Its events are emitted here too.
   */
  async handleScheduleTrigger(trigger) {
    if (trigger === null || typeof trigger !== 'object') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'trigger', 'expected a ScheduleTrigger object', trigger)
    if (typeof trigger.scheduleId !== 'string') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'trigger.scheduleId', 'expected a string', trigger.scheduleId)
    if (!this._running) throw codedError(Error, 'ERR_INVALID_STATE', 'handleScheduleTrigger', 'the schedule execution handler is not running: call start() first')
    const it = this._integration
    if (typeof trigger.workflowId === 'string') {
      const { workflowId } = it.getScheduleWorkflowStatus(trigger.scheduleId)
      if (workflowId !== trigger.workflowId) {
        throw codedError(RangeError, 'ERR_WORKFLOW_MISMATCH', 'trigger.workflowId', `schedule '${trigger.scheduleId}' runs workflow '${workflowId}', not '${trigger.workflowId}'`, trigger.workflowId)
      }
    }
    this._lastActivity = new Date()
    // Events of the execution may arrive before its id does (they are delivered while the
    // trigger is applied): they wait here until it is known.
    const early = []
    let id = null
    let settle
    const done = new Promise((resolve) => (settle = resolve))
    const onEvent = (event) => {
      if (!FORWARDED.has(event.type)) return
      if (id === null) return void early.push(event)
      if (event.executionId !== id) return
      this._forward(event)
      if (FINAL.has(event.type)) settle()
    }
    it.on('event', onEvent)
    try {
      const context = trigger.context && typeof trigger.context === 'object' ? { ...trigger.context } : {}
      if (trigger.triggerTime instanceof Date) context.triggerTime = trigger.triggerTime
      if (trigger.triggerType !== undefined) context.triggerType = trigger.triggerType
      id = await it.triggerScheduledExecution(trigger.scheduleId, context)
      for (const event of early.splice(0)) onEvent(event)
      const now = it.getExecution(id)
      if (!now || !['completed', 'failed', 'timeout', 'cancelled'].includes(now.status)) await done
    } finally {
      it.off('event', onEvent)
    }
    this._lastActivity = new Date()
    return it.getExecution(id)
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

module.exports = { ScheduleExecutionHandler }
