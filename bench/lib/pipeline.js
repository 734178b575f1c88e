'use strict'
// A load generator for execution throughput: keeps up to `window` executions in flight
// until `count` have completed, refilling once half the window has drained, from a
// setImmediate (never from inside the listener that reports a completion).

function pipeline({ count, window, trigger }) {
  let started = 0
  let completed = 0
  let refillQueued = false
  let finish
  let fail
  const done = new Promise((resolve, reject) => {
    finish = resolve
    fail = reject
  })
  function fill() {
    refillQueued = false
    while (started < count && started - completed < window) {
      Promise.resolve(trigger(started++)).catch(fail)
    }
  }
  return {
    done,
    start: fill,
    /** Call once per completed execution. */
    completed() {
      if (++completed === count) finish()
      else if (!refillQueued && started < count && started - completed <= window / 2) {
        refillQueued = true
        setImmediate(fill)
      }
    },
  }
}

module.exports = { pipeline }
