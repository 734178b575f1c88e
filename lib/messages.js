'use strict'
// Decodes what the engine drains (src/outbound.rs: one flat JSON array, an operation code
// then its fields) into the objects users see: lifecycle events and executor requests,
// Dates made here. A schedule's constant parts arrive once per version (SCHEDULE) and are
// copied into each object that holds them, so that no two events share a mutable object.

const { revive } = require('./json.js')

const EVENT = 0
const SCHEDULE = 1
const TRIGGERED = 2
const EXECUTE = 3
const STARTED = 4
const FINISHED = 5
const ABORT = 6
const SKIPPED = 7

// Indexed by the engine's TriggerType and ExecutionStatus, in declaration order.
const TRIGGER = ['scheduled', 'manual', 'retry', 'catchup', 'backfill']
const SOURCE = ['schedule', 'manual', 'retry', 'schedule', 'schedule']
const EVENT_KIND = ['scheduled', 'manual', 'retry', 'scheduled', 'scheduled']
const STATUS = ['queued', 'running', 'retrying', 'completed', 'failed', 'cancelled', 'timeout']

/** A deep copy of a value made by JSON.parse and `revive`: objects, arrays, Dates, primitives. */
function deepCopy(value) {
  if (value === null || typeof value !== 'object') return value
  if (value instanceof Date) return new Date(value.getTime())
  if (Array.isArray(value)) return value.map(deepCopy)
  return copyInto({}, value)
}

/** Copies `source`'s fields into `target`, deeply; a `__proto__` key stays a plain field, as JSON.parse made it. */
function copyInto(target, source) {
  for (const key in source) {
    const value = deepCopy(source[key])
    if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
    else target[key] = value
  }
  return target
}

/**
 * Whether every value of the object is a primitive (a shallow copy is then a full one) and
 * no key is `__proto__` (which Object.assign would take for the prototype).
 */
function isFlat(object) {
  for (const key in object) {
    const v = object[key]
    if ((v !== null && typeof v === 'object') || key === '__proto__') return false
  }
  return true
}

/** Makes fresh copies of `value` (an object parsed from the engine), as cheaply as its shape allows. */
function copier(value) {
  const object = revive(value)
  if (object === null || typeof object !== 'object') return () => object
  if (isFlat(object)) return () => Object.assign({}, object)
  return () => deepCopy(object)
}

/**
 * An attempt's AbortSignal, made when the executor first reads `request.signal`: most never
 * do, and a herd of executions should not pay for a controller each.
 */
class AttemptSignal {
  constructor() {
    this.controller = null
    this.reason = undefined
  }

