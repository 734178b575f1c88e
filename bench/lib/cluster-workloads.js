'use strict'
// bench/cluster.js's measurements as workloads C1-C8 for bench/lib/report.js: each with its
// target, met or missed, and pg-boss's and graphile-worker's figures where they apply.

const PEERS = ['pg-boss', 'graphile-worker']
const COLUMNS = ['tickflow', ...PEERS]
const PROCESSES = ['process 1', 'process 2', 'process 3']
const COMMAND_NAMES = {
  create: 'createScheduledWorkflow',
  pause: 'pauseSchedule',
  resume: 'resumeSchedule',
  trigger: 'triggerScheduledExecution',
}
const FIRES_TARGET = 40_000
const SYNC_TARGET_MS = 0.5
const STALL_TARGET_MS = 50
const LOOP_RESOLUTION_MS = 5 // lib/cluster-node.js and lib/peer-worker.js

const fmt = (n) => (n === null || n === undefined ? 'none' : Math.round(n).toLocaleString('en-US'))
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** Fires/s and executions/s of a herd (null: the herd broke or did not finish in time). */
function herdRates(h) {
  if (h.failed) return { fires: null, executions: null }
  return {
    fires: h.firedMs ? h.count / (h.firedMs / 1000) : null,
    executions: h.completedMs ? h.count / (h.completedMs / 1000) : null,
  }
}

/** A tickflow figure, or why there is none. */
function ours(h, rate, what) {
  if (h.failed) return { failed: h.failed }
  return rate === null ? { failed: `${what} not within 120 s of the due instant` } : rate
}

/** Each peer's `key` from its throughput run, or why there is none. */
function theirs(peers, key) {
  return Object.fromEntries(peers.throughput.map((r) => [r.library, r.failed ? { failed: r.failed } : r[key]]))
}

const peerJobsPerSecond = (peers, library) => {
  const r = peers.throughput.find((t) => t.library === library)
  return r && !r.failed ? r.jobsPerSecond : null
}

/** The machine's load while one server's herd and the peers' runs went on (2 shared cores). */
function loadNote(run) {
  const parts = []
  if (run.herd.load) parts.push(`tickflow's herd ${run.herd.load.join(' → ')}`)
  for (const r of run.peers.throughput) if (r.load) parts.push(`${r.library} ${r.load.join(' → ')}`)
  return `Machine load (1-minute load average at the start → the end of each run): ${parts.join('; ')}.`
}

const peerSettings = (peers) => peers.throughput.map((r) => `${r.library}: ${r.settings || ''}.`).join(' ')

/** C1 and C2 (fsync off, with targets) or C7 (fsync on, figures only) rows from one server. */
function throughputRows(run, suffix = '') {
  const rates = herdRates(run.herd)
  return [
    {
      label: `occurrences recorded per second (peers: jobs enqueued in bulk per second)${suffix}`,
      better: 'higher',
      figures: { tickflow: ours(run.herd, rates.fires, 'not every occurrence recorded'), ...theirs(run.peers, 'enqueuePerSecond') },
    },
    {
      label: `executions (jobs) completed per second${suffix}`,
      better: 'higher',
      figures: { tickflow: ours(run.herd, rates.executions, 'not every execution completed'), ...theirs(run.peers, 'jobsPerSecond') },
    },
  ]
}

function commandsWorkload({ commands, durability }) {
  const rows = []
  for (const [store, label] of [['postgres', `PostgreSQL (${durability})`], ['memory', 'memory store']]) {
    for (const [key, r] of Object.entries(commands[store].commands)) {
      rows.push({
        label: `${COMMAND_NAMES[key]}, ${label}`,
        noRatio: true,
        figures: { p50: r.syncMs.p50, p99: r.syncMs.p99, max: r.syncMs.max },
        comment: `${r.settledMs.p50} / ${r.settledMs.p99}`,
      })
    }
  }
  const pg = Object.entries(commands.postgres.commands)
  const worstP99 = pg.reduce((a, b) => (b[1].syncMs.p99 > a[1].syncMs.p99 ? b : a))
  const worstMax = pg.reduce((a, b) => (b[1].syncMs.max > a[1].syncMs.max ? b : a))
  return {
    id: 'C5',
    title: 'A command on PostgreSQL: the synchronous part (the call until its Promise is returned), beside the memory store',
    unit: 'ms',
    libraries: ['p50', 'p99', 'max'],
    what:
      `tickflow alone, one started node, nothing firing. ${commands.postgres.rounds.toLocaleString('en-US')} rounds (after 50 uncounted) of ` +
      'createScheduledWorkflow (a new yearly schedule), pauseSchedule, resumeSchedule and triggerScheduledExecution on it, one command at a time: ' +
      'performance.now() before the call and right after it returns its Promise, which is then awaited before the next command. ' +
      'On PostgreSQL the commit happens off the JavaScript thread; on the memory store the whole command runs on it. ' +
      'The last column is the time until the Promise settles (on PostgreSQL: committed).',
    rows,
    commentTitle: 'until the Promise settles, p50 / p99 (ms)',
    target: {
      text: `≤ ${SYNC_TARGET_MS} ms on PostgreSQL (the p99 of every command)`,
      met: pg.every(([, r]) => r.syncMs.p99 <= SYNC_TARGET_MS),
      detail: `highest p99 ${worstP99[1].syncMs.p99} ms (${COMMAND_NAMES[worstP99[0]]}); highest max ${worstMax[1].syncMs.max} ms (${COMMAND_NAMES[worstMax[0]]})`,
    },
  }
}

