'use strict'
// WorkflowScheduleIntegration: the JavaScript face of the native engine. It owns the
// native handle, calls the user's executor, and turns the engine's messages into events.

const { EventEmitter } = require('node:events')
const { NativeIntegration } = require('./native.js').binding
const { codedError, toJson, revive, rebuilt } = require('./json.js')

const { checkScheduleArgs, toWorkflowConfig, shortPath, oneOffInstant, oneOffSchedule, DECLARED_BY_SCHEDULE } = require('./schedule-options.js')
const { loadTracing } = require('./tracing.js')
const { Decoder } = require('./messages.js')

/** A native answer in JSON text as a value; `null` stays null. */
const fromJson = (text) => (text === null ? null : revive(JSON.parse(text)))

const DEFAULT_GRACE_MS = 10_000
const MAX_GRACE_MS = 2_147_483_647
const MAX_ADVANCE_MS = 100 * 366 * 86_400_000
const MAX_LINKS = 10_000
const UNDECLARED_POLICIES = ['keep', 'pause', 'delete']
const UNDECLARED_NOTE = 'undeclared: schedule() did not declare it in this process'
/** The longest string V8 makes; an exposition in UTF-8 bytes no longer than this fits. */
const MAX_STRING_LENGTH = require('node:buffer').constants.MAX_STRING_LENGTH

function checkId(value, path) {
  if (typeof value !== 'string') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, `expected a string, got ${value === null ? 'null' : typeof value}`, value)
  }
  // Each store ends or refuses a NUL in text its own way: one answer, here.
  if (value.includes('\0')) throw codedError(RangeError, 'ERR_INVALID_ID', path, 'cannot hold a NUL character (\\0)', value)
}

/** JSON text for `value`, or undefined when it is left out. */
function optionalJson(value, path) {
  return value === undefined ? undefined : toJson(value, path)
}

function checkObject(value, path) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', path, 'expected an object', value)
  }
}

/** The outcome of one attempt, as JSON text for the engine. */
function successJson(result) {
  let json
  try {
    json = toJson(result === undefined ? null : result, 'result')
  } catch (err) {
    return failureJson({ code: 'RESULT_NOT_SERIALIZABLE', message: `the executor's result cannot be stored: ${err.message}` })
  }
  // A success is its result in a one-item array: the engine tells it from a failure's
  // object without building one for each answer.
  return `[${json === undefined ? 'null' : json}]`
}

function failureJson(err) {
  let code = 'EXECUTION_FAILED'
  let message
  let stack
  try {
    if (err !== null && typeof err === 'object') {
      if (typeof err.code === 'string' && err.code.length > 0) code = err.code
      message = typeof err.message === 'string' ? err.message : String(err)
      if (typeof err.stack === 'string') stack = err.stack
    } else {
      message = String(err)
    }
  } catch {
    message = 'the executor failed with a value that cannot be printed'
  }
  return JSON.stringify({ code, message, stack })
}

class WorkflowScheduleIntegration extends EventEmitter {
  constructor(options = {}) {
    super()
    checkObject(options, 'options')
    const { executor, ...rest } = options
    // Optional when every schedule is declared with its own handler (`schedule()`).
    if (executor !== undefined && typeof executor !== 'function') {
      throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.executor', 'expected a function', executor)
    }
    this._executor = executor || null
    this._handlers = new Map()
    try {
      this._native = new NativeIntegration(toJson(rest, 'options'))
    } catch (err) {
      throw rebuilt(err)
    }
    // Without an executor, fires of schedules with no handler here are skipped (no_handler).
    this._native.setExecutor(this._executor !== null)
    this._state = 'stopped'
    this._initialized = false
    this._opening = null
    this._starting = null
    this._stopRequested = false
    this._controllers = new Map()
    this._draining = false
    this._drainAgain = false
    this._idle = null
    this._stopping = null
    // Answers waiting for one batched call: [key, attempt] pairs, and their outcomes as JSON.
    this._answered = []
    this._outcomes = []
    this._decoder = new Decoder(this._native.eventIdPrefix(), this._native.defaultEnvironment())
    // Where the decoder hands each drained message.
    this._sink = {
      event: (event) => this._deliver(event),
      execute: (request, engineKey, attempt) => this._execute(request, engineKey, attempt),
      abort: (executionId, attempt, reason) => this._abort(executionId, attempt, reason),
    }
    this._drained = null
    this._systemClock = rest.clock !== 'manual'
    // What keeps Node alive while a real clock runs is a JS timer made in start() (see
    // _keepAlive): tools such as Jest's --detectOpenHandles name it at the caller's start()
    // line. The native wake-up function never holds the loop itself.
    this._referenced = true
    this._keepAliveTimer = null
    this._native.unref()
    this._broadcast = { count: 0, totalMs: 0 }
    // With @opentelemetry/api installed: spans per attempt, and manual triggers' links.
    this._tracing = loadTracing()
    this._links = new Map()
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

  // ---- plumbing -------------------------------------------------------------------------

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
      this._drainSoon()
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
    if (!this._initialized && this._state !== 'stopping') await this._open()
    let answer = this._command(fn)
    if (answer !== null && typeof answer === 'object' && typeof answer.then === 'function') {
      try {
        answer = await answer
      } catch (err) {
        throw rebuilt(err)
      } finally {
        this._drainSoon()
      }
    }
    if (onAnswer !== null) onAnswer(answer)
    await this._drained
    return answer
  }

