'use strict'
// WorkflowScheduleIntegration: the JavaScript face of the native engine. It owns the
// native handle; each public method checks its arguments and forwards to the engine, or
// to one of the parts in lib/integration/:
//   - lifecycle.js: the one lifecycle state every method consults (start, stop, the store);
//   - drain.js: the drain pump, which turns the engine's messages into events and attempts;
//   - executor-host.js: calls the user's executor and handlers, hands their answers back;
//   - checks.js: the argument checks.

const { EventEmitter } = require('node:events')
const timers = require('node:timers')
const { NativeIntegration } = require('./native.js').binding
const { codedError, toJson, revive, rebuilt, withCallersValue } = require('./json.js')
const { checkScheduleArgs, toWorkflowConfig, shortPath, oneOffInstant, oneOffSchedule, DECLARED_BY_SCHEDULE } = require('./schedule-options.js')
const { Lifecycle } = require('./integration/lifecycle.js')
const { DrainPump } = require('./integration/drain.js')
const { ExecutorHost } = require('./integration/executor-host.js')
const {
  MAX_STRING_LENGTH,
  checkId,
  checkObject,
  checkFunction,
  checkAdvance,
  checkOptions,
  optionalJson,
  readFlag,
  readUndeclared,
  readGrace,
} = require('./integration/checks.js')

/** The next turn of the event loop (Node's own timer: Jest's fake timers leave it alone). */
const immediate = () => new Promise((resolve) => timers.setImmediate(resolve))

/** A native answer in JSON text as a value; `null` stays null. */
const fromJson = (text) => (text === null ? null : revive(JSON.parse(text)))

const UNDECLARED_NOTE = 'undeclared: schedule() did not declare it in this process'

class WorkflowScheduleIntegration extends EventEmitter {
  constructor(options = {}) {
    super()
    checkObject(options, 'options')
    const { executor, ...rest } = options
    // Optional when every schedule is declared with its own handler (`schedule()`).
    if (executor !== undefined) checkFunction(executor, 'options.executor')
    try {
      this._native = new NativeIntegration(toJson(rest, 'options'))
    } catch (err) {
      throw withCallersValue(rebuilt(err), { options })
    }
    const systemClock = rest.clock !== 'manual'
    this._host = new ExecutorHost(this._native, executor || null, () => this._pump.now())
    this._pump = new DrainPump(this._native, this, this._host, () => this._lifecycle.afterDrain(), systemClock)
    this._lifecycle = new Lifecycle({
      native: this._native,
      pump: this._pump,
      host: this._host,
      settleUndeclared: (policy) => this._settleUndeclared(policy),
      systemClock,
    })
    this._watchListeners()
  }

  /** The engine builds only the events someone listens to. */
  _watchListeners() {
    this.on('newListener', (name) => this._listen(name, true))
    this.on('removeListener', (name) => this._listen(name, false))
    this._listen(null, false)
  }

  /** Also removes the hooks that tell the engine who listens: they are put back. */
  removeAllListeners(name) {
    super.removeAllListeners(...arguments)
    if (name === undefined || name === 'newListener' || name === 'removeListener') {
      super.removeAllListeners('newListener')
      super.removeAllListeners('removeListener')
      this._watchListeners()
    } else {
      this._listen(null, false)
    }
    return this
  }

  _listen(name, adding) {
    if (name === 'newListener' || name === 'removeListener') return
    const names = new Set(this.eventNames().filter((n) => typeof n === 'string'))
    if (adding) names.add(name)
    // An 'event' listener hears every type.
    const types = names.has('event') ? null : [...names]
    this._native.listen(types)
  }

  // ---- forwarding ---------------------------------------------------------------------------
  //
  // A new method checks its arguments, then forwards with one of these: `_call` or `_read`
  // for a read answered from memory, `_offThread` for one run off the JavaScript thread,
  // `_change` for a command that changes state.

  /** Runs a native read or command; a native error is rebuilt in the caller's realm. */
  _call(fn) {
    try {
      return fn(this._native)
    } catch (err) {
      throw rebuilt(err)
    }
  }

