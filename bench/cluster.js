'use strict'
// C1-C8: several nodes on one PostgreSQL. A throwaway server (bench/lib/servers.js: fsync
// off, as in the tests) and 3 tickflow node processes on it:
//   C1/C2  a herd of schedules due at one instant: fires/s (every occurrence recorded) and
//          executions/s (every one completed), from the due instant;
//   C3     SIGKILL of the node running an attempt → the attempt starting on another node;
//   C4     p99 lateness of every-second schedules in a quiet 3-node cluster;
//   C5     the synchronous part of a command (bench/lib/commands.js), beside the memory store;
//   C6     each node's longest event-loop stall during the C1/C2 herd;
//   C7     the C1/C2 throughput again on a second server with fsync and synchronous_commit on;
//   C8     what PostgreSQL alone does with a herd's statements (bench/cluster-floor.js), on
//          the first server: the ceiling each storage model puts on C1/C2 on this machine.
// pg-boss and graphile-worker run their jobs on the same servers, in the same run
// (bench/cluster-peers.js); lib/cluster-workloads.js turns it all into tables.

const os = require('node:os')
const path = require('node:path')
const { fork } = require('node:child_process')
const { Client } = require('pg')
const { startServer, durabilityOf, freshDb } = require('./lib/servers')
const { commandsBothStores } = require('./lib/commands')
const peers = require('./cluster-peers')
const floor = require('./cluster-floor')
const { workloads } = require('./lib/cluster-workloads')

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

/**
 * C1/C2/C6: `count` schedules due at one instant, 3 nodes. firedMs/completedMs: from the due
 * instant until every occurrence is recorded / every execution is done (null: not within
 * 120 s); loopMaxMs: each node's longest event-loop delay once it was ready; load: the
 * machine's 1-minute load average at the due instant and at the end (other work on it shows).
 */
async function herd(pg, count) {
  const url = await freshDb(pg, 'herd')
  // A pattern that fires once an hour, at an instant a few seconds after every node is up.
  const due = new Date(Math.ceil((Date.now() + 15_000 + count / 5) / 1000) * 1000)
  const cron = `${due.getUTCSeconds()} ${due.getUTCMinutes()} * * * *`
  const first = startNode({ url, nodeId: 'n1', count, cron, declare: true })
  const nodes = [first]
  try {
    await first.next('ready')
    nodes.push(startNode({ url, nodeId: 'n2' }), startNode({ url, nodeId: 'n3' }))
    await Promise.all(nodes.slice(1).map((n) => n.next('ready')))
    if (Date.now() > due.getTime() - 1000) throw new Error('the nodes were not ready before the herd was due')
    const at = due.getTime()
    let fired = null
    let completed = null
    let loadAtDue = null
    // The polls go through one open connection (a psql process per poll took 7% of the
    // machine). A count of a herd's rows takes PostgreSQL about 10 ms: far from the end, a
    // poll every 100 ms; within the last tenth, every 20 ms.
    const poller = new Client({ connectionString: url })
    await poller.connect()
    const counted = async (sql) => Number((await poller.query(sql)).rows[0].count)
    let left = count
    try {
      while (completed === null && Date.now() < at + 120_000) {
        await sleep(left > count / 10 ? 100 : 20)
        if (Date.now() < at) continue
        loadAtDue ??= os.loadavg()[0]
        if (fired === null) {
          const recorded = await counted(
            `SELECT count(*) FROM tickflow.executions WHERE trigger IN ('scheduled', 'catchup') AND schedule_id >= '' AND scheduled_ms = ${at}`,
          )
          left = count - recorded
          if (left <= 0) {
            fired = Date.now() - at
            left = count
          }
          continue
        }
        left = await counted(`SELECT count(*) FROM tickflow.executions WHERE status IN ('queued', 'running', 'retrying')`)
        if (left === 0) completed = Date.now() - at
      }
    } finally {
      await poller.end()
    }
    const reports = await Promise.all(nodes.map(async (n) => (n.send({ type: 'report' }), await n.next('report'))))
    const perNode = reports.map((r) => r.calls)
    return {
      count,
      firedMs: fired,
      completedMs: completed,
      perNode,
      loopMaxMs: reports.map((r) => Number(r.loopMaxMs.toFixed(1))),
      cpuMs: reports.map((r) => r.cpuMs),
      load: [loadAtDue, os.loadavg()[0]].map((l) => Number(l.toFixed(2))),
    }
  } finally {
    await stopAll(nodes)
  }
}

/**
 * C3: the time from a SIGKILL of the node running an attempt to its retry starting
 * elsewhere; with SIGSTOP, a node that is alive but gone (a lost host, a partition).
 */
async function failover(pg, round, signal = 'SIGKILL') {
  const url = await freshDb(pg, `failover${round}`)
  const survivor = startNode({ url, nodeId: 'survivor', count: 1, cron: '0 0 1 1 *', declare: true, tellCalls: true })
  await survivor.next('ready')
  const victim = startNode({ url, nodeId: 'victim', hang: true, trigger: true, tellCalls: true })
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

/** C8: a herd of `count` replayed from plain clients, no scheduler (bench/cluster-floor.js):
 * ms until every fire is recorded and until every run is recorded as done, for tickflow's
 * tables and a narrow queue row; a job queue's share has no fires. */
async function floorOf(pg, count) {
  const ms = {}
  for (const model of ['current', 'lean']) {
    ms[model] = { firesMs: await floor.run(pg, model, count, true), doneMs: await floor.run(pg, model, count, false) }
  }
  ms.jobs = { doneMs: await floor.run(pg, 'jobs', count, false) }
  return { count, ms }
}

/** Everything C1-C8 report: the fsync-off server first, then the durable one. */
async function measure(sizes) {
  const peerOptions = {
    jobs: sizes.clusterHerd,
    workers: 3,
    capSeconds: sizes.clusterPeerCapSeconds,
    longSeconds: sizes.clusterPeerLongSeconds,
    only: null,
  }
  const failed = (err) => ({ failed: err.message.split('\n')[0] })
  const fast = {}
  let pg = await startServer('fast')
  try {
    fast.durability = await durabilityOf(pg)
    fast.commands = await commandsBothStores(pg, sizes.clusterCommands)
    fast.herd = await herd(pg, sizes.clusterHerd).catch(failed)
    fast.peers = await peers.measure(peerOptions, pg)
    fast.takeovers = []
    for (let i = 0; i < 3; i++) fast.takeovers.push(await failover(pg, i))
    fast.stopped = await failover(pg, 3, 'SIGSTOP')
    fast.lateness = await lateness(pg, sizes.clusterLateSchedules, sizes.clusterLateSeconds)
    fast.floor = await floorOf(pg, sizes.clusterHerd).catch(failed)
  } finally {
    await pg.stop()
  }
  const durable = {}
  pg = await startServer('durable')
  try {
    durable.durability = await durabilityOf(pg)
    durable.herd = await herd(pg, sizes.clusterHerd).catch(failed)
    durable.peers = await peers.measure({ ...peerOptions, only: 'throughput' }, pg)
  } finally {
    await pg.stop()
  }
  return { fast, durable }
}

/** For bench/run.js: tickflow's cluster and the peers on the same servers, one run. */
async function run(sizes) {
  return workloads(await measure(sizes), sizes)
}

module.exports = { run, measure, herd, failover, lateness, startNode }

if (require.main === module) {
  const sizes = require('./lib/sizes')
  measure(sizes).then((r) => console.log(JSON.stringify(r, null, 2)), (e) => (console.error(e), process.exit(1)))
}