/** C8: the ceiling PostgreSQL alone puts on C1/C2 here, beside what tickflow reached. */
function floorWorkload({ floor, herd: h, peers }) {
  const title = 'Several nodes: what PostgreSQL alone does with the herd\'s statements, no scheduler (the ceiling on C1/C2 on this machine)'
  if (floor.failed) return { id: 'C8', title, unit: 'per second', libraries: ['tickflow'], what: '', rows: [], target: { none: true, text: 'none', detail: floor.failed } }
  const perSecond = (ms) => (ms ? floor.count / (ms / 1000) : { text: 'none' })
  const rates = herdRates(h)
  const tables = { fires: perSecond(floor.ms.current.firesMs), done: perSecond(floor.ms.current.doneMs) }
  const lean = { fires: perSecond(floor.ms.lean.firesMs), done: perSecond(floor.ms.lean.doneMs) }
  const jobs = perSecond(floor.ms.jobs.doneMs)
  const gw = peerJobsPerSecond(peers, 'graphile-worker')
  const number = (x) => (typeof x === 'number' ? x : null)
  const share = (ours, ceiling) => (number(ours) && number(ceiling) ? `${Math.round((100 * ours) / ceiling)}%` : 'none')
  const na = { na: 'no fires' }
  return {
    id: 'C8',
    title,
    unit: 'per second',
    libraries: ['tickflow (C1/C2)', "tickflow's tables, SQL alone", 'a narrow queue row, SQL alone', "a job queue's share, SQL alone"],
    what:
      `bench/cluster-floor.js on the server of C1/C2, after C1-C4: ${fmt(floor.count)} runs due at once, replayed by 3 plain pg clients ` +
      '(fires in turns of 512, runs claimed 500 at a time), with no scheduler: no node, no JavaScript, no records built. ' +
      "tickflow's tables: each execution row written queued, running and final with its whole record, the schedule row with it. " +
      'A narrow queue row: claimed then deleted, the record written once at the end. A job queue\'s share: jobs enqueued beforehand, claimed and deleted, nothing else recorded.',
    rows: [
      { label: 'every fire recorded', noRatio: true, figures: { 'tickflow (C1/C2)': ours(h, rates.fires, 'not every occurrence recorded'), "tickflow's tables, SQL alone": tables.fires, 'a narrow queue row, SQL alone': lean.fires, "a job queue's share, SQL alone": na } },
      { label: 'every run recorded as done', noRatio: true, figures: { 'tickflow (C1/C2)': ours(h, rates.executions, 'not every execution completed'), "tickflow's tables, SQL alone": tables.done, 'a narrow queue row, SQL alone': lean.done, "a job queue's share, SQL alone": jobs } },
    ],
    target: {
      none: true,
      text: 'none (the ceilings C1 and C2 are measured against)',
      detail:
        `tickflow reached ${share(rates.fires, tables.fires)} of its tables' fires/s and ${share(rates.executions, tables.done)} of their runs/s; ` +
        `graphile-worker's ${fmt(gw)} jobs/s in C2 is ${gw && tables.done ? (gw / tables.done).toFixed(1) : 'none'}× what tickflow's tables allow and ` +
        `${gw && number(lean.done) ? (gw / lean.done).toFixed(1) : 'none'}× a narrow queue row's`,
    },
  }
}

function stallsWorkload({ fast, durable }, count) {
  const perProcess = (values) => Object.fromEntries(values.map((v, i) => [PROCESSES[i], v === null ? { text: 'none' } : v]))
  const nodeRow = (run, label) => ({
    label,
    noRatio: true,
    figures: run.herd.failed ? { [PROCESSES[0]]: { failed: run.herd.failed } } : perProcess(run.herd.loopMaxMs),
  })
  const peerRows = (run, suffix) =>
    run.peers.throughput.map((r) => ({
      label: `${r.library} worker, ${count.toLocaleString('en-US')} no-op jobs${suffix}`,
      noRatio: true,
      figures: r.failed ? { [PROCESSES[0]]: { failed: r.failed } } : perProcess(r.loopMaxMsPerWorker),
    }))
  const worst = fast.herd.failed ? null : Math.max(...fast.herd.loopMaxMs)
  return {
    id: 'C6',
    title: `Several nodes: each node's longest event-loop stall while 3 nodes run a herd of ${count.toLocaleString('en-US')} schedules`,
    unit: 'ms',
    libraries: PROCESSES,
    what:
      `perf_hooks.monitorEventLoopDelay (resolution ${LOOP_RESOLUTION_MS} ms) in each process, its max: for a tickflow node from the moment it is ready ` +
      '(the schedules declared) until the herd of C1/C2 is done (process 1 is the node that declared them); for a peer\'s worker, while it runs the jobs of C2 (of C7 with fsync on). ' +
      `A delay includes the ${LOOP_RESOLUTION_MS} ms timer interval itself, so a stall of X ms reads as up to X + ${LOOP_RESOLUTION_MS}.`,
    rows: [
      nodeRow(fast, `tickflow node, fsync off (${fast.durability})`),
      ...peerRows(fast, ', fsync off'),
      nodeRow(durable, `tickflow node, fsync on (${durable.durability})`),
      ...peerRows(durable, ', fsync on'),
    ],
    target: {
      text: `no stall over ${STALL_TARGET_MS} ms in any tickflow node (fsync off)`,
      met: worst === null ? null : worst <= STALL_TARGET_MS,
      detail: worst === null ? fast.herd.failed : `per node ${fast.herd.loopMaxMs.join(' / ')} ms`,
    },
    notes: [`fsync off: ${loadNote(fast)}`, `fsync on: ${loadNote(durable)}`],
  }
}

