'use strict'
// A load generator for execution throughput: keeps up to `window` executions in flight
// until `count` have completed, refilling once half the window has drained, from a
// setImmediate (never from inside the listener that reports a completion).

const { preciseNow } = require('./measure')

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

/**
 * `count` manual triggers through a started integration, round-robin on `schedules` new
 * never-due schedules, `window` in flight, one 'event' listener counting every event.
 */
async function triggeredExecutions(integration, { count, schedules, window }) {
  for (let i = 0; i < schedules; i++) {
    await integration.createScheduledWorkflow({ id: `x${i}`, scheduleId: `x${i}`, workflowId: 'w', scheduleConfig: { cronExpression: '0 0 1 1 *' } })
  }
  let events = 0
  const load = pipeline({ count, window, trigger: (i) => integration.triggerScheduledExecution(`x${i % schedules}`) })
  integration.on('event', (event) => {
    events++
    if (event.type === 'workflow.completed') load.completed()
  })
  const started = preciseNow()
  load.start()
  await load.done
  return { events, seconds: (preciseNow() - started) / 1000 }
}

module.exports = { pipeline, triggeredExecutions }
