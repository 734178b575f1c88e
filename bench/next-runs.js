'use strict'
// B1 and B2: next-run computation, tickflow next to croner, cron-parser and node-cron.
// All in this one process, in interleaved rounds (each library measured in turn, round
// after round, the median kept), so that the ratios hold on a noisy machine. Each peer gets
// its fastest documented form: croner and cron-parser parse the pattern once, croner uses a
// fixed offset for UTC (its `timezone` option goes through Intl, ten times slower);
// tickflow parses the pattern in every call.

const { Cron } = require('croner')
const { CronExpressionParser } = require('cron-parser')
const nodeCron = require('node-cron')
const { nextRuns, SyncCronEngine } = require('..')
const { callsPerSecond, median, geometricMean } = require('./lib/measure')
const { REASONS } = require('./lib/peers')

const PATTERNS = [
  ['*/5 * * * *', 'UTC'],
  ['0 9 * * 1-5', 'America/New_York'],
  ['0 0 L * *', 'UTC'],
  ['0 0 * * 5#2', 'Europe/Berlin'],
  ['30 2 * * *', 'America/New_York'],
  ['*/15 9-17 * * 1-5', 'Europe/London'],
  ['0 0 1 1 *', 'UTC'],
  ['15 */2 * * *', 'Asia/Tokyo'],
  ['0 12 * * 0', 'Australia/Sydney'],
  ['*/10 * * * * *', 'UTC'],
]
const FROM = new Date('2026-01-01T00:00:00Z')
// Each call starts from the next of these instants (about an hour apart), so that no library
// answers a repeated question from a cache: tickflow remembers a pattern's last answer.
const FROMS = Array.from({ length: 1021 }, (_, i) => new Date(FROM.getTime() + i * 3_600_007))
const PER_CALL = 1000
const COLUMNS = ['tickflow', 'croner', 'cron-parser', 'node-cron', 'node-schedule']

const cronerFor = (pattern, timezone) =>
  new Cron(pattern, timezone === 'UTC' ? { utcOffset: 0, paused: true } : { timezone, paused: true })

/**
 * Each library's way to compute next runs for one pattern: `many()` returns `count`
 * occurrences, `one()` the next one.
 */
function contenders(pattern, timezone, count) {
  let call = 0
  const nextFrom = () => FROMS[call++ % FROMS.length]
  const engine = new SyncCronEngine()
  const croner = cronerFor(pattern, timezone)
  const parsed = CronExpressionParser.parse(pattern, { currentDate: FROM, tz: timezone })
  const task = nodeCron.createTask(pattern, () => {}, { timezone })
  return {
    tickflow: {
      many: () => nextRuns(pattern, { from: nextFrom(), count, timezone }),
      one: () => engine.getNextExecutionTime(pattern, timezone, nextFrom()),
    },
    croner: { many: () => croner.nextRuns(count, nextFrom()), one: () => croner.nextRun(nextFrom()) },
    'cron-parser': {
      many: () => {
        parsed.reset(nextFrom())
        return parsed.take(count)
      },
      one: () => {
        parsed.reset(nextFrom())
        return parsed.next()
      },
    },
    // node-cron has no start-date argument: its next runs are always counted from now.
    'node-cron': { many: () => task.getNextRuns(count), one: () => task.getNextRuns(1) },
  }
}

const instants = (dates) => dates.map((d) => (d instanceof Date ? d.getTime() : d.toDate().getTime()))
const iso = (ms) => (ms === undefined ? 'nothing' : new Date(ms).toISOString().replace(':00.000Z', 'Z'))

/** 'same', or where and how a peer's instants first differ from tickflow's. */
function compare(ours, theirs) {
  for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
    if (ours[i] !== theirs[i]) return `#${i + 1} is ${iso(theirs[i])}, tickflow ${iso(ours[i])}`
  }
  return 'same'
}

