'use strict'
// Hosts the executors: calls the user's handler for each attempt the engine dispatches
// (its answer awaited, whether it returns a value or a Promise, or throws), fires the
// attempt's signal when the engine ends it (timeout, cancel, stop), and hands the outcomes
// back to the engine, batched.

const { codedError, toJson } = require('../json.js')
const { loadTracing } = require('../tracing.js')

const MAX_LINKS = 10_000

class ExecutorHost {
  /**
   * `executor` answers every schedule without a handler of its own (null: none does);
   * `afterAnswers` runs once the engine has taken a batch of answers (the drain).
   */
  constructor(native, executor, afterAnswers) {
    this.native = native
    this.executor = executor
    this.afterAnswers = afterAnswers
    // schedule() declarations: id → handler.
    this.handlers = new Map()
    // The attempts running: `${executionId}#${attempt}` → AttemptSignal.
    this.controllers = new Map()
    // Answers waiting for one batched call: [key, attempt] pairs, and their outcomes as JSON.
    this.answered = []
    this.outcomes = []
    // With @opentelemetry/api installed: spans per attempt, and manual triggers' links.
    this.tracing = loadTracing()
    this.links = new Map()
    // Without an executor, fires of schedules with no handler here are skipped (no_handler).
    native.setExecutor(executor !== null)
  }

  // ---- schedule() handlers ----------------------------------------------------------------

  /**
   * One handler per id: a second declaration is a mistake (two modules, one name), not a
   * replacement; deleteScheduledWorkflow(id) frees the id.
   */
  refuseDuplicate(id) {
    if (this.handlers.has(id)) {
      throw codedError(Error, 'ERR_DUPLICATE_ID', 'id', `schedule '${id}' is already declared in this process; deleteScheduledWorkflow('${id}') first to declare it anew`, id)
    }
  }

  declare(id, handler) {
    this.handlers.set(id, handler)
    this.native.setHandled(id, true)
  }

  forget(id) {
    this.handlers.delete(id)
    this.native.setHandled(id, false)
  }

  declares(id) {
    return this.handlers.has(id)
  }

  /**
   * For a manual trigger: what records the caller's span, so that the execution's span
   * links to it (known before its drain calls the executor); null without tracing.
   */
  linkToCaller() {
    const link = this.tracing && this.tracing.activeLink()
    if (!link) return null
    return (executionId) => {
      this.links.set(executionId, link)
      // An execution cancelled before it ran leaves its link behind: keep the map bounded.
      if (this.links.size > MAX_LINKS) this.links.delete(this.links.keys().next().value)
    }
  }

  // ---- attempts ---------------------------------------------------------------------------

  /** Calls the executor for one attempt; `attempt` is its AttemptSignal (request.signal). */
  execute(request, engineKey, attempt) {
    const key = `${request.executionId}#${request.attempt}`
    this.controllers.set(key, attempt)
    const handler = this.handlers.size === 0 ? this.executor : this.handlers.get(request.scheduleId) || this.executor
    let span = null
    let pending
    try {
      if (handler === null) throw noHandler(request.scheduleId)
      if (this.tracing !== null) {
        const link = this.links.get(request.executionId)
        if (link) this.links.delete(request.executionId)
        span = this.tracing.start(request, link)
      }
      pending = Promise.resolve(span === null ? handler(request) : span.run(() => handler(request)))
    } catch (err) {
      pending = Promise.reject(err)
    }
    pending.then(
      (result) => {
        if (span) span.end()
        this.settle(key, attempt, engineKey, request.attempt, successJson(result))
      },
      (err) => {
        if (span) span.end(err)
        this.settle(key, attempt, engineKey, request.attempt, failureJson(err))
      },
    )
  }

  /**
   * The engine ended an attempt (timeout, cancel, stop): its signal fires and its entry goes,
   * so that a handler that never settles holds nothing here. A late settlement is recorded by
   * the engine, never applied.
   */
  abort(executionId, attemptNumber, why) {
    const key = `${executionId}#${attemptNumber}`
    const attempt = this.controllers.get(key)
    if (attempt) {
      this.controllers.delete(key)
      const reason = new Error(`execution ${executionId} aborted: ${why}`)
      reason.code = why === 'timeout' ? 'TIMEOUT' : 'ABORTED'
      reason.reason = why
      attempt.abort(reason)
    }
  }

  /** After a stop: nothing can abort what still runs; its late answer is harmless. */
  letGo() {
    this.controllers.clear()
  }

  /** Answers that settle together reach the engine in one call. */
  settle(key, signal, engineKey, attempt, outcomeJson) {
    // Only its own entry: a late answer must not remove a newer run's under the same key.
    if (this.controllers.get(key) === signal) this.controllers.delete(key)
    this.answered.push(engineKey, attempt)
    this.outcomes.push(outcomeJson)
    if (this.outcomes.length === 1) this.flushSoon()
  }

  /**
   * Flushes once the answers settling now have all arrived: after the microtasks queued so
   * far, and again for as long as each pass brings more (as process.nextTick would batch
   * them; Jest's fake timers replace nextTick, and the answers would then never arrive).
   */
  flushSoon() {
    let seen = 0
    const pass = () => {
      if (this.outcomes.length === 0) return
      if (this.outcomes.length === seen) return this.flush()
      seen = this.outcomes.length
      Promise.resolve().then(pass)
    }
    Promise.resolve().then(pass)
  }

  flush() {
    const attempts = new Float64Array(this.answered)
    const outcomes = `[${this.outcomes.join(',')}]`
    this.answered = []
    this.outcomes = []
    try {
      this.native.completeAll(attempts, outcomes)
    } finally {
      this.afterAnswers()
    }
  }
}

/** The outcome of one attempt, as JSON text for the engine. */
function successJson(result) {
  let json
  try {
    json = toJson(result === undefined ? null : result, 'result', true)
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
      if ((typeof err.code === 'string' && err.code.length > 0) || Number.isFinite(err.code)) code = String(err.code)
      message = typeof err.message === 'string' ? err.message : printed(err)
      if (typeof err.stack === 'string') stack = err.stack
    } else {
      message = String(err)
    }
  } catch {
    message = 'the executor failed with a value that cannot be printed'
  }
  return JSON.stringify({ code, message, stack })
}

/** A thrown value that is not an Error, as text: its JSON (cut short), else String(). */
function printed(value) {
  const text = String(value)
  if (text !== '[object Object]') return text
  try {
    const json = JSON.stringify(value)
    return json.length > 500 ? `${json.slice(0, 500)}…` : json
  } catch {
    return text
  }
}

function noHandler(scheduleId) {
  const err = new Error(`no handler for schedule '${scheduleId}': declare it in this process with schedule(id, cron, options, handler), or give the integration an executor`)
  err.code = 'NO_HANDLER'
  return err
}

module.exports = { ExecutorHost }
