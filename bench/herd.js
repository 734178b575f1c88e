'use strict'
// B6: a herd. N schedules all due at the same second; the figure is the time from that
// instant to the last callback (tickflow: executor) call. Each library runs alone in a child
// process. Peers that create schedules slowly get a smaller herd (what they create within a
// time budget), which only makes their figure look better.

const { runInChild } = require('./lib/child')
const { SCHEDULERS, createSchedules } = require('./lib/schedulers')
const { preciseNow, sleep } = require('./lib/measure')
const { REASONS } = require('./lib/peers')

const LIBRARIES = ['tickflow', 'croner', 'node-cron', 'node-schedule']
const COLUMNS = [...LIBRARIES, 'cron-parser']

/** A 6-field daily pattern (UTC) due at the second `ms`: the nightly-jobs herd. */
function patternAt(ms) {
  const d = new Date(ms)
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} * * *`
}

/** In a child: creates the herd for a second far enough ahead, waits for it to fire. */
async function herd({ library, schedules, creationBudgetMs, capMs }) {
  let calls = 0
  let expected = Infinity
  let first = null
  let last = null
  let due = Infinity
  let allCalled
  const done = new Promise((resolve) => (allCalled = resolve))
  const scheduler = await SCHEDULERS[library].open({
    expectedFires: schedules,
    onFire() {
      last = preciseNow()
      if (first === null) first = last
      // Past the cap, end from here too: a saturated event loop can starve the timer below.
      if (++calls === expected || last > due + capMs) allCalled()
    },
  })
  // How long will creating the herd take? Time a few throwaway schedules (never due here).
  const probe = Math.min(1000, Math.ceil(schedules / 10))
  const { seconds } = await createSchedules(scheduler, probe, () => ['0 0 1 1 *', 'UTC'])
  const needMs = Math.min(creationBudgetMs, ((schedules / probe) * seconds * 1000) * 1.5)
  due = Math.ceil((Date.now() + needMs + 1500) / 1000) * 1000
  const pattern = patternAt(due)
  const deadline = performance.now() + (due - Date.now()) - 1000
  const { created, stoppedBy } = await createSchedules(scheduler, schedules, () => [pattern, 'UTC'], deadline)
  if (Date.now() >= due - 200) throw new Error('creating the herd ran into its due instant')
  expected = created
  await Promise.race([done, sleep(due + capMs - Date.now())])
  const engine = scheduler.integration ? (await scheduler.integration.getSystemMetrics()).triggerLatency : null
  return {
    created,
    stoppedBy,
    calls,
    firstMs: first === null ? null : first - due,
    lastMs: calls === created ? last - due : null,
    engine,
  }
}

async function run(sizes) {
  const results = {}
  for (const library of LIBRARIES) {
    results[library] = await runInChild(
      __filename,
      'herd',
      {
        library,
        schedules: sizes.herdSchedules,
        creationBudgetMs: library === 'tickflow' ? 120_000 : sizes.herdCreationBudgetMs,
        capMs: sizes.herdCapMs,
      },
      { timeoutMs: 300_000 },
    )
  }
  const capped = { value: null, text: `> ${sizes.herdCapMs / 1000} s (not all called)` }
  const figure = (r, key) => (r.failed ? { failed: r.failed } : r[key] === null ? capped : r[key])
  const row = (label, key, unit, better, pick = figure) => ({
    label,
    unit,
    better,
    noRatio: pick === count,
    figures: {
      ...Object.fromEntries(LIBRARIES.map((lib) => [lib, pick(results[lib], key)])),
      'cron-parser': { na: REASONS.notAScheduler },
    },
  })
  const count = (r, key) => (r.failed ? { failed: r.failed } : { value: r[key], text: r[key].toLocaleString('en-US') })
  const ours = results.tickflow
  const n = sizes.herdSchedules.toLocaleString('en-US')
  return [
    {
      id: 'B6',
      title: `A herd: ${n} schedules due at the same second`,
      unit: 'ms',
      libraries: COLUMNS,
      what:
        `${n} schedules with the same daily 6-field pattern (UTC), each library alone in a child process; ` +
        'time from the due instant to the first and the last callback call (tickflow: executor, `maxConcurrency` ' +
        `100,000). A peer's herd is what it creates in ${sizes.herdCreationBudgetMs / 1000} s, or before its JS heap ` +
        `passes 3 GiB (see "herd size"); ` +
        `a library still calling ${sizes.herdCapMs / 1000} s after the instant is cut off.`,
      rows: [
        row('to the last call', 'lastMs', 'ms', 'lower'),
        row('to the first call', 'firstMs', 'ms', 'lower'),
        row('herd size', 'created', '', 'higher', count),
        row('calls made', 'calls', '', 'higher', count),
      ],
      target: {
        text: '≤ 400 ms until the last executor call',
        met: !ours.failed && ours.lastMs !== null && ours.lastMs <= 400,
        detail: ours.failed ? ours.failed : `${ours.lastMs === null ? 'not all called' : `${Math.round(ours.lastMs)} ms`} for ${ours.created.toLocaleString('en-US')}`,
      },
      notes: ours.engine
        ? [
            `Inside tickflow's engine, from the due instant to dispatch (\`getSystemMetrics().triggerLatency\`): ` +
              `p50 ${ours.engine.p50.toFixed(1)} ms, p99 ${ours.engine.p99.toFixed(1)} ms.`,
          ]
        : [],
    },
  ]
}

module.exports = { run, herd }
