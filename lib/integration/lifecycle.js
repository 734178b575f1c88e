'use strict'
// The integration's lifecycle: one state, named below, that every public method consults,
// and the steps that move it. A state also says whether the store is open, so that a
// change knows at once whether it must wait for the store's opening.
//
// Any method may be called in any state. Changes made before the store is open wait for
// it (and open it: declaring schedules before start() works on every store); a stop()
// while start() is pending wins; nothing a caller did not await can throw.

// Node's own timers, not the globals: Jest's fake timers replace those, and a stop's grace
// would then never end.
const timers = require('node:timers')
const { codedError, rebuilt } = require('../json.js')
const { MAX_GRACE_MS } = require('./checks.js')

/**
 * state → [what getState() answers, the states it may move to]. The store is closed in
 * `idle` and `opening`, and open in every other state once `opening` (the promise) is done:
 * a start may begin while the store opens.
 *
 *   state       start()            stop()                       initialize(), changes
 *   idle        opens, starting    releases                     open the store (opening)
 *   opening     starting           closes once it is open       wait for the opening
 *   ready       starting           closes, releases             -
 *   starting    the same promise   cancelling, waits for start  wait for the opening
 *   cancelling  the same promise   waits for start              wait for the opening
 *   running     resolves           stopping (stopEngine)        -
 *   stopping    ERR_INVALID_STATE  the same promise, hurried    initialize: ERR_INVALID_STATE
 *   failed      starting           closes, releases             -
 *   closing     once it is closed  once it is closed            wait for it, open again
 */
const STATES = {
  idle: ['stopped', ['opening', 'starting']],
  opening: ['stopped', ['ready', 'idle', 'starting']],
  ready: ['stopped', ['starting', 'closing']],
  starting: ['starting', ['running', 'cancelling', 'failed', 'ready', 'idle']],
  // stop() came during start(): the start ends stopped, the store closed, nothing running.
  cancelling: ['starting', ['ready', 'closing', 'idle']],
  running: ['running', ['stopping']],
  stopping: ['stopping', ['idle', 'ready']],
  // The engine refused to start; the store is open.
  failed: ['error', ['starting', 'ready', 'closing']],
  // The store commits and closes (in a cluster the node leaves, off the JavaScript thread).
  closing: ['stopped', ['idle', 'ready']],
}

/** The states getState() calls 'stopped' or 'error': no engine runs, none is starting. */
const AT_REST = new Set(['idle', 'opening', 'ready', 'failed'])

class Lifecycle {
  /**
   * `settleUndeclared(policy)` pauses or deletes, during start(), the schedules an earlier
   * boot declared and this one did not; `systemClock`: a real clock holds Node's event
   * loop while the engine runs (a manual one never does).
   */
  constructor({ native, pump, host, settleUndeclared, systemClock }) {
    this.native = native
    this.pump = pump
    this.host = host
    this.settleUndeclared = settleUndeclared
    this.systemClock = systemClock
    this.state = 'idle'
    // The store's opening, shared by everyone who waits for it; null once it is done.
    this.opening = null
    // The store's closing (state closing), settled either way; null once it is done.
    this.closing = null
    // The start or stop under way (starting, cancelling, stopping).
    this.pending = null
    // During a stop's grace period: ends it early, once no attempt runs.
    this.hurry = null
    // What keeps Node alive while a real clock runs is a JS timer made in start() (see
    // keepAlive): tools such as Jest's --detectOpenHandles name it at the caller's start()
    // line. The native wake-up function never holds the loop itself.
    this.referenced = true
    this.keepAliveTimer = null
    native.unref()
  }

  /** What getState() answers. */
  get name() {
    return STATES[this.state][0]
  }

  get storeOpen() {
    return this.opening === null && !['idle', 'opening', 'closing'].includes(this.state)
  }

  to(next) {
    if (next !== this.state && !STATES[this.state][1].includes(next)) {
      throw new Error(`tickflow: the lifecycle cannot move from ${this.state} to ${next}`)
    }
    this.state = next
  }

