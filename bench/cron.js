// Next-run throughput: tickflow next to the croner npm package, in the same process run so
// that the ratio holds on a noisy machine. Run with `npm run bench`.
const os = require('node:os')
const { Cron } = require('croner')
const { nextRuns, CronEngine } = require('..')

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
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS || 400)

// Runs `fn` repeatedly for about BUDGET_MS and returns calls per second.
function rate(fn) {
  for (let i = 0; i < 3; i++) fn() // warm up
  let calls = 0
  const start = process.hrtime.bigint()
  let elapsed = 0
  while (elapsed < BUDGET_MS) {
    for (let i = 0; i < 10; i++) fn()
    calls += 10
    elapsed = Number(process.hrtime.bigint() - start) / 1e6
  }
  return (calls * 1000) / elapsed
}

const fmt = (n) => Math.round(n).toLocaleString('en-US')

// croner at its fastest: a fixed offset for UTC (its `timezone` option goes through Intl,
// ten times slower), the named zone otherwise.
const cronerFor = (pattern, timezone) =>
  new Cron(pattern, timezone === 'UTC' ? { utcOffset: 0, paused: true } : { timezone, paused: true })

// Both libraries agree on every run up to 2199 (tickflow stops there, as OCPS says).
function checkSame(pattern, timezone) {
  const ours = nextRuns(pattern, { from: FROM, count: 1000, timezone }).map((d) => d.getTime())
  const theirs = cronerFor(pattern, timezone)
    .nextRuns(1000, FROM)
    .map((d) => d.getTime())
    .filter((t) => t < Date.UTC(2200, 0, 1))
  return ours.length === theirs.length && ours.every((t, i) => t === theirs[i])
}

function main() {
  console.log(`# next-run throughput (${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version})`)
  console.log('\n## B1: 1,000 occurrences per call (occurrences per second)\n')
  console.log('| pattern | zone | tickflow | croner | ratio | same results |')
  console.log('|---|---|---:|---:|---:|---|')
  const ratios = []
  for (const [pattern, timezone] of PATTERNS) {
    const croner = cronerFor(pattern, timezone)
    const ours = rate(() => nextRuns(pattern, { from: FROM, count: 1000, timezone })) * 1000
    const theirs = rate(() => croner.nextRuns(1000, FROM)) * 1000
    ratios.push(ours / theirs)
    console.log(`| \`${pattern}\` | ${timezone} | ${fmt(ours)} | ${fmt(theirs)} | ${(ours / theirs).toFixed(1)}× | ${checkSame(pattern, timezone) ? 'yes' : 'NO'} |`)
  }
  const geo = Math.exp(ratios.reduce((a, r) => a + Math.log(r), 0) / ratios.length)
  console.log(`\nGeometric mean ratio: ${geo.toFixed(1)}×`)

  console.log('\n## B2: one next-run call at a time (calls per second, the N-API crossing included)\n')
  console.log('| pattern | zone | tickflow getNextExecutionTime | croner nextRun | ratio |')
  console.log('|---|---|---:|---:|---:|')
  const engine = new CronEngine()
  const ratios2 = []
  for (const [pattern, timezone] of PATTERNS) {
    const croner = cronerFor(pattern, timezone)
    const ours = rate(() => engine.getNextExecutionTime(pattern, timezone, FROM))
    const theirs = rate(() => croner.nextRun(FROM))
    ratios2.push(ours / theirs)
    console.log(`| \`${pattern}\` | ${timezone} | ${fmt(ours)} | ${fmt(theirs)} | ${(ours / theirs).toFixed(1)}× |`)
  }
  const geo2 = Math.exp(ratios2.reduce((a, r) => a + Math.log(r), 0) / ratios2.length)
  console.log(`\nGeometric mean ratio: ${geo2.toFixed(1)}×`)
}

main()
