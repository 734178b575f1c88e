'use strict'
// ScheduleManager: production-ccs's WorkflowScheduler interface (its ScheduleManagerService)
// over a WorkflowScheduleIntegration. A ScheduleDefinition is stored as a scheduled workflow
// config whose id and schedule id are the schedule's id, whose workflowId, name, description
// and enabled are the definition's, and whose scheduleConfig holds the rest; the manager's
// executor runs it. The cron engine passed in (production-ccs's CronEngine interface,
// tickflow's by default) answers the questions about patterns (validation, testSchedule);
// the integration's engine fires the schedules.

const { codedError } = require('./json.js')
const { WorkflowScheduleIntegration } = require('./integration.js')
const { CronEngine } = require('./cron.js')
const { checkFilters, filterAndSort, needsStatus } = require('./schedule-filters.js')

/** Kept by the engine (or set by the manager), never taken from a definition. */
const MANAGED = ['id', 'createdAt', 'updatedAt']
/** Fields of the config itself; the rest of a definition is its scheduleConfig. */
const CONFIG_FIELDS = ['workflowId', 'name', 'description', 'enabled']
const NO_USAGE = Object.freeze({ cpu: 0, memory: 0, network: 0, storage: 0, database: 0 })

function checkObject(value, path) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, 'expected an object', value)
  }
}

function checkString(value, path) {
  if (typeof value !== 'string') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, `expected a string, got ${value === null ? 'null' : typeof value}`, value)
  }
}

function isCronEngine(value) {
  return value !== null && typeof value === 'object' && typeof value.validateExpression === 'function'
}

/** The engine's paths (config.scheduleConfig.timezone) as the caller wrote them (schedule.timezone). */
function callerPath(err, root) {
  if (err && typeof err.path === 'string') {
    const path = err.path.replace(/^(config|updates)\.(scheduleConfig\.)?/, `${root}.`)
    if (path !== err.path) {
      err.message = err.message.replace(err.path, path)
      err.path = path
    }
  }
  return err
}

/** `definition` split into the config's own fields and its scheduleConfig. */
function split(definition) {
  const config = {}
  const scheduleConfig = {}
  for (const [key, value] of Object.entries(definition)) {
    if (MANAGED.includes(key) || value === undefined) continue
    if (CONFIG_FIELDS.includes(key)) config[key] = value
    else scheduleConfig[key] = value
  }
  // The description is the definition's; the config keeps it too, for the dashboard and CLI.
  if (definition.description !== undefined) scheduleConfig.description = definition.description
  return { config, scheduleConfig }
}