/** C1-C8 from bench/cluster.js measure(). */
function workloads(results, sizes) {
  const { fast, durable } = results
  const { herd: h, peers, takeovers, stopped, lateness: l } = fast
  const rates = herdRates(h)
  const gw = peerJobsPerSecond(peers, 'graphile-worker')
  const takeover = median(takeovers.filter((t) => t !== null))
  const lateNa = { na: 'cron at one-minute resolution; no sub-minute schedules to time' }
  const n = fmt(h.count ?? sizes.clusterHerd)
  const [c1Row, c2Row] = throughputRows(fast)
  const durableRates = herdRates(durable.herd)
  return [
    {
      id: 'C1',
      title: `Several nodes: a herd of ${n} schedules due at one instant on 3 nodes, until every occurrence is recorded`,
      unit: 'fires/s',
      libraries: COLUMNS,
      what:
        `${n} schedules on one PostgreSQL (a throwaway server, ${fast.durability}), 3 tickflow node processes, all due at the same ` +
        'instant; the clock runs from that instant until the database holds an execution for each (polled through one connection, every 100 ms until the last tenth, then every 20 ms). ' +
        `The peers have no herd of schedules to fire: beside it, how fast they enqueue ${n} jobs in bulk (5,000 per call) on the same server.`,
      rows: [c1Row],
      target: { text: `≥ ${fmt(FIRES_TARGET)} fires/s`, met: rates.fires === null ? false : rates.fires >= FIRES_TARGET, detail: `${fmt(rates.fires)} fires/s` },
      notes: [loadNote(fast)],
    },
    {
      id: 'C2',
      title: 'Several nodes: the same herd run to completion on 3 nodes, beside the peers\' no-op jobs on 3 workers',
      unit: 'executions/s',
      libraries: COLUMNS,
      what:
        'tickflow: from the due instant until every execution of the herd is completed in the database (trivial executor, maxConcurrency 100 per node). ' +
        `pg-boss and graphile-worker, on the same server after the herd: ${fmt(peers.options.jobs)} no-op jobs enqueued in bulk, then 3 worker processes start; ` +
        `the clock runs from their start until the database holds no unfinished job. ${peerSettings(peers)}`,
      rows: [c2Row],
      target: {
        text: '≥ 1.0× graphile-worker\'s jobs/s',
        met: rates.executions !== null && gw !== null ? rates.executions >= gw : false,
        detail:
          `${fmt(rates.executions)} executions/s against graphile-worker's ${fmt(gw)} jobs/s` +
          (rates.executions && gw ? ` (${(rates.executions / gw).toFixed(2)}×)` : '') +
          (h.perNode ? `; work per node ${h.perNode.join(' / ')}` : ''),
      },
      notes: [loadNote(fast)],
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
        { label: 'tickflow defaults', better: 'lower', noRatio: true, figures: { tickflow: takeover === undefined ? { text: '> 30 s' } : takeover / 1000 } },
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
        met: takeover !== undefined && takeover <= 2000 && stopped !== null && stopped <= 12_000,
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
    commandsWorkload(fast),
    stallsWorkload(results, h.count ?? sizes.clusterHerd),
    {
      id: 'C7',
      title: `Several nodes: C1 and C2 again with fsync on, ${n} schedules on 3 nodes beside ${n} jobs on 3 workers`,
      unit: 'per second',
      libraries: COLUMNS,
      what:
        `The herd of C1/C2 and the peers' runs of C1/C2, the same way, on a second throwaway server started with ${durable.durability} ` +
        '(every commit waits for its WAL to reach the disk), after the first one is stopped. ' +
        `${peerSettings(durable.peers)}`,
      rows: throughputRows(durable),
      target: {
        none: true,
        text: 'none (the figure with fsync on)',
        detail:
          `tickflow ${fmt(durableRates.fires)} fires/s, ${fmt(durableRates.executions)} executions/s; ` +
          `with fsync off (C1/C2) ${fmt(rates.fires)} and ${fmt(rates.executions)}`,
      },
      notes: [loadNote(durable)],
    },
    floorWorkload(fast),
  ]
}

module.exports = { workloads }
