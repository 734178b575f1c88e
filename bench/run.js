'use strict'
// `npm run bench`: every workload of issue 5 (B1-B8) in one run, written to
// bench/RESULTS.md and bench/results.json. BENCH_QUICK=1 runs small sizes (for development);
// BENCH_ONLY=B1,B5 runs the groups holding those workloads and only prints the tables.

const fs = require('node:fs')
const path = require('node:path')
const sizes = require('./lib/sizes')
const { machine, renderMarkdown } = require('./lib/report')
const { LIBRARIES, versionOf } = require('./lib/peers')

// Each group runs its workloads and returns their results, in this order.
const GROUPS = [
  { ids: ['B1', 'B2'], file: './next-runs' },
  { ids: ['B3', 'B4'], file: './memory' },
  { ids: ['B5'], file: './latency' },
  { ids: ['B6'], file: './herd' },
  { ids: ['B7'], file: './throughput' },
  { ids: ['B8'], file: './events' },
  { ids: ['S1', 'S2', 'S3'], file: './store' },
  { ids: ['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'C7', 'C8'], file: './cluster' },
  { ids: ['O1', 'O2'], file: './operations' },
]

async function main() {
  const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()) : null
  const startedAt = new Date().toISOString()
  const started = performance.now()
  const info = machine()
  console.log(`tickflow benchmarks${sizes.quick ? ' (BENCH_QUICK=1: small sizes)' : ''}: ${info.cpu}, ${info.cores} cores, Node ${info.node}`)
  const workloads = []
  for (const group of GROUPS) {
    if (only && !group.ids.some((id) => only.includes(id))) continue
    const groupStarted = performance.now()
    process.stdout.write(`${group.ids.join(', ')} ... `)
    workloads.push(...(await require(group.file).run(sizes)))
    console.log(`${((performance.now() - groupStarted) / 1000).toFixed(0)} s`)
  }
  const seconds = (performance.now() - started) / 1000
  const versions = Object.fromEntries(LIBRARIES.map((name) => [name, versionOf(name)]))
  const results = { startedAt, seconds, quick: sizes.quick, machine: info, versions, sizes, workloads }
  const markdown = renderMarkdown(results)
  if (only) {
    console.log(`\n${markdown}`)
    return
  }
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), markdown)
  fs.writeFileSync(path.join(__dirname, 'results.json'), `${JSON.stringify(results, null, 2)}\n`)
  console.log(`\nwrote bench/RESULTS.md and bench/results.json in ${seconds.toFixed(0)} s`)
  for (const w of workloads) {
    const verdict = w.target.none ? 'figure' : w.target.met ? 'met   ' : 'MISSED'
    console.log(`${w.id} ${verdict} ${w.target.text}${w.target.detail ? ` (${w.target.detail})` : ''}`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