/** Whether each peer returns the same instants as tickflow, from one call of each. */
function agreement(pattern, timezone, libs) {
  const ours = instants(libs.tickflow.many())
  const verdict = {
    croner: compare(ours, instants(libs.croner.many())),
    'cron-parser': compare(ours, instants(libs['cron-parser'].many())),
  }
  // node-cron counts from its own "now": retry if a run boundary passes between the calls.
  for (let attempt = 0; attempt < 3; attempt++) {
    const from = new Date()
    const theirs = instants(libs['node-cron'].many())
    verdict['node-cron'] = compare(instants(nextRuns(pattern, { from, count: ours.length, timezone })), theirs)
    if (verdict['node-cron'] === 'same') break
  }
  return verdict
}

/**
 * Median rate per library, measured in interleaved rounds. `warm`: make one warm-up call
 * each first (the agreement check already warmed up `many`).
 */
function measure(libs, kind, sizes, { warm }) {
  const samples = {}
  if (warm) for (const lib of Object.values(libs)) lib[kind]()
  for (let round = 0; round < sizes.nextRunRounds; round++) {
    for (const [name, lib] of Object.entries(libs)) {
      ;(samples[name] ||= []).push(callsPerSecond(lib[kind], sizes.nextRunBudgetMs))
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([name, rates]) => [name, median(rates)]))
}

function ratioTarget(rows, minimum) {
  const ratios = rows.map((r) => r.figures.tickflow / r.figures.croner)
  const lowest = Math.min(...ratios)
  return {
    text: `≥ ${minimum}× croner on every pattern`,
    met: lowest >= minimum,
    detail: `lowest ${lowest.toFixed(1)}×, geometric mean ${geometricMean(ratios).toFixed(1)}×`,
  }
}

async function run(sizes) {
  const many = []
  const one = []
  for (const [pattern, timezone] of PATTERNS) {
    // tickflow stops at 2199 (OCPS's last year): where that leaves fewer than 1,000
    // occurrences, every library is asked for that many, so that all do the same work.
    const count = nextRuns(pattern, { from: FROM, count: PER_CALL, timezone }).length
    const libs = contenders(pattern, timezone, count)
    const label = `\`${pattern}\` ${timezone}`
    const same = agreement(pattern, timezone, libs) // also the warm-up call of `many`
    const figures = Object.fromEntries(Object.entries(measure(libs, 'many', sizes, { warm: false })).map(([name, rate]) => [name, rate * count]))
    figures['node-schedule'] = { na: REASONS.noNextRunApi }
    const notes = Object.entries(same).map(([name, verdict]) => `${name}: ${verdict}`)
    if (count !== PER_CALL) notes.unshift(`${count} occurrences per call (tickflow stops at 2199)`)
    many.push({ label, unit: 'occurrences/s', better: 'higher', figures, comment: notes.join('; ') })
    const single = measure(libs, 'one', sizes, { warm: true })
    one.push({ label, unit: 'calls/s', better: 'higher', figures: { ...single, 'node-schedule': { na: REASONS.noNextRunApi } } })
    process.stdout.write('.')
  }
  process.stdout.write('\n')
  return [
    {
      id: 'B1',
      title: 'Next-run computation, 1,000 occurrences per call, 10 patterns',
      unit: 'occurrences/s',
      libraries: COLUMNS,
      commentTitle: 'same instants as tickflow',
      what:
        `tickflow \`nextRuns(p, { from, count: 1000, timezone })\`; croner \`nextRuns(1000, from)\`; ` +
        'cron-parser `reset(from)` + `take(1000)` on an expression parsed once; node-cron `task.getNextRuns(1000)` ' +
        '(from now: it takes no start date). Figures are occurrences returned per second; ' +
        `median of ${sizes.nextRunRounds} interleaved round(s) of ${sizes.nextRunBudgetMs} ms each.`,
      rows: many,
      target: ratioTarget(many, 5),
    },
    {
      id: 'B2',
      title: 'One next-run call at a time (the N-API crossing included)',
      unit: 'calls/s',
      libraries: COLUMNS,
      what:
        'tickflow `SyncCronEngine#getNextExecutionTime(p, tz, from)`; croner `nextRun(from)`; ' +
        'cron-parser `reset(from)` + `next()`; node-cron `task.getNextRuns(1)` (its `getNextRun()` ' +
        'answers only for a started task, and counts from now).',
      rows: one,
      target: ratioTarget(one, 1.5),
    },
  ]
}

module.exports = { run }