  /** The exposition's families, `{ name, help, type }` (for lib/prometheus.js). */
  _prometheusFamilies(perSchedule) {
    return JSON.parse(this._call((n) => n.prometheusFamilies(perSchedule)))
  }

  /** A native read run off the JavaScript thread; its error is rebuilt in the caller's realm. */
  async _offThread(fn) {
    try {
      return await this._call(fn)
    } catch (err) {
      throw rebuilt(err)
    }
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

  _drainSoon() {
    if (!this._drained) {
      this._drained = new Promise((resolve) => {
        queueMicrotask(() => {
          this._drained = null
          try {
            this._drain()
          } finally {
            resolve()
          }
        })
      })
    }
    return this._drained
  }

  /** Delivers everything the engine said, in order. Re-entrant calls are folded in. */
  _drain() {
    if (this._draining) {
      this._drainAgain = true
      return
    }
    this._draining = true
    try {
      do {
        this._drainAgain = false
        this._decoder.decode(JSON.parse(this._native.drain()), this._sink)
      } while (this._drainAgain)
    } finally {
      this._draining = false
    }
    if (this._idle && this._native.inFlight() === 0) this._idle()
  }

  /**
   * The engine ended an attempt (timeout, cancel, stop): its signal fires and its entry goes,
   * so that a handler that never settles holds nothing here. A late settlement is recorded by
   * the engine, never applied.
   */
  _abort(executionId, attemptNumber, why) {
    const key = `${executionId}#${attemptNumber}`
    const attempt = this._controllers.get(key)
    if (attempt) {
      this._controllers.delete(key)
      const reason = new Error(`execution ${executionId} aborted: ${why}`)
      reason.code = why === 'timeout' ? 'TIMEOUT' : 'ABORTED'
      reason.reason = why
      attempt.abort(reason)
    }
  }

  /** Emits under the event's name and as 'event'; a throwing listener harms no one else. */
  _deliver(event) {
    if (this._systemClock && event.timestamp instanceof Date) {
      this._broadcast.count++
      this._broadcast.totalMs += Date.now() - event.timestamp.getTime()
    }
    // listenerCount first: rawListeners copies the list, even an empty one.
    if (this.listenerCount(event.type) > 0) this._deliverAs(event.type, event)
    if (this.listenerCount('event') > 0) this._deliverAs('event', event)
  }

  _deliverAs(name, event) {
    for (const listener of this.rawListeners(name)) {
      try {
        listener.call(this, event)
      } catch (err) {
        if (event.type === 'integration.error') continue
        this._deliver({
          type: 'integration.error',
          code: 'ERR_LISTENER',
          message: `a '${name}' listener threw: ${err && err.message ? err.message : String(err)}`,
          timestamp: new Date(),
        })
      }
    }
  }

  /** Calls the executor for one attempt; `attempt` is its AttemptSignal (request.signal). */
  _execute(request, engineKey, attempt) {
    const key = `${request.executionId}#${request.attempt}`
    this._controllers.set(key, attempt)
    const handler = this._handlers.size === 0 ? this._executor : this._handlers.get(request.scheduleId) || this._executor
    let span = null
    let pending
    try {
      if (handler === null) throw noHandler(request.scheduleId)
      if (this._tracing !== null) {
        const link = this._links.get(request.executionId)
        if (link) this._links.delete(request.executionId)
        span = this._tracing.start(request, link)
      }
      pending = Promise.resolve(span === null ? handler(request) : span.run(() => handler(request)))
    } catch (err) {
      pending = Promise.reject(err)
    }
    pending.then(
      (result) => {
        if (span) span.end()
        this._settle(key, attempt, engineKey, request.attempt, successJson(result))
      },
      (err) => {
        if (span) span.end(err)
        this._settle(key, attempt, engineKey, request.attempt, failureJson(err))
      },
    )
  }

  /** Answers that settle together reach the engine in one call. */
  _settle(key, signal, engineKey, attempt, outcomeJson) {
    // Only its own entry: a late answer must not remove a newer run's under the same key.
    if (this._controllers.get(key) === signal) this._controllers.delete(key)
    this._answered.push(engineKey, attempt)
    this._outcomes.push(outcomeJson)
    if (this._outcomes.length === 1) process.nextTick(() => this._flushCompletions())
  }

  _flushCompletions() {
    const attempts = new Float64Array(this._answered)
    const outcomes = `[${this._outcomes.join(',')}]`
    this._answered = []
    this._outcomes = []
    try {
      this._native.completeAll(attempts, outcomes)
    } finally {
      this._drain()
    }
  }

  // ---- lifecycle ------------------------------------------------------------------------
  //
  // Any method may be called in any state. Changes made before the store is open wait for
  // it (and open it: declaring schedules before start() works on every store); a stop()
  // while start() is pending wins; nothing a caller did not await can throw.

  /** Opens the store (a durable one restores its schedules and executions, off the JS thread). */
  async initialize() {
    if (this._state === 'stopping') {
      throw codedError(Error, 'ERR_INVALID_STATE', 'initialize', 'cannot initialize while stopping')
    }
    if (!this._initialized) await this._open()
  }

  /** The store's opening, shared by everyone who waits for it. */
  _open() {
    if (!this._opening) {
      this._opening = this._native.openStore().then(
        () => {
          this._opening = null
          this._initialized = true
        },
        (err) => {
          this._opening = null
          throw rebuilt(err)
        },
      )
    }
    return this._opening
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
    if (this._state === 'starting') return this._starting
    // Already running: nothing to do, as production-ccs's services return (no event).
    if (this._state === 'running') return Promise.resolve()
    if (this._state !== 'stopped' && this._state !== 'error') {
      return Promise.reject(codedError(Error, 'ERR_INVALID_STATE', 'start', `cannot start while ${this._state}`))
    }
    this._state = 'starting'
    this._stopRequested = false
    // Made here, in the caller's call: its stack names the line that started the integration.
    this._keepAlive(true)
    this._starting = this._start(undeclared).finally(() => {
      if (this._state !== 'running') this._keepAlive(false)
      this._starting = null
    })
    return this._starting
  }

  async _start(undeclared) {
    try {
      if (!this._initialized) await this._open()
      // Before the first fire: a paused or deleted schedule is not even skipped.
      if (undeclared !== 'keep') await this._settleUndeclared(undeclared)
    } catch (err) {
      this._state = 'stopped'
      throw err
    }
    if (this._stopRequested) {
      // stop() came first: end stopped, the store closed, nothing running.
      this._closeStore()
      this._state = 'stopped'
      return
    }
    try {
      this._native.start(() => this._drain())
    } catch (err) {
      this._state = 'error'
      throw rebuilt(err)
    }
    this._state = 'running'
    this._drain()
  }

  stop(options) {
    try {
      return this._beginStop(options)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  _beginStop(options) {
    const graceMs = readGrace(options)
    if (this._stopping) {
      // A second stop() with a shorter grace hurries the first (as a second Ctrl-C does).
      const hurry = this._idle
      if (hurry && options !== undefined && options.graceMs !== undefined) {
        if (graceMs === 0) hurry()
        else setTimeout(hurry, graceMs).unref()
      }
      return this._stopping
    }
    if (this._state === 'starting') {
      this._stopRequested = true
      // A start that fails has nothing to stop; either way stop() resolves.
      const settled = () => (this._state === 'running' ? this.stop(options) : undefined)
      return this._starting.then(settled, settled)
    }
    if (this._state === 'stopped' || this._state === 'error') {
      // A store opened by initialize() or an early declaration is closed (its lock freed).
      const close = () => {
        if (this._state !== 'stopped' && this._state !== 'error') return
        try {
          this._closeStore()
        } finally {
          this._native.release()
          this._state = 'stopped'
        }
      }
      return this._opening ? this._opening.then(close, close) : Promise.resolve(close())
    }
    this._stopping = this._stop(graceMs).finally(() => {
      this._stopping = null
    })
    return this._stopping
  }

  async _stop(graceMs) {
    this._state = 'stopping'
    this._command((n) => n.beginStop())
    if (this._native.inFlight() > 0 && graceMs > 0) {
      await new Promise((resolve) => {
        const timer = setTimeout(done, graceMs)
        function done() {
          clearTimeout(timer)
          resolve()
        }
        this._idle = done
      })
      this._idle = null
    }
    this._call((n) => n.abortRunning())
    this._call((n) => n.finishStop())
    // Everything the stop said (cancellations, integration.stopped) is delivered, and
    // committed, before the store closes.
    this._drain()
    // Nothing can abort what still runs now; its late answer is harmless.
    this._controllers.clear()
    try {
      this._closeStore()
    } finally {
      // Stopped either way: a store that could not take the last commit stays open, and
      // the next stop() or start() writes what it holds (the rejection names it).
      this._native.release()
      this._state = 'stopped'
      this._keepAlive(false)
    }
  }

  /** Holds (or lets go of) Node's event loop while a real clock runs. */
  _keepAlive(on) {
    if (on && this._systemClock && this._keepAliveTimer === null) {
      this._keepAliveTimer = setInterval(() => {}, MAX_GRACE_MS)
      if (!this._referenced) this._keepAliveTimer.unref()
    } else if (!on && this._keepAliveTimer !== null) {
      clearInterval(this._keepAliveTimer)
      this._keepAliveTimer = null
    }
  }

  /** Pauses or deletes the schedules `schedule()` made on an earlier boot and not on this one. */
  async _settleUndeclared(policy) {
    for (const config of this.getScheduledWorkflows()) {
      if (!this._undeclared(config)) continue
      if (policy === 'pause') await this._change((n) => n.pause(config.scheduleId, UNDECLARED_NOTE))
      else await this._change((n) => n.delete(config.id))
    }
  }

  /** A config `schedule()` created, on an earlier boot, and this process has not declared. */
  _undeclared(config) {
    return config.scheduleConfig.createdBy === DECLARED_BY_SCHEDULE && !this._handlers.has(config.id)
  }

  /**
   * A durable store is committed and closed (its lock released), so that another
   * integration, in this process or another, can open it; the next change or start()
   * opens it again.
   */
  _closeStore() {
    if (!this._initialized) return
    this._call((n) => n.closeStore())
    this._initialized = false
  }

  getState() {
    return this._state
  }

  ref() {
    this._referenced = true
    if (this._keepAliveTimer !== null) this._keepAliveTimer.ref()
    return this
  }

  unref() {
    this._referenced = false
    if (this._keepAliveTimer !== null) this._keepAliveTimer.unref()
    return this
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
    if (options !== undefined) checkObject(options, 'options')
    const deleteMissing = readFlag(options, 'deleteMissing', false)
    const json = toJson(configs, 'configs')
    return JSON.parse(await this._change((n) => n.sync(json, deleteMissing)))
  }

  /** What syncScheduledWorkflows(configs) would create, update and leave unchanged (the CLI's --dry-run). */
  _planSync(configs) {
    const json = toJson(configs, 'configs')
    return JSON.parse(this._call((n) => n.syncPlan(json)))
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
    if (typeof handler !== 'function') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'handler', 'expected a function', handler)
    this._refuseDuplicate(id)
    if (at !== null) await this._checkNotPast(id, at, cron, when)
    // Checked again: another declaration of the id may have come in while this one waited.
    this._refuseDuplicate(id)
    // Marked, so that a later boot that no longer declares it can tell (start({ undeclared })).
    const config = toWorkflowConfig(id, cron, options, { createdBy: DECLARED_BY_SCHEDULE })
    // In place before the upsert: a catch-up fire may be dispatched by its own drain.
    this._handlers.set(id, handler)
    this._native.setHandled(id, true)
    try {
      const json = toJson(config, 'config')
      return await this._change((n) => n.upsert(json))
    } catch (err) {
      this._forgetHandler(id)
      throw shortPath(err)
    }
  }

  /**
   * A one-off run for an instant already past is refused, unless it is declared again (as
   * at every boot) after it was stored: the store then has it, run or missed, and a missed
   * one follows its catch-up policy.
   */
  async _checkNotPast(id, at, cron, when) {
    if (at > this.now().getTime()) return
    if (!this._initialized && this._state !== 'stopping') await this._open()
    const stored = this.getScheduledWorkflow(id)
    if (stored !== null && stored.scheduleConfig.cronExpression === cron) return
    const instant = new Date(at).toISOString()
    throw codedError(RangeError, 'ERR_DATE_IN_PAST', 'when', `${instant} is not after now() (${this.now().toISOString()}); to run at once, use triggerScheduledExecution`, when)
  }

  /**
   * One handler per id: a second declaration is a mistake (two modules, one name), not a
   * replacement; deleteScheduledWorkflow(id) frees the id.
   */
  _refuseDuplicate(id) {
    if (this._handlers.has(id)) {
      throw codedError(Error, 'ERR_DUPLICATE_ID', 'id', `schedule '${id}' is already declared in this process; deleteScheduledWorkflow('${id}') first to declare it anew`, id)
    }
  }

  _forgetHandler(id) {
    this._handlers.delete(id)
    this._native.setHandled(id, false)
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
    this._forgetHandler(id)
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
    const link = this._tracing && this._tracing.activeLink()
    // The execution's span links to the caller's: known before its drain calls the executor.
    const remember = link
      ? (id) => {
          this._links.set(id, link)
          // An execution cancelled before it ran leaves its link behind: keep the map bounded.
          if (this._links.size > MAX_LINKS) this._links.delete(this._links.keys().next().value)
        }
      : null
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
    await this._drainSoon()
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
    const { count, totalMs } = this._broadcast
    metrics.averageEventBroadcastLatency = count === 0 ? 0 : totalMs / count
    return metrics
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
    if (options !== undefined) checkObject(options, 'options')
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
    if (options !== undefined) checkObject(options, 'options')
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
    if (options !== undefined) checkObject(options, 'options')
    if (typeof ms !== 'number') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'ms', 'expected a number', ms)
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
      throw codedError(RangeError, 'ERR_OUT_OF_RANGE', 'ms', 'expected a whole number of milliseconds from 0 to 100 years', ms)
    }
    if (options && options.jump) {
      await this._change((n) => n.advance(ms, true))
      return
    }
    if (!this._initialized) await this._open()
    // Checks the clock kind without moving time.
    this._call((n) => n.advance(0, false))
    const until = new Date(this.now().getTime() + ms)
    // One instant at a time, letting executors that settle at once do so in between, as
    // they would if the time really passed.
    while (this._command((n) => n.advanceStep(until.getTime()))) {
      await new Promise((resolve) => setImmediate(resolve))
    }
    await this._drainSoon()
  }
}