  /**
   * `_call` for an answer in JSON text (dates as { $date: ms }); `null` stays null. On
   * PostgreSQL a read that needs the database answers a Promise of the text (settled off the
   * JavaScript thread): this then answers a Promise of the value.
   */
  _read(fn) {
    const text = this._call(fn)
    if (text !== null && typeof text === 'object' && typeof text.then === 'function') {
      return text.then(fromJson, (err) => {
        throw rebuilt(err)
      })
    }
    return fromJson(text)
  }

  /** A native read run off the JavaScript thread; its error is rebuilt in the caller's realm. */
  async _offThread(fn) {
    try {
      return await this._call(fn)
    } catch (err) {
      throw rebuilt(err)
    }
  }

  /**
   * Runs a command that changes state; its events and executor calls follow in one drain,
   * queued as a microtask so that a burst of calls shares it (and its store commit). The
   * drain runs before the caller's `await` resumes; `_change` waits for it, so that a
   * public method resolves once its change is durable.
   */
  _command(fn) {
    try {
      return this._call(fn)
    } finally {
      this._pump.soon()
    }
  }

  /**
   * `_command`, resolving once its drain (and store commit) has run. Before the store is
   * open, the change waits for it (and opens it).
   */
  async _change(fn) {
    return await this._changeThen(null, fn)
  }

  /**
   * `_change`, calling `onAnswer(answer)` before the drain runs (and reaches executors). On
   * PostgreSQL the native command answers a Promise, settled off the JavaScript thread once
   * the change is committed; its messages wait for that, so the drain follows it.
   */
  async _changeThen(onAnswer, fn) {
    for (let opening = this._lifecycle.whenOpen(); opening !== null; opening = this._lifecycle.whenOpen()) await opening
    let answer = this._command(fn)
    if (answer !== null && typeof answer === 'object' && typeof answer.then === 'function') {
      try {
        answer = await answer
      } catch (err) {
        throw rebuilt(err)
      } finally {
        this._pump.soon()
      }
    }
    if (onAnswer !== null) onAnswer(answer)
    await this._pump.queued
    return answer
  }

  // ---- for lib/dashboard, lib/prometheus.js and the CLI -------------------------------------

  /** Emits an event as the engine's are: under its name and as 'event'. */
  _deliver(event) {
    this._pump.deliver(event)
  }

  /** The exposition's families, `{ name, help, type }` (for lib/prometheus.js). */
  _prometheusFamilies(perSchedule) {
    return JSON.parse(this._call((n) => n.prometheusFamilies(perSchedule)))
  }

  /** The dashboard's page of schedules: `query` as lib/dashboard/views.js builds it. */
  async _browse(query) {
    return JSON.parse(await this._offThread((n) => n.browse(JSON.stringify(query))))
  }

  /** The dashboard's timeline: every schedule's next fires merged, and collisions. */
  async _timeline(hours) {
    return JSON.parse(await this._offThread((n) => n.timeline(hours)))
  }

  /** A schedule's trigger lateness histogram. */
  _lateness(scheduleId) {
    return JSON.parse(this._call((n) => n.lateness(scheduleId)))
  }

  /** What syncScheduledWorkflows(configs) would create, update and leave unchanged (the CLI's --dry-run). */
  _planSync(configs) {
    const json = toJson(configs, 'configs')
    return JSON.parse(this._call((n) => n.syncPlan(json)))
  }

  /**
   * `handler` runs these schedules, as if each were declared with schedule(), whatever
   * created them (the CLI's `run`: a file's schedules, in a store an application may share;
   * the application's own are then left to it, skipped `no_handler` here).
   */
  _handle(ids, handler) {
    checkFunction(handler, 'handler')
    for (const id of ids) {
      checkId(id, 'ids')
      if (!this._host.declares(id)) this._host.declare(id, handler)
    }
  }

  // ---- lifecycle (lib/integration/lifecycle.js) -------------------------------------------