  refusal(action) {
    return codedError(Error, 'ERR_INVALID_STATE', action, `cannot ${action} while ${this.name}`)
  }

  call(fn) {
    try {
      return fn(this.native)
    } catch (err) {
      throw rebuilt(err)
    }
  }

  /** `call` for a native that answers a value, or a Promise when it works off the thread. */
  async settle(fn) {
    try {
      return await fn(this.native)
    } catch (err) {
      throw rebuilt(err)
    }
  }

  // ---- the store ------------------------------------------------------------------------

  /**
   * null when the store is open; otherwise the promise of its opening (begun if need be).
   * Callers check again once it settles (`while ((o = whenOpen()) !== null) await o`): a
   * stop() may have closed the store again in between.
   */
  whenOpen() {
    // A change made while the store closes opens it again once it is closed.
    if (this.state === 'closing') return this.closing.then(() => this.whenOpen())
    if (this.opening === null && this.state === 'idle') {
      this.to('opening')
      this.open()
    }
    return this.opening
  }

  /** Opens the store (a durable one restores its schedules and executions, off the JS thread). */
  open() {
    let task
    try {
      task = this.native.openStore()
    } catch (err) {
      task = Promise.reject(err)
    }
    this.opening = task.then(
      () => {
        this.opening = null
        if (this.state === 'opening') this.to('ready')
      },
      (err) => {
        // A start waiting for this opening fails with it, and ends idle (run).
        if (this.state === 'opening') {
          this.opening = null
          this.to('idle')
        }
        throw rebuilt(err)
      },
    )
  }

  /**
   * A durable store is committed and closed (its lock released), so that another
   * integration, in this process or another, can open it; the next change or start() opens
   * it again. When the last commit fails the store stays open (ready): what it could not
   * write stays in memory, and the next stop() or start() writes it.
   */
  async closeStore() {
    if (!this.storeOpen) {
      this.to('idle')
      return
    }
    this.to('closing')
    const closing = this.settle((n) => n.closeStore()).then(
      () => this.to('idle'),
      (err) => {
        this.to('ready')
        throw err
      },
    )
    const done = () => {
      if (this.closing === settled) this.closing = null
    }
    const settled = closing.then(done, done)
    this.closing = settled
    await closing
  }

  async initialize() {
    if (this.state === 'stopping') throw this.refusal('initialize')
    for (let opening = this.whenOpen(); opening !== null; opening = this.whenOpen()) await opening
  }

  // ---- start ------------------------------------------------------------------------------

  start(undeclared) {
    if (this.state === 'starting' || this.state === 'cancelling') return this.pending
    if (this.state === 'closing') return this.closing.then(() => this.start(undeclared))
    // Already running: nothing to do, as production-ccs's services return (no event).
    if (this.state === 'running') return Promise.resolve()
    if (this.state === 'stopping') return Promise.reject(this.refusal('start'))
    const closed = this.state === 'idle'
    this.to('starting')
    if (closed) this.open()
    // Made here, in the caller's call: its stack names the line that started the integration.
    this.keepAlive(true)
    const run = this.run(undeclared).finally(() => {
      if (this.pending === run) this.pending = null
      if (this.state !== 'running') this.keepAlive(false)
    })
    // A start on an open store may have ended already (and a listener of its events stopped it).
    if (this.state === 'starting' || this.state === 'cancelling') this.pending = run
    return run
  }

  async run(undeclared) {
    if (this.opening !== null) {
      try {
        await this.opening
      } catch (err) {
        this.opening = null
        this.to('idle')
        throw err
      }
    }
    if (undeclared !== 'keep') {
      try {
        // Before the first fire: a paused or deleted schedule is not even skipped.
        await this.settleUndeclared(undeclared)
      } catch (err) {
        this.to('ready')
        throw err
      }
    }
    if (this.state === 'cancelling') {
      await this.closeStore()
      return
    }
    try {
      this.native.start(() => this.pump.now())
    } catch (err) {
      this.to('failed')
      throw rebuilt(err)
    }
    this.to('running')
    this.pump.now()
  }

  // ---- stop -------------------------------------------------------------------------------