/** The boolean option `name` of `options` (checked to be an object already), or `fallback`. */
function readFlag(options, name, fallback) {
  const value = options === undefined || options === null ? undefined : options[name]
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'boolean') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', `options.${name}`, `expected true or false, got ${typeof value}`, value)
  }
  return value
}

function readUndeclared(options) {
  if (options === undefined) return 'keep'
  checkObject(options, 'options')
  const value = options.undeclared
  if (value === undefined) return 'keep'
  if (typeof value !== 'string') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.undeclared', `expected 'keep', 'pause' or 'delete', got ${value === null ? 'null' : typeof value}`, value)
  if (!UNDECLARED_POLICIES.includes(value)) throw codedError(RangeError, 'ERR_INVALID_OPTION_VALUE', 'options.undeclared', `expected 'keep', 'pause' or 'delete', got '${value}'`, value)
  return value
}

function readGrace(options) {
  if (options === undefined) return DEFAULT_GRACE_MS
  checkObject(options, 'options')
  const g = options.graceMs
  if (g === undefined) return DEFAULT_GRACE_MS
  if (typeof g !== 'number') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.graceMs', 'expected a number', g)
  if (!Number.isInteger(g) || g < 0 || g > MAX_GRACE_MS) {
    throw codedError(RangeError, 'ERR_OUT_OF_RANGE', 'options.graceMs', `expected a whole number from 0 to ${MAX_GRACE_MS}`, g)
  }
  return g
}

function noHandler(scheduleId) {
  const err = new Error(`no handler for schedule '${scheduleId}': declare it in this process with schedule(id, cron, options, handler), or give the integration an executor`)
  err.code = 'NO_HANDLER'
  return err
}

module.exports = { WorkflowScheduleIntegration }