  /** Opens the store (a durable one restores its schedules and executions, off the JS thread). */
  initialize() {
    return this._lifecycle.initialize()
  }

  /**
   * `options.undeclared` ('keep' by default, 'pause' or 'delete'): what becomes of schedules
   * that `schedule()` created on an earlier boot and that this process has not declared.
   */
  start(options) {
    let undeclared
    try {
      undeclared = readUndeclared(options)
    } catch (err) {
      return Promise.reject(err)
    }
    return this._lifecycle.start(undeclared)
  }

  stop(options) {
    try {
      const graceMs = readGrace(options)
      return this._lifecycle.stop(graceMs, options !== undefined && options.graceMs !== undefined)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  getState() {
    return this._lifecycle.name
  }

  ref() {
    this._lifecycle.ref()
    return this
  }

  unref() {
    this._lifecycle.unref()
    return this
  }

  /** Pauses or deletes the schedules `schedule()` made on an earlier boot and not on this one. */
  async _settleUndeclared(policy) {
    for (const config of this.getScheduledWorkflows()) {
      // Created by schedule(), on an earlier boot, and not declared by this process.
      if (config.scheduleConfig.createdBy !== DECLARED_BY_SCHEDULE || this._host.declares(config.id)) continue
      if (policy === 'pause') await this._change((n) => n.pause(config.scheduleId, UNDECLARED_NOTE))
      else await this._change((n) => n.delete(config.id))
    }
  }

  // ---- scheduled workflows -------------------------------------------------------------

  async createScheduledWorkflow(config) {
    checkObject(config, 'config')
    const json = toJson(config, 'config')
    return await this._change((n) => n.create(json))
  }

  /**
   * Creates the scheduled workflow or makes the one with its `id` exactly `config`: what a
   * service does at every boot. Resolves 'created', 'updated' or 'unchanged'.
   */
  async upsertScheduledWorkflow(config) {
    checkObject(config, 'config')
    const json = toJson(config, 'config')
    return await this._change((n) => n.upsert(json))
  }

  /**
   * Makes the scheduled workflows match `configs` (all checked first, applied in one store
   * commit); `{ deleteMissing: true }` also deletes those not listed. Resolves the config
   * ids created, updated, unchanged and deleted.
   */
  async syncScheduledWorkflows(configs, options) {
    if (!Array.isArray(configs)) throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'configs', 'expected an array of scheduled workflow configs', configs)
    checkOptions(options, ['deleteMissing'])
    const deleteMissing = readFlag(options, 'deleteMissing', false)
    const json = toJson(configs, 'configs')
    return JSON.parse(await this._change((n) => n.sync(json, deleteMissing)))
  }

  /**
   * The concise form: one handler per schedule. `options` is the short shape of a
   * schedules-file entry (timezone, timeoutMs, retries, overlapPolicy, catchup, jitterMs,
   * …); the schedule's id, workflow id and schedule id are all `id`. Upserts, so a service
   * may declare it at every boot. Resolves 'created', 'updated' or 'unchanged'.
   */
  async schedule(id, cron, options, handler) {
    if (typeof options === 'function' && handler === undefined) [options, handler] = [undefined, options]
    if (options === null) options = undefined
    const when = cron
    const at = oneOffInstant(when, 'when')
    if (at !== null) ({ cron, options } = oneOffSchedule(at, options))
    checkScheduleArgs(id, cron, options)
    checkFunction(handler, 'handler')
    this._host.refuseDuplicate(id)
    if (at !== null) await this._checkNotPast(id, at, cron, when)
    // Checked again: another declaration of the id may have come in while this one waited.
    this._host.refuseDuplicate(id)
    // Marked, so that a later boot that no longer declares it can tell (start({ undeclared })).
    const config = toWorkflowConfig(id, cron, options, { createdBy: DECLARED_BY_SCHEDULE })
    // In place before the upsert: a catch-up fire may be dispatched by its own drain.
    this._host.declare(id, handler)
    try {
      const json = toJson(config, 'config')
      return await this._change((n) => n.upsert(json))
    } catch (err) {
      this._host.forget(id)
      throw withCallersValue(shortPath(err), { options })
    }
  }

  /**
   * A one-off run for an instant already past is refused, unless it is declared again (as
   * at every boot) after it was stored: the store then has it, run or missed, and a missed
   * one follows its catch-up policy.
   */
  async _checkNotPast(id, at, cron, when) {
    if (at > this.now().getTime()) return
    for (let opening = this._lifecycle.whenOpen(); opening !== null; opening = this._lifecycle.whenOpen()) await opening
    const stored = this.getScheduledWorkflow(id)
    if (stored !== null && stored.scheduleConfig.cronExpression === cron) return
    const instant = new Date(at).toISOString()
    throw codedError(RangeError, 'ERR_DATE_IN_PAST', 'when', `${instant} is not after now() (${this.now().toISOString()}); to run at once, use triggerScheduledExecution`, when)
  }

  async updateScheduledWorkflow(id, updates) {
    checkId(id, 'id')
    checkObject(updates, 'updates')
    const json = toJson(updates, 'updates')
    await this._change((n) => n.update(id, json))
  }

  async deleteScheduledWorkflow(id) {
    checkId(id, 'id')
    await this._change((n) => n.delete(id))
    this._host.forget(id)
  }

  getScheduledWorkflow(id) {
    checkId(id, 'id')
    return this._read((n) => n.config(id))
  }

  getScheduledWorkflows() {
    return this._read((n) => n.configs())
  }

  async pauseSchedule(scheduleId, note) {
    checkId(scheduleId, 'scheduleId')
    if (note !== undefined) checkId(note, 'note')
    await this._change((n) => n.pause(scheduleId, note))
  }

  async resumeSchedule(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    await this._change((n) => n.resume(scheduleId))
  }

  async enableSchedule(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    await this._change((n) => n.setEnabled(scheduleId, true))
  }

  async disableSchedule(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    await this._change((n) => n.setEnabled(scheduleId, false))
  }

  // ---- executions ------------------------------------------------------------------------

  async triggerScheduledExecution(scheduleId, context) {
    checkId(scheduleId, 'scheduleId')
    if (context !== undefined) checkObject(context, 'context')
    // The execution's span links to the caller's: known before its drain calls the executor.
    const remember = this._host.linkToCaller()
    const json = optionalJson(context, 'context')
    return await this._changeThen(remember, (n) => n.trigger(scheduleId, json))
  }

  async cancelScheduledExecution(executionId) {
    checkId(executionId, 'executionId')
    await this._change((n) => n.cancel(executionId))
  }

  async retryExecution(executionId) {
    checkId(executionId, 'executionId')
    return await this._change((n) => n.retry(executionId))
  }

  async backfill(scheduleId, from, to) {
    checkId(scheduleId, 'scheduleId')
    // Left out, each is JSON null, which the engine refuses with its path.
    const fromText = optionalJson(from, 'from') ?? 'null'
    const toText = optionalJson(to, 'to') ?? 'null'
    return await this._change((n) => n.backfill(scheduleId, fromText, toText))
  }

  async getExecution(executionId) {
    checkId(executionId, 'executionId')
    return this._read((n) => n.execution(executionId))
  }

  async listExecutions(filters) {
    if (filters !== undefined) checkObject(filters, 'filters')
    const json = optionalJson(filters, 'filters')
    return this._read((n) => n.list(json))
  }

  async getExecutionHistory(scheduleId, filters) {
    checkId(scheduleId, 'scheduleId')
    if (filters !== undefined) checkObject(filters, 'filters')
    const json = optionalJson(filters, 'filters')
    return this._read((n) => n.history(scheduleId, json))
  }

  /** Due occurrences that did not run, oldest first: `{ scheduleId, scheduledTime, reason, recordedAt }`. */
  async getSkippedOccurrences(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    return this._read((n) => n.scheduleReport('skipped', scheduleId))
  }

  getNextExecutionTimes(scheduleId, count) {
    checkId(scheduleId, 'scheduleId')
    if (count !== undefined && typeof count !== 'number') {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'count', `expected a number, got ${count === null ? 'null' : typeof count}`, count)
    }
    return this._call((n) => n.nextTimes(scheduleId, count)).map((ms) => new Date(ms))
  }

