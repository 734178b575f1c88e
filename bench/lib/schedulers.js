'use strict'
// The libraries that run a callback on a cron schedule, seen through one interface, so that
// the memory, latency and herd workloads (B3-B6) run the same code for each:
//
//   const scheduler = await SCHEDULERS[name].open({ onFire, expectedFires })
//   await scheduler.add(index, pattern, timezone)   // one schedule
//
// `timezone` may be undefined: the machine's zone (every-second patterns don't depend on it).
// `onFire(scheduledMs)` is called on every fire with the instant the fire was scheduled for,
// or with `undefined` where the library does not say (croner: the caller then takes the
// whole second at or before the call, right for every-second patterns fired < 1 s late).
// The workloads run in child processes that exit when done, so there is no close().
// cron-parser is not here: it computes dates and runs nothing.

const v8 = require('node:v8')

const SCHEDULERS = {
  tickflow: {
    async open({ onFire, expectedFires }) {
      const { WorkflowScheduleIntegration } = require('../..')
      const integration = new WorkflowScheduleIntegration({
        executor: (request) => {
          onFire(request.scheduledTime.getTime())
          return 'ok'
        },
        // Every due fire runs at once, as the peers' callbacks do (100,000 is the cap).
        maxConcurrency: Math.min(100_000, Math.max(10, expectedFires)),
      })
      await integration.start()
      let created = 0
      return {
        integration,
        add: (index, pattern, timezone) =>
          integration.createScheduledWorkflow({
            id: `s${created++}`,
            workflowId: `w${index % 100}`,
            scheduleConfig: { cronExpression: pattern, timezone, overlapPolicy: 'allow' },
          }),
      }
    },
  },

  croner: {
    async open({ onFire }) {
      const { Cron } = require('croner')
      const fire = () => onFire(undefined)
      // Its fastest form: a fixed offset for UTC (the `timezone` option goes through Intl).
      const options = (timezone) => (timezone === 'UTC' ? { utcOffset: 0 } : { timezone })
      return { add: (index, pattern, timezone) => new Cron(pattern, options(timezone), fire) }
    },
  },

  'node-cron': {
    async open({ onFire }) {
      const cron = require('node-cron')
      // context.date is the slot the run was scheduled for.
      const fire = (context) => onFire(context.date.getTime())
      return {
        add: (index, pattern, timezone) => cron.schedule(pattern, fire, { timezone, suppressMissedWarning: true }),
      }
    },
  },

  'node-schedule': {
    async open({ onFire }) {
      const schedule = require('node-schedule')
      // The job function receives the fire date it was scheduled for.
      const fire = (fireDate) => onFire(fireDate.getTime())
      return { add: (index, pattern, timezone) => schedule.scheduleJob({ rule: pattern, tz: timezone }, fire) }
    },
  },
}

module.exports = { SCHEDULERS }

// A peer stops creating before the JS heap runs out: croner 11 holds a 10,000-entry year
// array per job (about 83 KB), and 100,000 jobs would not fit in Node's default heap.
const HEAP_CAP_BYTES = 3 * 2 ** 30

/**
 * Creates up to `count` schedules, `patternFor(i)` giving [pattern, timezone], stopping
 * early at `deadline` (a performance.now() value: some peers create only a few thousand
 * schedules a second) or when the JS heap passes HEAP_CAP_BYTES. Returns how many were
 * created, how long that took, and what stopped it early, if anything.
 */
async function createSchedules(scheduler, count, patternFor, deadline = Infinity) {
  const started = performance.now()
  let created = 0
  let stoppedBy = null
  while (created < count) {
    const pending = scheduler.add(created, ...patternFor(created))
    // tickflow's create is async; the peers' are synchronous and not awaited.
    if (pending && typeof pending.then === 'function') await pending
    created++
    if (created % 100 !== 0) continue
    if (performance.now() > deadline) stoppedBy = 'time'
    else if (created % 1000 === 0 && v8.getHeapStatistics().used_heap_size > HEAP_CAP_BYTES) stoppedBy = 'heap'
    if (stoppedBy) break
  }
  return { created, seconds: (performance.now() - started) / 1000, stoppedBy }
}

module.exports.createSchedules = createSchedules
