'use strict'
// The PostgreSQL-backed peers, pg-boss and graphile-worker, run as a cluster: three worker
// processes on one database. Two measurements:
//
//   throughput  N trivial jobs (async, return at once) enqueued up front in bulk by this
//               process; the clock starts once all N are in the table and the workers are
//               told to start, and stops when the database holds no unfinished job.
//   failover    one worker takes a long job (it sleeps), this process SIGKILLs that worker,
//               and the figure is the time from the kill until the job starts again on
//               another worker: with each library's default settings, then with the
//               lowest settings its documentation allows. The wait is capped.
//
// One throwaway PostgreSQL server (bench/lib/servers.js: fsync off, or on with --fsync on)
// for the whole run, or the one a caller passes to measure(); every measurement gets a
// database of its own on it. The throughput runs go one after
// the other; the failover runs, idle but for their polling, all wait at the same time.
//
//   node bench/cluster-peers.js [--jobs 20000] [--cap 90] [--long 60] [--workers 3]
//                               [--pgboss-batch 500] [--pgboss-work-calls 2]
//                               [--only throughput|failover] [--fsync off|on] [--json]
//
// --json prints the results as JSON on stdout (the progress lines go to stderr either way).
// `run(sizes)` returns the same figures as workloads for bench/run.js (P1, P2; sizes may
// carry peerClusterJobs, peerClusterCapSeconds, peerClusterLongSeconds).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { fork } = require('node:child_process')
const { parseArgs } = require('node:util')
const { startServer, durabilityOf } = require('./lib/servers')
const { machine, formatNumber } = require('./lib/report')
const { sleep } = require('./lib/measure')

const WORKER = path.join(__dirname, 'lib', 'peer-worker.js')
const LIBRARIES = ['pg-boss', 'graphile-worker']
const THROUGHPUT_QUEUE = 'trivial'
const LONG_QUEUE = 'long'
const ENQUEUE_CHUNK = 5_000

const versionOf = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', name, 'package.json'), 'utf8')).version