  /**
   * production-ccs's call after changing a schedule. tickflow keeps one state, so there is
   * nothing to copy: this checks that the schedule runs `workflowId` and resolves once every
   * change made so far is committed.
   */
  async syncScheduleWorkflowState(scheduleId, workflowId) {
    checkId(scheduleId, 'scheduleId')
    checkId(workflowId, 'workflowId')
    const status = await this.getScheduleWorkflowStatus(scheduleId)
    if (status.workflowId !== workflowId) {
      throw codedError(RangeError, 'ERR_WORKFLOW_MISMATCH', 'workflowId', `schedule '${scheduleId}' runs workflow '${status.workflowId}', not '${workflowId}'`, workflowId)
    }
    await this._pump.soon()
  }

  // ---- status and metrics ------------------------------------------------------------------

  async getScheduleWorkflowStatus(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    return this._read((n) => n.scheduleReport('workflowStatus', scheduleId))
  }

  async getScheduleStatus(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    return this._read((n) => n.scheduleReport('status', scheduleId))
  }

  async getScheduleHealth(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    return this._read((n) => n.scheduleReport('health', scheduleId))
  }

  async getScheduleMetrics(scheduleId) {
    checkId(scheduleId, 'scheduleId')
    return this._read((n) => n.scheduleReport('metrics', scheduleId))
  }

