'use strict'
// C1-C4 (issue 14): several nodes on one PostgreSQL. A throwaway server (Debian's
// PostgreSQL, fsync off, as in the tests) and 3 tickflow node processes on it:
//   C1/C2  a herd of schedules due at one instant: fires/s (every occurrence recorded) and
//          executions/s (every one completed), from the due instant;
//   C3     SIGKILL of the node running an attempt → the attempt starting on another node;
//   C4     p99 lateness of every-second schedules in a quiet 3-node cluster.
// pg-boss and graphile-worker do the same work on the same server (bench/cluster-peers.js).

const path = require('node:path')
const { fork } = require('node:child_process')
const { startPostgres } = require('../__test__/helpers/postgres')

const NODE = path.join(__dirname, 'lib', 'cluster-node.js')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function startNode(options) {
  const child = fork(NODE, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const waiters = []
  child.calls = []
  child.on('message', (m) => {
    if (m.type === 'call') child.calls.push(m)
    for (const w of waiters.splice(0)) w(m)
  })
  child.next = (type) =>
    new Promise((resolve, reject) => {
      const wait = (m) => (m.type === type ? resolve(m) : m.type === 'failed' ? reject(new Error(m.error)) : waiters.push(wait))
      waiters.push(wait)
    })
  child.ended = new Promise((resolve) => child.on('exit', resolve))
  return child
}

async function stopAll(nodes) {
  for (const n of nodes) if (n.exitCode === null && n.signalCode === null) n.send({ type: 'stop' })
  await Promise.race([Promise.all(nodes.map((n) => n.ended)), sleep(10_000)])
  for (const n of nodes) n.kill('SIGKILL')
}

async function freshDb(pg, name) {
  await pg.query(`CREATE DATABASE ${name}`)
  return pg.urlFor(name)
}

/** C1/C2: `count` schedules due at one instant, 3 nodes. */
async function herd(pg, count) {
  const url = await freshDb(pg, 'herd')
  // A pattern that fires once an hour, at an instant a few seconds after every node is up.
  const due = new Date(Math.ceil((Date.now() + 15_000 + count / 5) / 1000) * 1000)
  const cron = `${due.getUTCSeconds()} ${due.getUTCMinutes()} * * * *`
  const first = startNode({ url, nodeId: 'n1', count, cron, declare: true })
  await first.next('ready')
  const nodes = [first, startNode({ url, nodeId: 'n2' }), startNode({ url, nodeId: 'n3' })]
  await Promise.all(nodes.slice(1).map((n) => n.next('ready')))
  if (Date.now() > due.getTime() - 1000) throw new Error('the nodes were not ready before the herd was due')
  const at = due.getTime()
  let fired = null
  let completed = null
  // The polls read an index (occurrences) or little (open ones): cheap beside the work measured.
  while (completed === null && Date.now() < at + 120_000) {
    await sleep(fired === null ? 20 : 50)
    if (Date.now() < at) continue
    if (fired === null) {
      const recorded = Number(
        await pg.query(
          `SELECT count(*) FROM tickflow.executions WHERE trigger IN ('scheduled', 'catchup') AND schedule_id >= '' AND scheduled_ms = ${at}`,
          { database: 'herd' },
        ),
      )
      if (recorded >= count) fired = Date.now() - at
      continue
    }
    const open = Number(await pg.query(`SELECT count(*) FROM tickflow.executions WHERE status IN ('queued', 'running', 'retrying')`, { database: 'herd' }))
    if (open === 0) completed = Date.now() - at
  }
  const reports = await Promise.all(nodes.map(async (n) => (n.send({ type: 'report' }), await n.next('report'))))
  await stopAll(nodes)
  const perNode = reports.map((r) => r.calls)
  return { count, firedMs: fired, completedMs: completed, perNode, loopMaxMs: reports.map((r) => Math.round(r.loopMaxMs)) }
}

/**
 * C3: the time from a SIGKILL of the node running an attempt to its retry starting
 * elsewhere; with SIGSTOP, a node that is alive but gone (a lost host, a partition).
 */
async function failover(pg, round, signal = 'SIGKILL') {
  const url = await freshDb(pg, `failover${round}`)
  const survivor = startNode({ url, nodeId: 'survivor', count: 1, cron: '0 0 1 1 *', declare: true })
  await survivor.next('ready')
  const victim = startNode({ url, nodeId: 'victim', hang: true, trigger: true })
  const call = await victim.next('call')
  await sleep(500)
  const killed = Date.now()
  victim.kill(signal)
  let retried = null
  while (retried === null && Date.now() < killed + 30_000) {
    await sleep(10)
    retried = survivor.calls.find((c) => c.executionId === call.executionId && c.attempt === 2) || null
  }
  victim.kill('SIGKILL')
  await stopAll([survivor, victim])
  return retried ? retried.at - killed : null
}

/** C4: lateness of `count` every-second schedules over `seconds` on 3 nodes. */
async function lateness(pg, count, seconds) {
  const url = await freshDb(pg, 'lateness')
  const first = startNode({ url, nodeId: 'n1', count, cron: '* * * * * *', declare: true })
  await first.next('ready')
  const nodes = [first, startNode({ url, nodeId: 'n2' }), startNode({ url, nodeId: 'n3' })]
  await Promise.all(nodes.slice(1).map((n) => n.next('ready')))
  await sleep(2000) // settle
  for (const n of nodes) n.send({ type: 'report' })
  const before = await Promise.all(nodes.map(async (n) => (await n.next('report')).lateness.length))
  await sleep(seconds * 1000)
  for (const n of nodes) n.send({ type: 'report' })
  const reports = await Promise.all(nodes.map((n) => n.next('report')))
  await stopAll(nodes)
  const samples = reports.flatMap((r, i) => r.lateness.slice(before[i])).sort((a, b) => a - b)
  const q = (p) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]
  return { samples: samples.length, p50: q(0.5), p99: q(0.99), max: samples[samples.length - 1], perNode: reports.map((r, i) => r.lateness.length - before[i]) }
}

