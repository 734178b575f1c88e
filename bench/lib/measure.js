'use strict'
// Timing and statistics helpers shared by every workload.

/** Wall-clock time in milliseconds with sub-millisecond resolution (Date.now() has 1 ms). */
const preciseNow = () => performance.timeOrigin + performance.now()

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, p) {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length) - 1
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]
}

function median(values) {
  return percentile(values.slice().sort((a, b) => a - b), 50)
}

function geometricMean(values) {
  return Math.exp(values.reduce((sum, v) => sum + Math.log(v), 0) / values.length)
}

/**
 * Calls per second of `fn` (already warmed up), measured for about `budgetMs`, at least one
 * call. Checks the clock after every call so that a slow library (one call can take a
 * second) stays near its budget.
 */
function callsPerSecond(fn, budgetMs) {
  let calls = 0
  const start = performance.now()
  let elapsed = 0
  while (elapsed < budgetMs) {
    fn()
    calls++
    elapsed = performance.now() - start
  }
  return (calls * 1000) / elapsed
}

/** Resident set size after a full garbage collection (needs node --expose-gc). */
function rssAfterGc() {
  if (global.gc) for (let i = 0; i < 3; i++) global.gc()
  return process.memoryUsage().rss
}

/** CPU milliseconds (user + system) this process spends per second over `ms`. */
async function idleCpuMsPerSecond(ms) {
  const before = process.cpuUsage()
  await sleep(ms)
  const used = process.cpuUsage(before)
  return (used.user + used.system) / 1000 / (ms / 1000)
}

module.exports = { preciseNow, sleep, percentile, median, geometricMean, callsPerSecond, rssAfterGc, idleCpuMsPerSecond }