  async getSystemMetrics() {
    const metrics = await this._read((n) => n.systemMetrics())
    const { rss, heapUsed } = process.memoryUsage()
    metrics.systemLoad.memory = rss
    metrics.resourceUtilization.memory = heapUsed
    return metrics
  }

  async getIntegrationMetrics(scheduleId) {
    if (scheduleId !== undefined) checkId(scheduleId, 'scheduleId')
    const metrics = await this._read((n) => n.integrationMetrics(scheduleId))
    // Time from an event's creation in the engine to its delivery to listeners (system clock).
    metrics.averageEventBroadcastLatency = this._pump.averageLatency()
    return metrics
  }

  /**
   * The nodes of the cluster on a PostgreSQL store, with their leases (read from the
   * database, off the JavaScript thread); rejects ERR_NOT_CLUSTER on memory and SQLite, and
   * ERR_NOT_INITIALIZED before the store is open (initialize()).
   */
  async getClusterNodes() {
    return revive(JSON.parse(await this._offThread((n) => n.clusterNodes())))
  }

  getPerformanceMetrics() {
    return this._read((n) => n.performanceMetrics())
  }

  /**
   * Every tickflow series in the Prometheus text exposition format (`tickflow_` names, base
   * units in seconds, histograms with fixed buckets). `{ perSchedule: false }` leaves the
   * `schedule` label out and sums the series, for very many schedules.
   */
  async metrics(options) {
    checkOptions(options, ['perSchedule'])
    const perSchedule = readFlag(options, 'perSchedule', true)
    // Rendered off the JavaScript thread; refused with ERR_METRICS_TOO_LARGE (naming the
    // options that work) when it would not fit in one string.
    return await this._offThread((n) => n.metricsText(perSchedule, MAX_STRING_LENGTH))
  }

  /**
   * The same exposition in pieces of a few megabytes (each ends with a line), rendered off
   * the JavaScript thread: for any number of schedules, e.g. piped to an HTTP response.
   */
  metricsStream(options) {
    checkOptions(options, ['perSchedule'])
    const cursor = this._call((n) => n.metricsCursor(readFlag(options, 'perSchedule', true)))
    const self = this
    return (async function* pieces() {
      for (;;) {
        const piece = await self._offThread(() => cursor.next())
        if (piece === null) return
        yield piece
      }
    })()
  }

