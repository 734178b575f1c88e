// The main job for now: show what tickflow's cron engine computes, in a few zones.
// Run with `node examples/next-runs.js [ISO date]` in a clone, or with
// `node node_modules/tickflow/examples/next-runs.js` where tickflow is installed.
const { nextRuns, validateCron, describeCron } = require('..')

const SHOWCASE = [
  ['0 9 * * 1-5', 'Europe/Berlin'],
  ['*/15 * * * *', 'UTC'],
  ['0 0 L * *', 'America/New_York'],
  ['0 0 * * 5#2', 'Asia/Tokyo'],
  ['30 2 * * *', 'America/New_York'],
  ['0 12 1 * +MON', 'UTC'],
]

const from = process.argv[2] ? new Date(process.argv[2]) : new Date()
console.log(`Next runs after ${from.toISOString()}\n`)
for (const [pattern, timezone] of SHOWCASE) {
  console.log(`${pattern.padEnd(16)} ${timezone.padEnd(18)} ${describeCron(pattern)}`)
  for (const run of nextRuns(pattern, { from, timezone, count: 3 })) {
    const local = run.toLocaleString('en-GB', { timeZone: timezone, dateStyle: 'medium', timeStyle: 'short' })
    console.log(`    ${run.toISOString()}   ${local} local`)
  }
}

console.log('\nA bad pattern is explained, field by field:')
const check = validateCron('61 25 * JANUARY 8')
for (const error of check.errors) console.log(`    ${error}`)
