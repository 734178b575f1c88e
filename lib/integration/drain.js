'use strict'
// The drain pump: takes what the engine has to say, in batches, decodes it (lib/messages.js)
// and hands each piece on: events to the integration's listeners, attempts to the executor
// host. A drain runs when the engine wakes JavaScript, after a command (queued as a
// microtask, so that a burst of commands shares one drain and its store commit), and after
// a batch of executor answers.

const { types } = require('node:util')
const { Decoder } = require('../messages.js')

class DrainPump {
  /**
   * `emitter` is the integration whose listeners hear the events; `host` runs the attempts;
   * `afterDrain` runs after each drain (a stop waits there for the last attempts);
   * `systemClock` says whether an event's timestamp can measure its delivery's lateness.
   */
  constructor(native, emitter, host, afterDrain, systemClock) {
    this.native = native
    this.emitter = emitter
    this.afterDrain = afterDrain
    this.systemClock = systemClock
    this.decoder = new Decoder(native.eventIdPrefix(), native.defaultEnvironment())
    // Where the decoder hands each drained message.
    this.sink = {
      event: (event) => this.deliver(event),
      execute: (request, engineKey, attempt) => host.execute(request, engineKey, attempt),
      abort: (executionId, attempt, reason) => host.abort(executionId, attempt, reason),
    }
    this.draining = false
    this.drainAgain = false
    // The queued drain's promise, until it runs.
    this.queued = null
    // Time from an event's creation in the engine to its delivery to listeners.
    this.broadcast = { count: 0, totalMs: 0 }
  }

  /** Queues a drain as a microtask (one for a burst of calls); resolves once it has run. */
  soon() {
    if (!this.queued) {
      // A promise's reaction rather than queueMicrotask, which Jest's fake timers replace.
      this.queued = Promise.resolve().then(() => {
        this.queued = null
        try {
          this.now()
        } catch (err) {
          this.report('ERR_INTERNAL', `a drain failed: ${describe(err)}`)
        }
      })
    }
    return this.queued
  }

  /** Delivers everything the engine said, in order. Re-entrant calls are folded in. */
  now() {
    if (this.draining) {
      this.drainAgain = true
      return
    }
    this.draining = true
    try {
      do {
        this.drainAgain = false
        this.decoder.decode(JSON.parse(this.native.drain()), this.sink)
      } while (this.drainAgain)
    } finally {
      this.draining = false
    }
    this.afterDrain()
  }

  /** Emits under the event's name and as 'event'; a throwing listener harms no one else. */
  deliver(event) {
    if (this.systemClock && event.timestamp instanceof Date) {
      this.broadcast.count++
      this.broadcast.totalMs += Date.now() - event.timestamp.getTime()
    }
    // listenerCount first: rawListeners copies the list, even an empty one.
    if (this.emitter.listenerCount(event.type) > 0) this.deliverAs(event.type, event)
    if (this.emitter.listenerCount('event') > 0) this.deliverAs('event', event)
  }

  deliverAs(name, event) {
    for (const listener of this.emitter.rawListeners(name)) {
      try {
        const returned = listener.call(this.emitter, event)
        // An async listener's rejection is its fault too, not an unhandled rejection. Only
        // a real Promise: calling then() on another thenable (a query builder) would run it.
        if (types.isPromise(returned)) {
          returned.then(undefined, (err) => this.listenerFailed(name, event, err, 'rejected'))
        }
      } catch (err) {
        this.listenerFailed(name, event, err, 'threw')
      }
    }
  }

  listenerFailed(name, event, err, how) {
    if (event.type === 'integration.error') return
    this.report('ERR_LISTENER', `a '${name}' listener ${how}: ${describe(err)}`)
  }

  /** An `integration.error` of this JavaScript layer, delivered as the engine's are. */
  report(code, message) {
    this.deliver({ type: 'integration.error', code, message, timestamp: new Date() })
  }

  /** The average lateness of the events delivered so far, in ms (0 before the first). */
  averageLatency() {
    const { count, totalMs } = this.broadcast
    return count === 0 ? 0 : totalMs / count
  }
}

const describe = (err) => (err && err.message ? err.message : String(err))

module.exports = { DrainPump }
