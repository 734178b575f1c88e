'use strict'
// One worker process of bench/cluster-peers.js: runs pg-boss or graphile-worker against the
// database it is given and reports to its parent over IPC.
//
// Parent → worker: { type: 'init', library, url, role, settings }, then { type: 'go' }.
// Worker → parent: { type: 'ready' } once the library is loaded (and pg-boss started),
//   { type: 'first', at } when it handles its first job (throughput role),
//   { type: 'count', n, loopMaxMs } jobs handled since the last count and the longest
//     event-loop delay since 'go' (throughput role, every 20 ms),
//   { type: 'started', jobId, at } when a long job starts (failover role),
//   { type: 'error', message } whatever the library reports as an error.
// The worker consumes nothing before 'go', so that the parent can enqueue every job first.
// It exits when its parent goes away; the parent ends it with SIGKILL.

const { monitorEventLoopDelay } = require('node:perf_hooks')

const THROUGHPUT_QUEUE = 'trivial'
const LONG_QUEUE = 'long'

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

let handled = 0
let reported = 0
// The same monitor as a tickflow node of bench/cluster.js (lib/cluster-node.js), from 'go'.
const loop = monitorEventLoopDelay({ resolution: 5 })

function send(message) {
  if (process.connected) process.send(message)
}

function reportCounts() {
  let loopMax = 0
  setInterval(() => {
    // A worker that got no job still tells its event loop's delays.
    if (handled !== reported || loop.max !== loopMax) {
      send({ type: 'count', n: handled - reported, loopMaxMs: loop.max / 1e6 })
      reported = handled
      loopMax = loop.max
    }
  }, 20)
}

/** The job body of the throughput run: async, returns at once. */
async function trivial() {
  if (handled++ === 0) send({ type: 'first', at: Date.now() })
}

/** The job body of the failover run: says when it starts, then holds the job for `ms`. */
async function long(jobId, ms) {
  send({ type: 'started', jobId: String(jobId), at: Date.now(), pid: process.pid })
  await sleep(ms)
}

const LIBRARIES = {
  /**
   * settings: { constructor: PgBoss options, work: work() options, workCalls: work() calls in
   * this process }. pg-boss 10 hands a batch to one handler call; its maintainer's advice
   * for concurrency is `Promise.allSettled(jobs.map(handler))` in it, and more work() calls.
   */
  'pg-boss': {
    async open(url, settings) {
      const PgBoss = require('pg-boss')
      const boss = new PgBoss({ connectionString: url, ...settings.constructor })
      boss.on('error', (err) => send({ type: 'error', message: String((err && err.message) || err) }))
      await boss.start()
      return boss
    },
    async consume(boss, role, settings) {
      for (let i = 0; i < (settings.workCalls || 1); i++) {
        if (role === 'throughput') {
          await boss.work(THROUGHPUT_QUEUE, settings.work, (jobs) => Promise.allSettled(jobs.map(trivial)))
        } else {
          await boss.work(LONG_QUEUE, settings.work, (jobs) => Promise.all(jobs.map((job) => long(job.id, job.data.ms))))
        }
      }
    },
  },

  /** settings: { worker: the preset's `worker` options (concurrentJobs, localQueue, ...) }. */
  'graphile-worker': {
    async open(url, settings) {
      const { Logger } = require('graphile-worker')
      // Errors go to the parent; graphile-worker's info lines (one per job) would cost more
      // than the jobs.
      const logger = new Logger(() => (level, message) => {
        if (level === 'error') send({ type: 'error', message })
      })
      return { url, settings, logger }
    },
    async consume({ url, settings, logger }, role) {
      const { run } = require('graphile-worker')
      const taskList =
        role === 'throughput' ? { [THROUGHPUT_QUEUE]: trivial } : { [LONG_QUEUE]: (payload, helpers) => long(helpers.job.id, payload.ms) }
      await run({
        taskList,
        noHandleSignals: true,
        logger,
        preset: { worker: { connectionString: url, ...settings.worker } },
      })
    },
  },
}

let opened = null
let init = null

process.on('disconnect', () => process.exit(0))

process.on('message', async (message) => {
  try {
    if (message.type === 'init') {
      init = message
      const library = LIBRARIES[init.library]
      if (!library) throw new Error(`unknown library ${init.library}`)
      opened = await library.open(init.url, init.settings || {})
      if (init.role === 'throughput') reportCounts()
      send({ type: 'ready', pid: process.pid })
    } else if (message.type === 'go') {
      loop.enable()
      await LIBRARIES[init.library].consume(opened, init.role, init.settings || {})
    }
  } catch (err) {
    send({ type: 'error', message: String((err && err.stack) || err), fatal: true })
  }
})