class ScheduleManager {
  /**
   * `new ScheduleManager(options)`, or production-ccs's `new ScheduleManager(cronEngine,
   * workflowPersistence, options)`: the persistence service is accepted so that the call
   * stays as it is, and not used (the integration's store holds schedules and executions).
   */
  constructor(cronEngineOrOptions, workflowPersistence, options) {
    let cronEngine = null
    if (isCronEngine(cronEngineOrOptions)) cronEngine = cronEngineOrOptions
    else if (cronEngineOrOptions !== undefined && cronEngineOrOptions !== null) {
      if (workflowPersistence !== undefined || options !== undefined) {
        throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'cronEngine', 'expected a CronEngine (an object with validateExpression)', cronEngineOrOptions)
      }
      options = cronEngineOrOptions
    }
    if (options === undefined) options = {}
    checkObject(options, 'options')
    const { integration, cronEngine: engineOption, ...integrationOptions } = options
    if (engineOption !== undefined) {
      if (!isCronEngine(engineOption)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.cronEngine', 'expected a CronEngine (an object with validateExpression)', engineOption)
      cronEngine = engineOption
    }
    this._cron = cronEngine || new CronEngine()
    if (integration !== undefined) {
      if (!(integration instanceof WorkflowScheduleIntegration)) {
        throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.integration', 'expected a WorkflowScheduleIntegration', integration)
      }
      if (Object.keys(integrationOptions).length > 0) {
        throw codedError(TypeError, 'ERR_INVALID_ARG_VALUE', 'options', `give either an integration or its options (${Object.keys(integrationOptions).join(', ')}), not both`, options)
      }
      this.integration = integration
    } else {
      this.integration = new WorkflowScheduleIntegration(integrationOptions)
    }
    this._defaultTimezone = typeof integrationOptions.defaultTimezone === 'string' ? integrationOptions.defaultTimezone : 'UTC'
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Resolves at once when already running, as ScheduleManagerService does. */
  async start() {
    if (this.integration.getState() === 'running') return
    await this.integration.start()
  }

  async stop() {
    await this.integration.stop()
  }

  // ---- schedules ------------------------------------------------------------------------

  async createSchedule(schedule) {
    checkObject(schedule, 'schedule')
    checkString(schedule.workflowId, 'schedule.workflowId')
    await this._checkCron(schedule.cronExpression, 'schedule.cronExpression')
    let id
    do id = `schedule_${Date.now()}_${Math.random().toString(36).slice(2, 11)}`
    while (this.integration.getScheduledWorkflow(id) !== null)
    const { config, scheduleConfig } = split(schedule)
    try {
      await this.integration.createScheduledWorkflow({ ...config, id, scheduleId: id, scheduleConfig })
    } catch (err) {
      throw callerPath(err, 'schedule')
    }
    return id
  }

  async updateSchedule(scheduleId, updates) {
    const config = this._config(scheduleId)
    checkObject(updates, 'updates')
    if (updates.id !== undefined && updates.id !== scheduleId) {
      throw codedError(RangeError, 'ERR_INVALID_ARG_VALUE', 'updates.id', `a schedule's id cannot change (it is '${scheduleId}')`, updates.id)
    }
    if (updates.cronExpression !== undefined) await this._checkCron(updates.cronExpression, 'updates.cronExpression')
    const { config: own, scheduleConfig } = split(updates)
    const change = { ...own }
    if (Object.keys(scheduleConfig).length > 0) change.scheduleConfig = scheduleConfig
    try {
      await this.integration.updateScheduledWorkflow(config.id, change)
    } catch (err) {
      throw callerPath(err, 'updates')
    }
  }

  async deleteSchedule(scheduleId) {
    await this.integration.deleteScheduledWorkflow(this._config(scheduleId).id)
  }

  /** The definition as stored; `enabled` says whether it fires (false while paused or disabled). */
  async getSchedule(scheduleId) {
    checkString(scheduleId, 'scheduleId')
    const config = this._find(scheduleId)
    return config === null ? null : await this._definition(config)
  }

  async listSchedules(filters) {
    if (filters !== undefined) checkFilters(filters)
    const rows = []
    for (const config of this.integration.getScheduledWorkflows()) {
      const status = needsStatus(filters) ? await this.integration.getScheduleStatus(config.scheduleId) : null
      rows.push({ definition: await this._definition(config, status), status })
    }
    return filterAndSort(rows, filters || {})
  }

  async pause(scheduleId) {
    await this.integration.pauseSchedule(this._config(scheduleId).scheduleId)
  }

  async resume(scheduleId) {
    await this.integration.resumeSchedule(this._config(scheduleId).scheduleId)
  }

  async enableSchedule(scheduleId) {
    await this.integration.enableSchedule(this._config(scheduleId).scheduleId)
  }

  async disableSchedule(scheduleId) {
    await this.integration.disableSchedule(this._config(scheduleId).scheduleId)
  }

  // ---- executions -------------------------------------------------------------------------

  /** Runs the schedule now; `context` is kept as the execution's `context.triggerData`. */
  async triggerSchedule(scheduleId, context) {
    return await this.integration.triggerScheduledExecution(scheduleId, context)
  }

  async cancelExecution(executionId) {
    await this.integration.cancelScheduledExecution(executionId)
  }

  async retryExecution(executionId) {
    return await this.integration.retryExecution(executionId)
  }

  async getScheduleStatus(scheduleId) {
    return await this.integration.getScheduleStatus(scheduleId)
  }

  async getExecutionHistory(scheduleId, filters) {
    return await this.integration.getExecutionHistory(scheduleId, filters)
  }

  async getExecution(executionId) {
    return await this.integration.getExecution(executionId)
  }

  async listExecutions(filters) {
    return await this.integration.listExecutions(filters)
  }

  async getScheduleHealth(scheduleId) {
    return await this.integration.getScheduleHealth(scheduleId)
  }

  async getScheduleMetrics(scheduleId) {
    return await this.integration.getScheduleMetrics(scheduleId)
  }

  async getSystemMetrics() {
    return await this.integration.getSystemMetrics()
  }

  // ---- patterns ---------------------------------------------------------------------------

  async validateCronExpression(expression, timezone) {
    return timezone === undefined ? await this._cron.validateExpression(expression) : await this._cron.validateExpression(expression, timezone)
  }

  /** The schedule's next fires (default 5); an unknown schedule has none, as in production-ccs. */
  async getNextExecutionTimes(scheduleId, count) {
    try {
      return this.integration.getNextExecutionTimes(scheduleId, count === undefined ? 5 : count)
    } catch (err) {
      if (err && err.code === 'ERR_NOT_FOUND') return []
      throw err
    }
  }

  /**
   * Checks a definition's pattern with the cron engine and lists its next 5 fires (from the
   * integration's clock). tickflow does not estimate resource usage: those are zeros.
   */
  async testSchedule(schedule) {
    checkObject(schedule, 'schedule')
    const invalid = (errors, warnings, recommendations) => ({
      valid: false, errors, warnings, nextExecutions: [], estimatedResourceUsage: { ...NO_USAGE }, recommendations,
    })
    let validation
    try {
      validation = await this._cron.validateExpression(schedule.cronExpression)
      if (!validation.valid) return invalid(validation.errors, validation.warnings, ['Fix cron expression errors'])
      const timezone = schedule.timezone || this._defaultTimezone
      const nextExecutions = await this._cron.getNextExecutionTimes(schedule.cronExpression, timezone, 5, this.integration.now())
      return { valid: true, errors: [], warnings: validation.warnings, nextExecutions, estimatedResourceUsage: { ...NO_USAGE }, recommendations: [] }
    } catch (err) {
      return invalid([err && err.message ? err.message : String(err)], validation ? validation.warnings : [], [])
    }
  }

  // ---- helpers ----------------------------------------------------------------------------

  async _checkCron(expression, path) {
    checkString(expression, path)
    const validation = await this._cron.validateExpression(expression)
    if (!validation.valid) {
      // production-ccs's message, after tickflow's path.
      throw codedError(RangeError, 'ERR_INVALID_CRON', path, `Invalid cron expression: ${validation.errors.join(', ')}`, expression)
    }
  }

  /** The config whose schedule id is `scheduleId`, or null. */
  _find(scheduleId) {
    const own = this.integration.getScheduledWorkflow(scheduleId)
    if (own !== null && own.scheduleId === scheduleId) return own
    return this.integration.getScheduledWorkflows().find((c) => c.scheduleId === scheduleId) || null
  }

  _config(scheduleId) {
    checkString(scheduleId, 'scheduleId')
    const config = this._find(scheduleId)
    if (config === null) throw codedError(RangeError, 'ERR_NOT_FOUND', 'scheduleId', `schedule '${scheduleId}' not found`, scheduleId)
    return config
  }

  async _definition(config, status) {
    const { scheduleConfig } = config
    const state = status || (await this.integration.getScheduleStatus(config.scheduleId))
    const definition = { ...scheduleConfig, enabled: config.enabled && !state.paused }
    if (definition.description === undefined && config.description !== undefined) definition.description = config.description
    return definition
  }
}

module.exports = { ScheduleManager }
