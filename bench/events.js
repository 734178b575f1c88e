'use strict'
// B8: events per second delivered to one 'event' listener, next to the rate of a raw
// threadsafe-function call loop (one call per event, the native `benchThreadsafeCalls`)
// measured in the same process run. Two sources of real tickflow events:
//  - executions: manual triggers with a synchronous executor; each execution emits
//    schedule.triggered, workflow.started and workflow.completed (all three counted);
//  - disabled schedules: every fire of a disabled schedule emits one schedule.skipped
//    (manual clock, advanced second by second), no executor involved.

const { runInChild } = require('./lib/child')
const { triggeredExecutions } = require('./lib/pipeline')
const { preciseNow } = require('./lib/measure')
const { REASONS } = require('./lib/peers')

const COLUMNS = ['tickflow', 'raw TSFN calls', 'croner', 'node-cron', 'node-schedule', 'cron-parser']
const WINDOW = 1000
const SCHEDULES = 100

/** Calls per second of a threadsafe function called `count` times from a worker thread. */
async function rawThreadsafeCalls(count) {
  const { benchThreadsafeCalls } = require('../native.js')
  if (typeof benchThreadsafeCalls !== 'function') throw new Error('the addon has no benchThreadsafeCalls: run npm run build')
  let delivered = 0
  let allDelivered
  const done = new Promise((resolve) => (allDelivered = resolve))
  const started = preciseNow()
  await benchThreadsafeCalls(count, () => {
    if (++delivered === count) allDelivered()
  })
  await done
  return count / ((preciseNow() - started) / 1000)
}

/** Events per second from `count` executions (three events each). */
async function executionEvents(count) {
  const { WorkflowScheduleIntegration } = require('..')
  const integration = new WorkflowScheduleIntegration({ executor: () => 'ok', maxConcurrency: WINDOW })
  await integration.start()
  const { events, seconds } = await triggeredExecutions(integration, { count, schedules: SCHEDULES, window: WINDOW })
  const rate = events / seconds
  await integration.stop({ graceMs: 0 })
  return { events, rate }
}

/** Events per second from `fires` fires of disabled every-second schedules. */
async function skippedEvents(fires) {
  const { WorkflowScheduleIntegration } = require('..')
  const seconds = 10
  const schedules = Math.ceil(fires / seconds)
  const integration = new WorkflowScheduleIntegration({ executor: () => 'ok', clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z') })
  await integration.start()
  for (let i = 0; i < schedules; i++) {
    await integration.createScheduledWorkflow({ id: `d${i}`, workflowId: 'w', enabled: false, scheduleConfig: { cronExpression: '* * * * * *' } })
  }
  let events = 0
  integration.on('event', () => events++)
  const started = preciseNow()
  await integration.advanceTime(seconds * 1000)
  const rate = events / ((preciseNow() - started) / 1000)
  await integration.stop({ graceMs: 0 })
  return { events, rate }
}

/** In a child: the baseline before and after tickflow's two runs; the faster one is kept. */
async function eventRates({ rawCalls, executions, skippedFires }) {
  const rawBefore = await rawThreadsafeCalls(rawCalls)
  const fromExecutions = await executionEvents(executions)
  const fromSkips = await skippedEvents(skippedFires)
  const rawAfter = await rawThreadsafeCalls(rawCalls)
  return { raw: Math.max(rawBefore, rawAfter), rawBefore, rawAfter, fromExecutions, fromSkips }
}

async function run(sizes) {
  const r = await runInChild(__filename, 'eventRates', { rawCalls: sizes.events, executions: sizes.eventExecutions, skippedFires: sizes.skippedFires }, { timeoutMs: 300_000 })
  const fail = r.failed ? { failed: r.failed } : null
  const peers = {
    croner: { na: REASONS.noNativeEvents },
    'node-cron': { na: REASONS.noNativeEvents },
    'node-schedule': { na: REASONS.noNativeEvents },
    'cron-parser': { na: REASONS.notAScheduler },
  }
  const row = (label, source) => ({
    label,
    unit: 'events/s',
    better: 'higher',
    figures: { tickflow: fail || r[source].rate, 'raw TSFN calls': fail || r.raw, ...peers },
  })
  const best = fail ? 0 : Math.max(r.fromExecutions.rate, r.fromSkips.rate)
  const fmt = (n) => Math.round(n).toLocaleString('en-US')
  return [
    {
      id: 'B8',
      title: 'Events per second delivered to one listener, next to a raw threadsafe-function call loop',
      unit: 'events/s',
      libraries: COLUMNS,
      what:
        'One `integration.on(\'event\')` listener counts every event. "executions": ' +
        `${sizes.eventExecutions.toLocaleString('en-US')} manual triggers, executor \`() => 'ok'\`, up to ${WINDOW.toLocaleString('en-US')} in flight; ` +
        'counted: schedule.triggered + workflow.started + workflow.completed (3 per execution). "skipped fires": ' +
        `${sizes.skippedFires.toLocaleString('en-US')} fires of disabled every-second schedules (manual clock, ` +
        '`advanceTime`), counted: one schedule.skipped per fire. "raw TSFN calls": the native `benchThreadsafeCalls` ' +
        `calls a threadsafe function ${sizes.events.toLocaleString('en-US')} times from a worker thread, one JS call ` +
        'each, run before and after tickflow\'s runs in the same child process (the faster run shown).',
      rows: [row('executions', 'fromExecutions'), row('skipped fires', 'fromSkips')],
      target: {
        text: '≥ 1,000,000 events/s',
        met: best >= 1_000_000,
        detail: fail ? r.failed : `best ${fmt(best)}/s; raw TSFN loop ${fmt(r.rawBefore)}/s before, ${fmt(r.rawAfter)}/s after`,
      },
    },
  ]
}

module.exports = { run, eventRates }