// Throughput settings: what each library's documentation gives for throughput.
function throughputSettings({ pgbossBatch = 500, pgbossWorkCalls = 2 } = {}) {
  return {
  'pg-boss': {
    // pg-boss 10 has no teamSize/localConcurrency (removed in 10.0): a work() call is one
    // polling loop that fetches up to batchSize jobs, hands them to one handler call and
    // waits out the rest of pollingIntervalSeconds before the next fetch, so its rate is at
    // most batchSize × work() calls × processes / pollingInterval (500 × 2 × 3 / 0.5 s =
    // 6,000 jobs/s here). Concurrency is the handler's (Promise.allSettled, as its
    // maintainer advises) and more work() calls. The batch matches graphile-worker's local
    // queue below; larger batches were not reliably faster on a 2-core machine.
    text: `batchSize ${pgbossBatch}, pollingIntervalSeconds 0.5 (the minimum), ${pgbossWorkCalls} work() calls per process, handler Promise.allSettled(jobs.map(job))`,
    settings: { constructor: {}, work: { batchSize: pgbossBatch, pollingIntervalSeconds: 0.5 }, workCalls: pgbossWorkCalls },
  },
  'graphile-worker': {
    // The configuration of its performance page (worker.graphile.org/docs/performance).
    text: 'concurrentJobs 24, maxPoolSize 25, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0 (its performance page)',
    settings: { worker: { concurrentJobs: 24, maxPoolSize: 25, localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  },
  }
}

// Failover settings. `queue` goes to pg-boss's createQueue; `settings` to the workers.
function failoverVariants(longSeconds) {
  return [
    {
      library: 'pg-boss',
      variant: 'defaults',
      text: 'expireInSeconds 900 (15 min), maintenanceIntervalSeconds 120, pollingIntervalSeconds 2',
      documented: 'a job active longer than expireIn (15 min) is retried by the next maintenance run (every 2 min)',
      queue: {},
      settings: { constructor: {}, work: {} },
    },
    {
      library: 'pg-boss',
      variant: 'minimums',
      text: 'expireInSeconds 1, maintenanceIntervalSeconds 1, pollingIntervalSeconds 0.5 (the documented minimums; pg-boss 10 has no heartbeat)',
      documented: 'expireIn is also the longest a job may run: with 1 s, a healthy long job is failed and retried too',
      queue: { expireInSeconds: 1 },
      settings: { constructor: { maintenanceIntervalSeconds: 1 }, work: { pollingIntervalSeconds: 0.5 } },
    },
    {
      library: 'pg-boss',
      variant: `expiry just above the ${longSeconds} s job`,
      text: `expireInSeconds ${longSeconds + 5}, maintenanceIntervalSeconds 1, pollingIntervalSeconds 0.5`,
      documented: 'the lowest expiry that lets this job finish: failover takes about the job\'s own length',
      queue: { expireInSeconds: longSeconds + 5 },
      settings: { constructor: { maintenanceIntervalSeconds: 1 }, work: { pollingIntervalSeconds: 0.5 } },
    },
    {
      library: 'graphile-worker',
      variant: 'defaults',
      text: 'job lock expiry 4 h, stale-lock sweep every 8-10 min, pollInterval 2000',
      documented: 'a killed worker\'s jobs stay locked for up to 4 hours (worker.graphile.org/docs/pro/recovery)',
      settings: { worker: {} },
    },
    {
      library: 'graphile-worker',
      variant: 'minimums',
      text: 'minResetLockedInterval 1000, maxResetLockedInterval 2000, pollInterval 500; the 4 h lock expiry itself is fixed in its SQL',
      documented: 'the 4 h expiry cannot be lowered (only Worker Pro, commercial, makes it configurable; forceUnlockWorkers() is a manual call)',
      settings: { worker: { minResetLockedInterval: 1000, maxResetLockedInterval: 2000, pollInterval: 500 } },
    },
  ]
}

// ---------------------------------------------------------------------------------------
// The enqueueing side, in this process.

const ADMIN = {
  'pg-boss': async (url, queue, queueOptions = {}) => {
    const PgBoss = require('pg-boss')
    // This instance only enqueues: no maintenance, no cron (the workers do those).
    const boss = new PgBoss({ connectionString: url, supervise: false, schedule: false })
    boss.on('error', (err) => log(`pg-boss (enqueuer): ${err.message}`))
    await boss.start()
    await boss.createQueue(queue, queueOptions)
    return {
      enqueue: (n) => boss.insert(Array.from({ length: n }, () => ({ name: queue, data: {} }))),
      sendLong: (ms) => boss.send(queue, { ms }),
      async unfinished() {
        const { rows } = await boss.getDb().executeSql(`select count(*)::int as n from pgboss.job where name = $1 and state <> 'completed'`, [queue])
        return rows[0].n
      },
      close: () => boss.stop({ graceful: false }),
    }
  },
  'graphile-worker': async (url, queue) => {
    const { makeWorkerUtils, Logger } = require('graphile-worker')
    const logger = new Logger(() => (level, message) => level === 'error' && log(`graphile-worker (enqueuer): ${message}`))
    const utils = await makeWorkerUtils({ connectionString: url, logger })
    await utils.migrate()
    return {
      enqueue: (n) => utils.addJobs(Array.from({ length: n }, () => ({ identifier: queue, payload: {} }))),
      sendLong: (ms) => utils.addJob(queue, { ms }),
      async unfinished() {
        // A job is deleted when it completes.
        const { rows } = await utils.withPgClient((client) => client.query('select count(*)::int as n from graphile_worker._private_jobs'))
        return rows[0].n
      },
      close: () => utils.release(),
    }
  },
}

// ---------------------------------------------------------------------------------------
// Worker processes.

const children = new Set()

function log(line) {
  process.stderr.write(`${line}\n`)
}

/** Forks `count` workers and resolves once each has loaded its library. */
async function startWorkers(count, library, url, role, settings) {
  const workers = []
  for (let i = 0; i < count; i++) {
    const child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    children.add(child)
    child.on('exit', () => children.delete(child))
    const worker = { child, index: i, handled: 0, errors: [], listeners: new Set() }
    child.on('message', (message) => {
      if (message.type === 'count') {
        worker.handled += message.n
        worker.loopMaxMs = message.loopMaxMs
      }
      if (message.type === 'error') {
        worker.errors.push(message.message)
        if (worker.errors.length <= 3) log(`${library} worker ${i}: ${message.message.split('\n')[0]}`)
      }
      for (const listener of worker.listeners) listener(message)
    })
    workers.push(worker)
  }
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${library} worker ${worker.index} not ready after 30 s`)), 30_000)
          worker.listeners.add((message) => {
            if (message.type === 'ready') {
              clearTimeout(timer)
              resolve()
            } else if (message.fatal) {
              clearTimeout(timer)
              reject(new Error(`${library} worker ${worker.index}: ${message.message}`))
            }
          })
          worker.child.once('exit', (code, signal) => reject(new Error(`${library} worker ${worker.index} exited (${signal || code})`)))
          worker.child.send({ type: 'init', library, url, role, settings })
        }),
    ),
  )
  return workers
}

function killWorkers(workers) {
  for (const { child } of workers) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
}

function killAllChildren() {
  for (const child of children) child.kill('SIGKILL')
}

/** Resolves with the first message of any of `workers` that `accept` takes, or null after `ms`. */
function nextMessage(workers, accept, ms) {
  return new Promise((resolve) => {
    const listeners = []
    const done = (value) => {
      clearTimeout(timer)
      workers.forEach((worker, i) => worker.listeners.delete(listeners[i]))
      resolve(value)
    }
    const timer = setTimeout(() => done(null), ms)
    for (const worker of workers) {
      const listener = (message) => accept(message, worker) && done({ message, worker })
      listeners.push(listener)
      worker.listeners.add(listener)
    }
  })
}

// ---------------------------------------------------------------------------------------
// Measurements.

let databases = 0

async function createDatabase(pg, prefix) {
  const name = `${prefix}_${++databases}`
  await pg.query(`create database ${name}`)
  return pg.urlFor(name)
}

async function throughput(pg, library, { jobs, workers: count, capSeconds, ...rest }) {
  const { settings, text } = throughputSettings(rest)[library]
  const url = await createDatabase(pg, 'throughput')
  const admin = await ADMIN[library](url, THROUGHPUT_QUEUE)
  let workers = []
  try {
    workers = await startWorkers(count, library, url, 'throughput', settings)
    const enqueueStart = performance.now()
    for (let done = 0; done < jobs; done += ENQUEUE_CHUNK) await admin.enqueue(Math.min(ENQUEUE_CHUNK, jobs - done))
    const enqueueMs = performance.now() - enqueueStart
    let firstAt = Infinity
    for (const worker of workers) worker.listeners.add((m) => m.type === 'first' && (firstAt = Math.min(firstAt, m.at)))
    const loadAtStart = os.loadavg()[0]
    const startedAt = Date.now()
    const start = performance.now()
    for (const { child } of workers) child.send({ type: 'go' })
    const deadline = start + capSeconds * 1000
    const handled = () => workers.reduce((sum, w) => sum + w.handled, 0)
    while (handled() < jobs && performance.now() < deadline) await sleep(5)
    // Every handler has run; the last completions may still be on their way to the table.
    let unfinished = await admin.unfinished()
    while (unfinished > 0 && performance.now() < deadline) {
      await sleep(10)
      unfinished = await admin.unfinished()
    }
    const seconds = (performance.now() - start) / 1000
    return {
      library,
      settings: text,
      jobs,
      workers: count,
      enqueueSeconds: enqueueMs / 1000,
      enqueuePerSecond: jobs / (enqueueMs / 1000),
      seconds,
      firstJobSeconds: Number.isFinite(firstAt) ? (firstAt - startedAt) / 1000 : null,
      // The same rate once the first job ran: without the workers' start-up.
      jobsPerSecondAfterFirst: Number.isFinite(firstAt) ? (jobs - unfinished) / (seconds - (firstAt - startedAt) / 1000) : null,
      completed: jobs - unfinished,
      jobsPerSecond: (jobs - unfinished) / seconds,
      timedOut: unfinished > 0,
      handledPerWorker: workers.map((w) => w.handled),
      // The longest event-loop delay of each worker process while it ran the jobs (ms).
      loopMaxMsPerWorker: workers.map((w) => (w.loopMaxMs === undefined ? null : Number(w.loopMaxMs.toFixed(1)))),
      handlerCalls: handled(),
      errors: workers.reduce((sum, w) => sum + w.errors.length, 0),
      // The machine's 1-minute load average when the workers started and when they were done.
      load: [loadAtStart, os.loadavg()[0]].map((l) => Number(l.toFixed(2))),
    }
  } finally {
    killWorkers(workers)
    await admin.close().catch(() => {})
  }
}

async function failover(pg, variant, { workers: count, capSeconds, longSeconds }) {
  const url = await createDatabase(pg, 'failover')
  const admin = await ADMIN[variant.library](url, LONG_QUEUE, variant.queue)
  let workers = []
  const result = { library: variant.library, variant: variant.variant, settings: variant.text, documented: variant.documented, capSeconds }
  try {
    workers = await startWorkers(count, variant.library, url, 'failover', variant.settings)
    for (const { child } of workers) child.send({ type: 'go' })
    await sleep(500)
    const sentAt = Date.now()
    const firstStart = nextMessage(workers, (m) => m.type === 'started', 30_000)
    await admin.sendLong(longSeconds * 1000)
    const first = await firstStart
    if (!first) throw new Error(`${variant.library} (${variant.variant}): the long job did not start within 30 s`)
    result.firstStartSeconds = (first.message.at - sentAt) / 1000
    await sleep(500) // the job is well under way
    const victim = first.worker
    const others = workers.filter((w) => w !== victim)
    const restart = nextMessage(others, (m) => m.type === 'started' && m.jobId === first.message.jobId, capSeconds * 1000)
    victim.child.kill('SIGKILL')
    const killedAt = Date.now()
    const again = await restart
    result.failoverSeconds = again ? (again.message.at - killedAt) / 1000 : null
    result.errors = workers.reduce((sum, w) => sum + w.errors.length, 0)
    return result
  } finally {
    killWorkers(workers)
    await admin.close().catch(() => {})
  }
}

// ---------------------------------------------------------------------------------------
// Output.

function failoverText(r) {
  if (r.failed) return `failed: ${r.failed}`
  return r.failoverSeconds === null ? `> ${r.capSeconds} s` : `${formatNumber(r.failoverSeconds)} s`
}

function renderTable(results) {
  const lines = []
  const { options } = results
  lines.push(
    `PostgreSQL ${results.postgres}, one throwaway server (${results.durability}), a database per measurement; ` +
      `${options.workers} worker processes per library; ${results.machine.cores} cores, Node ${results.machine.node}.`,
  )
  lines.push(`pg-boss ${results.versions['pg-boss']}, graphile-worker ${results.versions['graphile-worker']}.`)
  if (results.throughput.length) {
    lines.push('', `Throughput: ${formatNumber(options.jobs)} trivial jobs enqueued in bulk, then ${options.workers} workers start`)
    lines.push('| library | jobs/s | seconds | first job after | jobs/s from the first job | enqueue jobs/s | jobs per worker | settings |')
    lines.push('|---|---:|---:|---:|---:|---:|---|---|')
    for (const r of results.throughput) {
      if (r.failed) lines.push(`| ${r.library} | failed: ${r.failed} | | | | | | |`)
      else {
        const rate = `${formatNumber(r.jobsPerSecond)}${r.timedOut ? ` (${r.completed} of ${r.jobs} in the ${options.capSeconds} s cap)` : ''}`
        const first = r.firstJobSeconds === null ? '' : `${(r.firstJobSeconds * 1000).toFixed(0)} ms`
        const steady = r.jobsPerSecondAfterFirst === null ? '' : formatNumber(r.jobsPerSecondAfterFirst)
        lines.push(`| ${r.library} | ${rate} | ${r.seconds.toFixed(2)} | ${first} | ${steady} | ${formatNumber(r.enqueuePerSecond)} | ${r.handledPerWorker.join(' / ')} | ${r.settings} |`)
      }
    }
  }
  if (results.failover.length) {
    lines.push('', `Failover: a worker SIGKILLed 0.5 s into a ${options.longSeconds} s job; time until the job starts on another worker (capped at ${options.capSeconds} s)`)
    lines.push('| library | settings | failover | first start | settings used | documented |')
    lines.push('|---|---|---:|---:|---|---|')
    for (const r of results.failover) {
      const first = r.firstStartSeconds === undefined ? '' : `${formatNumber(r.firstStartSeconds)} s`
      lines.push(`| ${r.library} | ${r.variant} | ${failoverText(r)} | ${first} | ${r.settings} | ${r.documented} |`)
    }
  }
  lines.push('', `Whole run: ${Math.round(results.seconds)} s; load average at start ${results.machine.loadAverageAtStart.join(' / ')}.`)
  return lines.join('\n')
}

// ---------------------------------------------------------------------------------------

/**
 * The peers' figures. `server`: a started server (__test__/helpers/postgres.js) to run on,
 * left running; without it, a server of kind options.fsync === 'on' ? durable : fast,
 * started and stopped here.
 */
async function measure(options, server = null) {
  const started = performance.now()
  const results = {
    startedAt: new Date().toISOString(),
    machine: machine(),
    versions: Object.fromEntries(LIBRARIES.map((name) => [name, versionOf(name)])),
    options,
    topology: 'one PostgreSQL server, one database per measurement',
    throughput: [],
    failover: [],
  }
  const pg = server || (await startServer(options.fsync === 'on' ? 'durable' : 'fast'))
  results.postgres = (await pg.query('show server_version')).split(' ')[0]
  results.durability = await durabilityOf(pg)
  try {
    if (options.only !== 'failover') {
      for (const library of LIBRARIES) {
        log(`throughput: ${library}, ${options.jobs} jobs ...`)
        const r = await throughput(pg, library, options).catch((err) => ({ library, failed: err.message }))
        log(r.failed ? `  failed: ${r.failed}` : `  ${formatNumber(r.jobsPerSecond)} jobs/s (${r.seconds.toFixed(2)} s)`)
        results.throughput.push(r)
      }
    }
    if (options.only !== 'throughput') {
      const variants = failoverVariants(options.longSeconds)
      log(`failover: ${variants.length} settings at once, up to ${options.capSeconds} s ...`)
      results.failover = await Promise.all(
        variants.map((variant) =>
          failover(pg, variant, options).catch((err) => ({
            library: variant.library,
            variant: variant.variant,
            settings: variant.text,
            documented: variant.documented,
            capSeconds: options.capSeconds,
            failed: err.message,
          })),
        ),
      )
      for (const r of results.failover) log(`  ${r.library} (${r.variant}): ${failoverText(r)}`)
    }
  } finally {
    killAllChildren()
    if (!server) await pg.stop()
  }
  results.seconds = (performance.now() - started) / 1000
  return results
}

/** For bench/run.js: the figures as workloads P1 (throughput) and P2 (failover). */
async function run(sizes = {}) {
  const options = {
    jobs: sizes.peerClusterJobs || (sizes.quick ? 2_000 : 20_000),
    workers: 3,
    capSeconds: sizes.peerClusterCapSeconds || 90,
    longSeconds: sizes.peerClusterLongSeconds || 60,
    only: null,
  }
  const results = await measure(options)
  const figure = (r, value) => (r.failed ? { failed: r.failed } : value)
  return [
    {
      id: 'P1',
      title: `A cluster: ${options.jobs.toLocaleString('en-US')} trivial jobs on ${options.workers} worker processes (PostgreSQL)`,
      unit: 'jobs/s',
      what:
        'All jobs enqueued in bulk first; the clock runs from the workers\' start to the last completion in the database. ' +
        results.throughput.map((r) => `${r.library}: ${r.settings || ''}.`).join(' '),
      libraries: LIBRARIES,
      rows: [
        {
          label: 'jobs processed per second',
          better: 'higher',
          figures: Object.fromEntries(results.throughput.map((r) => [r.library, figure(r, r.jobsPerSecond)])),
        },
        {
          label: 'jobs enqueued per second (bulk)',
          better: 'higher',
          figures: Object.fromEntries(results.throughput.map((r) => [r.library, figure(r, r.enqueuePerSecond)])),
        },
      ],
      target: { none: true, text: 'none (the peers\' figures)' },
      notes: [],
    },
    {
      id: 'P2',
      title: 'Failover: a worker SIGKILLed during a long job, until the job starts elsewhere',
      unit: 's',
      what: `A ${options.longSeconds} s job; its worker is SIGKILLed 0.5 s in; capped at ${options.capSeconds} s.`,
      libraries: LIBRARIES,
      rows: results.failover.map((r) => ({
        label: `${r.variant}: ${r.settings}`,
        better: 'lower',
        noRatio: true,
        figures: {
          [r.library]: r.failed ? { failed: r.failed } : r.failoverSeconds === null ? { text: `> ${r.capSeconds} s` } : r.failoverSeconds,
        },
        comment: r.documented,
      })),
      commentTitle: 'documented',
      target: { none: true, text: 'none (the peers\' figures)' },
      notes: [],
    },
  ]
}

async function main() {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '20000' },
      cap: { type: 'string', default: '90' },
      long: { type: 'string', default: '60' },
      workers: { type: 'string', default: '3' },
      'pgboss-batch': { type: 'string', default: '500' },
      'pgboss-work-calls': { type: 'string', default: '2' },
      only: { type: 'string' },
      fsync: { type: 'string', default: 'off' },
      json: { type: 'boolean', default: false },
    },
  })
  const options = {
    jobs: Number(values.jobs),
    capSeconds: Number(values.cap),
    longSeconds: Number(values.long),
    workers: Number(values.workers),
    pgbossBatch: Number(values['pgboss-batch']),
    pgbossWorkCalls: Number(values['pgboss-work-calls']),
    only: values.only || null,
    fsync: values.fsync,
  }
  const numbers = { jobs: options.jobs, cap: options.capSeconds, long: options.longSeconds, workers: options.workers, 'pgboss-batch': options.pgbossBatch, 'pgboss-work-calls': options.pgbossWorkCalls }
  for (const [name, value] of Object.entries(numbers)) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number above 0, got ${value}`)
  }
  if (options.workers < 2) throw new Error('--workers: failover needs at least 2')
  if (options.only && !['throughput', 'failover'].includes(options.only)) throw new Error('--only takes throughput or failover')
  if (!['off', 'on'].includes(options.fsync)) throw new Error(`--fsync takes off or on, got ${options.fsync}`)
  const results = await measure(options)
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`)
  else console.log(`\n${renderTable(results)}`)
}

if (require.main === module) {
  // Ctrl-C or a kill: no worker and no server outlives this process.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, () => {
      log(`${signal}: stopping`)
      killAllChildren()
      process.exit(130) // the helper's 'exit' hook stops the PostgreSQL server
    })
  }
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err)
      killAllChildren()
      process.exitCode = 1
      process.exit(1)
    },
  )
}

module.exports = { run, measure }
