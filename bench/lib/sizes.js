'use strict'
// Workload sizes: the full sizes, or small ones with BENCH_QUICK=1 for development.

const QUICK = process.env.BENCH_QUICK === '1'

const FULL = {
  quick: false,
  nextRunRounds: 3, // B1/B2: interleaved rounds per pattern; the median is reported
  nextRunBudgetMs: 100, // B1/B2: time per library per round
  idleSchedules: 100_000, // B3/B4
  idleSchedulesTickflowOnly: 1_000_000, // B3, tickflow alone
  creationBudgetMs: 15_000, // B3/B4: a peer stops creating schedules after this long
  idleWaitMs: 1500, // B3: settle before measuring
  idleCpuWindowMs: 3000, // B3: idle CPU measured over this window
  firingSchedules: 10_000, // B5
  firingSeconds: 10, // B5
  singleFiringSeconds: 5, // B5: one schedule alone, the latency floor
  herdSchedules: 100_000, // B6
  herdCreationBudgetMs: 10_000, // B6: a peer's herd is what it creates in this time
  herdCapMs: 8_000, // B6: give up on a library this long past the due instant
  executions: 100_000, // B7
  events: 1_000_000, // B8: raw threadsafe-function calls
  eventExecutions: 100_000, // B8: executions whose events are counted
  skippedFires: 200_000, // B8: fires of disabled schedules, one event each
  storeSchedules: 100_000, // S1/S2
  clusterHerd: 20_000, // C1/C2/C6/C7: schedules due at one instant on 3 nodes; the peers' jobs
  clusterCommands: 2_000, // C5: rounds of create, pause, resume, trigger per store
  clusterPeerCapSeconds: 90, // C2/C3/C7: the longest a peer's run is waited for
  clusterPeerLongSeconds: 60, // C3: the peers' long job, killed 0.5 s in
  clusterLateSchedules: 300, // C4: every-second schedules on 3 nodes
  clusterLateSeconds: 10, // C4
  operationsSchedules: [100_000, 1_000_000], // O1/O2
}

const SMALL = {
  quick: true,
  nextRunRounds: 1,
  nextRunBudgetMs: 40,
  idleSchedules: 5_000,
  idleSchedulesTickflowOnly: 20_000,
  creationBudgetMs: 3_000,
  idleWaitMs: 300,
  idleCpuWindowMs: 500,
  firingSchedules: 1_000,
  firingSeconds: 3,
  singleFiringSeconds: 2,
  herdSchedules: 5_000,
  herdCreationBudgetMs: 3_000,
  herdCapMs: 3_000,
  executions: 5_000,
  events: 100_000,
  eventExecutions: 5_000,
  skippedFires: 10_000,
  storeSchedules: 5_000,
  clusterHerd: 2_000,
  clusterCommands: 200,
  clusterPeerCapSeconds: 20,
  clusterPeerLongSeconds: 15,
  clusterLateSchedules: 50,
  clusterLateSeconds: 3,
  operationsSchedules: [5_000, 20_000],
}

module.exports = QUICK ? SMALL : FULL