  // ---- time --------------------------------------------------------------------------------

  now() {
    return new Date(this._call((n) => n.now()))
  }

  /**
   * Manual clock only: moves time by `ms`, fires everything that fell due in order, and
   * resolves once those executions have been dispatched. `{ jump: true }` leaps instead, as
   * a sleeping host does: late fires then follow their catch-up policy.
   */
  async advanceTime(ms, options) {
    checkOptions(options, ['jump'])
    checkAdvance(ms)
    const jump = readFlag(options, 'jump', false)
    if (jump) {
      await this._change((n) => n.advance(ms, true))
    } else {
      for (let opening = this._lifecycle.whenOpen(); opening !== null; opening = this._lifecycle.whenOpen()) await opening
      // Checks the clock kind without moving time.
      this._call((n) => n.advance(0, false))
      const until = new Date(this.now().getTime() + ms)
      // One instant at a time, letting executors that settle at once do so in between, as
      // they would if the time really passed.
      while (this._command((n) => n.advanceStep(until.getTime()))) await immediate()
    }
    // Executors that settle at once have answered, and their answers are recorded.
    await immediate()
    await this._pump.soon()
  }
}

// The methods whose errors may name a path into their arguments, and those arguments'
// names: an error's `value` is then the caller's own (withCallersValue), and an unknown id
// (ERR_NOT_FOUND) names the argument that held it.
const ARGUMENT_NAMES = {
  createScheduledWorkflow: ['config'],
  upsertScheduledWorkflow: ['config'],
  syncScheduledWorkflows: ['configs', 'options'],
  // The engine names an update's fields by the config they change.
  updateScheduledWorkflow: ['id', 'config'],
  deleteScheduledWorkflow: ['id'],
  pauseSchedule: ['scheduleId', 'note'],
  resumeSchedule: ['scheduleId'],
  enableSchedule: ['scheduleId'],
  disableSchedule: ['scheduleId'],
  triggerScheduledExecution: ['scheduleId', 'context'],
  cancelScheduledExecution: ['executionId'],
  retryExecution: ['executionId'],
  backfill: ['scheduleId', 'from', 'to'],
  listExecutions: ['filters'],
  getExecutionHistory: ['scheduleId', 'filters'],
  getSkippedOccurrences: ['scheduleId'],
  getNextExecutionTimes: ['scheduleId', 'count'],
  syncScheduleWorkflowState: ['scheduleId', 'workflowId'],
  getScheduleWorkflowStatus: ['scheduleId'],
  getScheduleStatus: ['scheduleId'],
  getScheduleHealth: ['scheduleId'],
  getScheduleMetrics: ['scheduleId'],
  getIntegrationMetrics: ['scheduleId'],
  _planSync: ['configs'],
}

/** `err`, its value the caller's own, and an unknown id's path the argument that held it. */
function explained(err, params, args) {
  if (err === null || typeof err !== 'object') return err
  // Only the id the message names: a retry's 'schedule … not found' is not its executionId.
  if (err.code === 'ERR_NOT_FOUND' && err.path === undefined && typeof args[0] === 'string' && String(err.message).includes(`'${args[0]}'`)) {
    err.path = params[0]
    err.value = args[0]
    return err
  }
  return withCallersValue(err, Object.fromEntries(params.map((p, i) => [p, args[i]])))
}

for (const [name, params] of Object.entries(ARGUMENT_NAMES)) {
  const method = WorkflowScheduleIntegration.prototype[name]
  Object.defineProperty(WorkflowScheduleIntegration.prototype, name, {
    value: {
      [name](...args) {
        let answer
        try {
          answer = method.apply(this, args)
        } catch (err) {
          throw explained(err, params, args)
        }
        if (answer === null || typeof answer !== 'object' || typeof answer.then !== 'function') return answer
        return answer.then(undefined, (err) => {
          throw explained(err, params, args)
        })
      },
    }[name],
    writable: true,
    configurable: true,
  })
}

module.exports = { WorkflowScheduleIntegration }