  get signal() {
    if (this.controller === null) {
      this.controller = new AbortController()
      if (this.reason !== undefined) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  abort(reason) {
    this.reason = reason
    if (this.controller !== null) this.controller.abort(reason)
  }
}

/**
 * What the executor is called with. `signal` is an accessor on the prototype, as a fetch
 * Request's is: an accessor on each object costs V8 a slow path per request.
 */
class ExecutionRequest {
  #attempt
  constructor(executionId, parts, attempt, resumed, triggerType, scheduledTime, startedAt, context, signal) {
    this.executionId = executionId
    this.scheduleId = parts.scheduleId
    this.workflowId = parts.workflowId
    this.scheduledWorkflowId = parts.configId
    this.attempt = attempt
    // It runs again an attempt that a stop or a dead process interrupted.
    this.resumed = resumed
    this.triggerType = triggerType
    this.scheduledTime = scheduledTime
    this.startedAt = startedAt
    this.variables = parts.variables()
    // The workflow's own, else the integration's (as the execution's context says).
    this.environment = parts.contextEnvironment
    this.metadata = parts.metadata()
    // Left out when there is none.
    if (context !== null) this.context = context
    this.#attempt = signal
  }

  /** Aborted on timeout, cancel, cancelOther and stop. */
  get signal() {
    return this.#attempt.signal
  }
}

/** One schedule's constant parts, as of one version. */
class ScheduleParts {
  constructor(configId, scheduleId, workflowId, metadata, variables, environment, defaultEnvironment) {
    this.configId = configId
    this.scheduleId = scheduleId
    this.workflowId = workflowId
    this.metadata = copier(metadata)
    this.variables = copier(variables)
    this.environment = environment
    // What schedule.triggered's context names: the workflow's, else the integration's.
    this.contextEnvironment = environment === null ? defaultEnvironment : environment
    // Revived in place by copier(); read for execution events' metadata.
    this.metadataObject = metadata
    this.flatMetadata = isFlat(metadata)
  }

  /** An execution event's metadata: its source and correlation id, then the schedule's. */
  executionMetadata(source, executionId) {
    const head = { source, correlationId: executionId }
    return this.flatMetadata ? Object.assign(head, this.metadataObject) : copyInto(head, this.metadataObject)
  }
}

class Decoder {
  /** `eventIdPrefix`: what every event id starts with; `defaultEnvironment`: the integration's. */
  constructor(eventIdPrefix, defaultEnvironment) {
    this.eventIdPrefix = eventIdPrefix
    this.defaultEnvironment = defaultEnvironment
    // By slot; an ad-hoc version (slot -1) is a property like any other.
    this.schedules = []
  }

  /**
   * Hands every message of one drain to `sink`, in order: `sink.event(event)`,
   * `sink.execute(request, key, attemptSignal)` and `sink.abort(executionId, attempt, reason)`.
   * The first item is the drain's base time; the times in messages are relative to it.
   */
  decode(m, sink) {
    const n = m.length
    this.base = m[0]
    let i = 1
    while (i < n) {
      switch (m[i]) {
        case EVENT:
          sink.event(revive(m[i + 1]))
          i += 2
          break
        case SCHEDULE:
          this.schedules[m[i + 1]] = new ScheduleParts(m[i + 2], m[i + 3], m[i + 4], m[i + 5], m[i + 6], m[i + 7], this.defaultEnvironment)
          i += 8
          break
        case TRIGGERED:
          sink.event(this.triggered(m, i))
          i += 8
          break
        case EXECUTE: {
          const attempt = new AttemptSignal()
          sink.execute(this.request(m, i, attempt), m[i + 2], attempt)
          i += 9
          break
        }
        case STARTED:
          sink.event(this.started(m, i))
          i += 7
          break
        case FINISHED:
          sink.event(this.finished(m, i))
          i += 13
          break
        case ABORT:
          sink.abort(m[i + 1], m[i + 2], m[i + 3])
          i += 4
          break
        case SKIPPED:
          sink.event(this.skipped(m, i))
          i += 6
          break
        default:
          throw new Error(`tickflow: unknown message code ${m[i]} at ${i} of a drain`)
      }
    }
  }

  eventId(n) {
    return this.eventIdPrefix + n.toString(16)
  }

  // `code, slot, executionId, trigger, event, atMs, scheduledMs, context`
  triggered(m, i) {
    const p = this.schedules[m[i + 1]]
    const trigger = m[i + 3]
    const at = this.base + m[i + 5]
    const context = m[i + 7]
    return {
      type: 'schedule.triggered',
      timestamp: new Date(at),
      id: this.eventId(m[i + 4]),
      scheduledWorkflowId: p.configId,
      scheduleId: p.scheduleId,
      workflowId: p.workflowId,
      metadata: p.metadata(),
      executionId: m[i + 2],
      scheduledTime: new Date(this.base + m[i + 6]),
      triggerTime: new Date(at),
      triggerType: EVENT_KIND[trigger],
      triggerKind: TRIGGER[trigger],
      context: {
        triggeredBy: SOURCE[trigger],
        triggerData: context === null ? null : revive(context),
        environment: p.contextEnvironment,
        metadata: p.metadata(),
      },
    }
  }

  // `code, slot, key, executionId, attempt, trigger, scheduledMs, startedMs, context`; the
  // attempt is negated for a resumed run.
  request(m, i, attempt) {
    const p = this.schedules[m[i + 1]]
    const context = m[i + 8]
    const number = m[i + 4]
    return new ExecutionRequest(
      m[i + 3],
      p,
      number < 0 ? -number : number,
      number < 0,
      TRIGGER[m[i + 5]],
      new Date(this.base + m[i + 6]),
      new Date(this.base + m[i + 7]),
      context === null ? null : revive(context),
      attempt,
    )
  }

  // `code, slot, event, atMs, scheduledMs, reason`
  skipped(m, i) {
    const p = this.schedules[m[i + 1]]
    return {
      type: 'schedule.skipped',
      timestamp: new Date(this.base + m[i + 3]),
      id: this.eventId(m[i + 2]),
      scheduledWorkflowId: p.configId,
      scheduleId: p.scheduleId,
      workflowId: p.workflowId,
      metadata: p.metadata(),
      scheduledTime: new Date(this.base + m[i + 4]),
      reason: m[i + 5],
    }
  }

  // `code, slot, executionId, trigger, event, atMs, attempt`
  started(m, i) {
    const p = this.schedules[m[i + 1]]
    const executionId = m[i + 2]
    const at = this.base + m[i + 5]
    return {
      type: 'workflow.started',
      timestamp: new Date(at),
      id: this.eventId(m[i + 4]),
      scheduledWorkflowId: p.configId,
      scheduleId: p.scheduleId,
      workflowId: p.workflowId,
      executionId,
      metadata: p.executionMetadata(SOURCE[m[i + 3]], executionId),
      attempt: m[i + 6],
      startTime: new Date(at),
    }
  }

  // `code, slot, executionId, trigger, event, atMs, status, startMs, endMs, duration,
  // attempts, result, error`
  finished(m, i) {
    const p = this.schedules[m[i + 1]]
    const executionId = m[i + 2]
    const trigger = m[i + 3]
    const status = STATUS[m[i + 6]]
    const start = m[i + 7]
    const end = m[i + 8]
    const base = this.base
    const result = m[i + 11]
    const error = m[i + 12]
    if (status === 'completed' && result !== null && error === null) {
      // The usual end, in one literal (properties added later cost a map migration each).
      return {
        type: 'workflow.completed',
        timestamp: new Date(base + m[i + 5]),
        id: this.eventId(m[i + 4]),
        scheduledWorkflowId: p.configId,
        scheduleId: p.scheduleId,
        workflowId: p.workflowId,
        executionId,
        metadata: p.executionMetadata(SOURCE[trigger], executionId),
        status,
        startTime: start === null ? null : new Date(base + start),
        endTime: end === null ? null : new Date(base + end),
        duration: m[i + 9],
        result: revive(result),
        attempts: m[i + 10],
        triggerType: TRIGGER[trigger],
      }
    }
    const event = {
      type: status === 'completed' ? 'workflow.completed' : 'workflow.failed',
      timestamp: new Date(base + m[i + 5]),
      id: this.eventId(m[i + 4]),
      scheduledWorkflowId: p.configId,
      scheduleId: p.scheduleId,
      workflowId: p.workflowId,
      executionId,
      metadata: p.executionMetadata(SOURCE[trigger], executionId),
      status,
      startTime: start === null ? null : new Date(base + start),
      endTime: end === null ? null : new Date(base + end),
      duration: m[i + 9],
    }
    // Left out when absent (production-ccs's types make them optional, not nullable).
    if (result !== null) event.result = revive(result)
    if (error !== null) event.error = revive(error)
    event.attempts = m[i + 10]
    event.triggerType = TRIGGER[trigger]
    return event
  }
}

module.exports = { Decoder }