async function measure(sizes) {
  const pg = await startPostgres()
  try {
    const h = await herd(pg, sizes.clusterHerd)
    const takeovers = []
    for (let i = 0; i < 3; i++) takeovers.push(await failover(pg, i))
    const stopped = await failover(pg, 3, 'SIGSTOP')
    const l = await lateness(pg, sizes.clusterLateSchedules, sizes.clusterLateSeconds)
    return { herd: h, takeovers, stopped, lateness: l }
  } finally {
    await pg.stop()
  }
}

const PEERS = ['pg-boss', 'graphile-worker']
const COLUMNS = ['tickflow', ...PEERS]
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** For bench/run.js: tickflow's cluster and the peers on the same kind of server, one run. */
async function run(sizes) {
  const ours = await measure(sizes)
  const peers = await require('./cluster-peers').measure({
    jobs: sizes.quick ? 2_000 : 20_000,
    workers: 3,
    capSeconds: sizes.quick ? 20 : 90,
    longSeconds: sizes.quick ? 15 : 60,
    only: null,
  })
  const { herd: h, takeovers, stopped, lateness: l } = ours
  const firesPerSecond = h.firedMs ? h.count / (h.firedMs / 1000) : null
  const executionsPerSecond = h.completedMs ? h.count / (h.completedMs / 1000) : null
  const peerThroughput = (key) =>
    Object.fromEntries(peers.throughput.map((r) => [r.library, r.failed ? { failed: r.failed } : r[key]]))
  const takeover = median(takeovers.filter((t) => t !== null))
  const lateNa = { na: 'cron at one-minute resolution; no sub-minute schedules to time' }
  const n = fmt(h.count)
  return [
    {
      id: 'C1',
      title: `Several nodes: a herd of ${n} schedules due at one instant on 3 nodes, until every occurrence is recorded`,
      unit: 'fires/s',
      libraries: COLUMNS,
      what:
        `${n} schedules on one PostgreSQL (a throwaway server, fsync off), 3 tickflow node processes, all due at the same ` +
        'instant; the clock runs from that instant until the database holds an execution for each (polled every 20 ms). ' +
        'The peers have no herd of schedules to fire: beside it, how fast they enqueue jobs in bulk on the same kind of server.',
      rows: [{ label: 'occurrences recorded per second', better: 'higher', figures: { tickflow: firesPerSecond, ...peerThroughput('enqueuePerSecond') } }],
      target: { text: '≥ 20,000 fires/s', met: firesPerSecond >= 20_000, detail: `${fmt(firesPerSecond)} fires/s` },
    },
    {
      id: 'C2',
      title: `Several nodes: the same herd run to completion on 3 nodes`,
      unit: 'executions/s',
      libraries: COLUMNS,
      what:
        'From the due instant until every execution of the herd is completed in the database (trivial executor, maxConcurrency 100 per node). ' +
        `pg-boss and graphile-worker: ${fmt(peers.options.jobs)} trivial jobs enqueued in bulk, 3 worker processes, until the last one is done. ` +
        peers.throughput.map((r) => `${r.library}: ${r.settings || ''}.`).join(' '),
      rows: [{ label: 'executions (jobs) completed per second', better: 'higher', figures: { tickflow: executionsPerSecond, ...peerThroughput('jobsPerSecond') } }],
      target: { text: '≥ 5,000 executions/s', met: executionsPerSecond >= 5_000, detail: `${fmt(executionsPerSecond)} executions/s; work per node ${h.perNode.join(' / ')}` },
    },
    {
      id: 'C3',
      title: 'Several nodes: a node SIGKILLed while it runs an attempt, until the attempt starts on another node',
      unit: 's',
      libraries: COLUMNS,
      what:
        `tickflow: the median of ${takeovers.length} rounds (${takeovers.map((t) => (t === null ? 'none' : `${t} ms`)).join(', ')}), defaults ` +
        '(lease 10 s, advisory lock per node, reaper every second). The peers: a worker SIGKILLed during a long job, with default and minimum settings.',
      rows: [
        { label: 'tickflow defaults', better: 'lower', noRatio: true, figures: { tickflow: takeover / 1000 } },
        {
          label: 'tickflow, the node SIGSTOPped instead (alive but gone, as a lost host): lease 10 s',
          better: 'lower',
          noRatio: true,
          figures: { tickflow: stopped === null ? { text: '> 30 s' } : stopped / 1000 },
        },
        ...peers.failover.map((r) => ({
          label: `${r.variant}: ${r.settings}`,
          better: 'lower',
          noRatio: true,
          figures: { [r.library]: r.failed ? { failed: r.failed } : r.failoverSeconds === null ? { text: `> ${r.capSeconds} s` } : r.failoverSeconds },
          comment: r.documented,
        })),
      ],
      commentTitle: 'documented',
      target: {
        text: '≤ 2 s after SIGKILL, ≤ 12 s for a node gone',
        met: takeover <= 2000 && stopped !== null && stopped <= 12_000,
        detail: `${takeover} ms; stopped node ${stopped} ms`,
      },
    },
    {
      id: 'C4',
      title: `Several nodes: lateness of ${fmt(sizes.clusterLateSchedules)} every-second schedules on 3 quiet nodes, ${sizes.clusterLateSeconds} s`,
      unit: 'ms',
      libraries: COLUMNS,
      what: `Executor call minus scheduled instant, every call of every node (${fmt(l.samples)} calls; per node ${l.perNode.join(' / ')}).`,
      rows: [
        { label: 'p50', better: 'lower', figures: { tickflow: l.p50, 'pg-boss': lateNa, 'graphile-worker': lateNa } },
        { label: 'p99', better: 'lower', figures: { tickflow: l.p99, 'pg-boss': lateNa, 'graphile-worker': lateNa } },
      ],
      target: { text: 'p99 < 100 ms', met: l.p99 < 100, detail: `p99 ${l.p99} ms` },
    },
  ]
}

module.exports = { run, measure, herd, failover, lateness, startNode }

if (require.main === module) {
  const sizes = require('./lib/sizes')
  measure(sizes).then((r) => console.log(JSON.stringify(r, null, 2)), (e) => (console.error(e), process.exit(1)))
}