  /** `hurried`: the caller named graceMs, so that a second stop() may shorten the first's. */
  stop(graceMs, hurried) {
    if (this.state === 'stopping' && this.pending !== null) {
      // A second stop() with a shorter grace hurries the first (as a second Ctrl-C does).
      const hurry = this.hurry
      if (hurry && hurried) {
        if (graceMs === 0) hurry()
        else timers.setTimeout(hurry, graceMs).unref()
      }
      return this.pending
    }
    if (this.state === 'starting' || this.state === 'cancelling') {
      this.to('cancelling')
      // A start that fails has nothing to stop; either way stop() resolves.
      const settled = () => (this.state === 'running' ? this.stop(graceMs, hurried) : undefined)
      return this.pending.then(settled, settled)
    }
    if (this.state === 'closing') return this.closing.then(() => this.stop(graceMs, hurried))
    if (AT_REST.has(this.state)) {
      // A store opened by initialize() or an early declaration is closed (its lock freed).
      const close = async () => {
        // A start, or another opening or closing, came first.
        if (!AT_REST.has(this.state) || this.state === 'opening') return
        try {
          await this.closeStore()
        } finally {
          this.native.release()
        }
      }
      return this.opening ? this.opening.then(close, close) : close()
    }
    // Running, or a stop that threw part-way (its store still open): stop (again).
    const run = this.stopEngine(graceMs).finally(() => {
      if (this.pending === run) this.pending = null
    })
    this.pending = run
    return run
  }

  /**
   * running → stopping → idle, as one step. The engine takes it in several calls because
   * the grace period is JavaScript's to wait: the attempts run here, and only a drain sees
   * the last one end. beginStop ends the timers and refuses new fires; after the grace,
   * abortRunning fires the signals of what still runs and finishStop records them and says
   * integration.stopped; the drain delivers and commits all that before the store closes
   * and the engine lets go of its wake-up. In a cluster, abortRunning and the closing work
   * with the database off the JavaScript thread (Promises).
   */
  async stopEngine(graceMs) {
    this.to('stopping')
    try {
      this.call((n) => n.beginStop())
    } finally {
      this.pump.soon()
    }
    if (this.native.inFlight() > 0 && graceMs > 0) {
      await new Promise((resolve) => {
        const timer = timers.setTimeout(done, graceMs)
        function done() {
          timers.clearTimeout(timer)
          resolve()
        }
        this.hurry = done
      })
      this.hurry = null
    }
    // Should ending what still runs fail (an internal fault), the stop goes on and says so.
    const aborting = await this.settle((n) => n.abortRunning()).then(
      () => null,
      (err) => err,
    )
    this.call((n) => n.finishStop())
    this.pump.now()
    this.host.letGo()
    try {
      // Stopped either way: a store that could not take the last commit stays open (ready),
      // and the next stop() or start() writes what it holds (the rejection names it).
      await this.settle((n) => n.closeStore())
      this.to('idle')
    } catch (err) {
      this.to('ready')
      throw err
    } finally {
      this.native.release()
      this.keepAlive(false)
    }
    if (aborting) throw aborting
  }

  /** Called after each drain: a stop in its grace period ends once nothing runs. */
  afterDrain() {
    if (this.hurry && this.native.inFlight() === 0) this.hurry()
  }

  // ---- Node's event loop -----------------------------------------------------------------

  /** Holds (or lets go of) Node's event loop while a real clock runs. */
  keepAlive(on) {
    if (on && this.systemClock && this.keepAliveTimer === null) {
      this.keepAliveTimer = timers.setInterval(() => {}, MAX_GRACE_MS)
      if (!this.referenced) this.keepAliveTimer.unref()
    } else if (!on && this.keepAliveTimer !== null) {
      timers.clearInterval(this.keepAliveTimer)
      this.keepAliveTimer = null
    }
  }

  ref() {
    this.referenced = true
    if (this.keepAliveTimer !== null) this.keepAliveTimer.ref()
  }

  unref() {
    this.referenced = false
    if (this.keepAliveTimer !== null) this.keepAliveTimer.unref()
  }
}

module.exports = { Lifecycle }
