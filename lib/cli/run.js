'use strict'
// tickflow run <schedules.json>: runs the file's schedules until --for runs out or Ctrl-C
// (SIGINT) or SIGTERM, with a live log of events, then stops gracefully and prints a summary.

const fs = require('node:fs')
const { parseArgs, parseDuration } = require('./args.js')
const { UsageError, RuntimeError } = require('./errors.js')
const { colours, table, formatDuration, formatRelative, oneLine } = require('./format.js')
const { toWorkflowConfig, actionsOf, describeAction } = require('./schedules-file.js')
const { loadValidFile } = require('./validate.js')
const { runStore, prepareStoreFolder, openIntegration, DEFAULT_DB } = require('./store.js')
const { actionExecutor } = require('./actions.js')
const { reconcile, plan } = require('./reconcile.js')
const { liveLog } = require('./live-log.js')
const { RunTally } = require('./summary.js')

const DEFAULT_GRACE_MS = 10_000

const usage = 'tickflow run <schedules.json> [--db PATH | --store memory | --store postgres://…] [--for DURATION] [--grace DURATION] [--dry-run]'

const help = `Usage: ${usage}

Runs the schedules in the file: each fire runs its command or HTTP request, with the
file's timeout and retries. Prints one line per event, and a summary when it stops.

Options:
  --db PATH          the sqlite store (default ${DEFAULT_DB}; its folder is created private)
  --store memory     keep everything in memory instead (nothing is kept after exit)
  --store postgres://user@host/db
                     run as one node of a cluster on PostgreSQL: every run on the same
                     database shares the schedules and the work, each occurrence runs once
  --for DURATION     stop after this long: 20s, 5m, 1h30m (default: run until stopped)
  --grace DURATION   on stop, how long running actions may finish before they are
                     aborted (default 10s)
  --dry-run          print which schedules the store would get created, updated and
                     removed, then exit without changing it or running anything
  -h, --help         this help

Ctrl-C or SIGTERM stops gracefully, as --for does; a second Ctrl-C aborts the actions still
running. The store keeps schedules between runs: a schedule that the file created and no
longer lists is removed, a changed one updated, and fires missed while tickflow was not
running follow its catchup. Schedules the file did not create (an application's, in a
store it shares) are left alone.

Commands run without a shell, in the file's folder unless 'cwd' says otherwise, with
TICKFLOW_SCHEDULE_ID, TICKFLOW_EXECUTION_ID, TICKFLOW_ATTEMPT and TICKFLOW_SCHEDULED_TIME
in their environment. HTTP requests carry an x-tickflow-execution-id header.
\${NAME} in a URL, a header, a command's arguments or env is the environment variable NAME,
read as each run starts; the store, the log and events show \${NAME}, never its value.

Exit status: 0 ran and stopped, 1 runtime error (e.g. the store cannot open), 2 bad
options or an invalid schedules file.`

const spec = {
  positionals: ['file'],
  options: {
    db: { type: 'string' },
    store: { type: 'string' },
    for: { type: 'string' },
    grace: { type: 'string' },
    'dry-run': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
}

async function run(argv, { out }) {
  const { options, positionals } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const forMs = options.for === undefined ? null : parseDuration(options.for, '--for')
  const graceMs = options.grace === undefined ? DEFAULT_GRACE_MS : parseDuration(options.grace, '--grace')
  const store = runStore(options)
  const { file } = positionals
  const doc = loadValidFile(file)
  const configs = doc.schedules.map((s) => toWorkflowConfig(s, doc))
  if (options['dry-run']) return dryRun(file, store, configs, out)
  if (store.file) prepareStoreFolder(store.file)

  const paint = colours(out)
  const executor = actionExecutor(actionsOf(doc, file))
  // No executor for everything: only the file's schedules have a handler here, so that an
  // application's schedules in a store it shares are left to it (on PostgreSQL, its nodes
  // run them; here they are skipped no_handler), never failed for want of an action.
  const integration = await openIntegration(
    { defaultTimezone: doc.timezone || 'UTC', ...(doc.maxConcurrency && { maxConcurrency: doc.maxConcurrency }) },
    store,
  )
  try {
    integration._handle(configs.map((c) => c.id), executor)
    const changes = await applySchedules(integration, configs)
    out.write(`${paint.bold(`tickflow run ${file}`)}\n`)
    out.write(`  store  ${store.label}\n`)
    if (store.file) out.write(`  ${describeChanges(changes)}\n`)
    out.write(`${scheduleTable(integration, doc, paint)}\n\n`)

    const ids = configs.map((c) => c.id)
    const tally = new RunTally(ids)
    const format = liveLog(paint, Math.max(8, ...ids.map((id) => id.length)))
    integration.on('event', (event) => {
      tally.record(event)
      out.write(`${format(event)}\n`)
    })

    const started = Date.now()
    // Listening for Ctrl-C before anything runs: a signal that came between the first
    // execution's log line and a later listener would kill the process outright.
    const stop = stopRequest(forMs)
    try {
      await integration.start()
    } catch (err) {
      stop.release()
      throw new RuntimeError(`cannot start: ${err.message}`, { code: err.code })
    }
    out.write(paint.dim(`${forMs === null ? 'Running' : `Running for ${formatDuration(forMs)}`}; Ctrl-C stops.\n`))

    // Output piped into a program that quit (`tickflow run ... | head`): stop as for Ctrl-C.
    out.on('error', () => stop.request('output closed'))
    const why = await stop.requested
    stop.release()
    out.write(paint.dim(`\n${stoppingMessage(why, forMs, graceMs, (await integration.getSystemMetrics()).inFlight)}\n`))
    await stopGracefully(integration, executor, graceMs)
    out.write(`\n${tally.render(paint, Date.now() - started, Boolean(store.file))}\n`)
    return 0
  } catch (err) {
    // Release the store (and its lock) before the error is reported.
    await integration.stop({ graceMs: 0 }).catch(() => {})
    throw err
  }
}

/** Prints what `run` would change in the store, changing nothing (a sqlite store is opened read-only). */
async function dryRun(file, store, configs, out) {
  const paint = colours(out)
  let changes
  if (store.file && !fs.existsSync(store.file)) {
    changes = { created: configs.map((c) => c.id), updated: [], unchanged: [], removed: [] }
  } else {
    const option = store.file ? { ...store.option, readonly: true } : store.option
    const integration = await openIntegration({ executor: () => {} }, { ...store, option })
    try {
      changes = plan(integration, configs)
    } catch (err) {
      throw new UsageError(`a schedule was refused: ${err.message}${err.code ? ` (${err.code})` : ''}`, { usage: false })
    } finally {
      await integration.stop({ graceMs: 0 })
    }
  }
  out.write(`${paint.bold(`tickflow run ${file} --dry-run`)}\n`)
  out.write(`  store  ${store.label}\n`)
  const line = (label, ids, note = '') => out.write(`  ${label.padEnd(14)}${ids.length ? `${ids.join(', ')}${note}` : '-'}\n`)
  line('would create', changes.created)
  line('would update', changes.updated)
  line('unchanged', changes.unchanged)
  line('would remove', changes.removed, ' (no longer in the file)')
  out.write(paint.dim('Dry run: nothing was changed, nothing ran.\n'))
  return 0
}

/** stop({ graceMs }); a second Ctrl-C or SIGTERM meanwhile aborts the running actions. */
async function stopGracefully(integration, executor, graceMs) {
  const hurry = () => executor.abortAll()
  process.on('SIGINT', hurry)
  process.on('SIGTERM', hurry)
  try {
    await integration.stop({ graceMs })
  } finally {
    process.off('SIGINT', hurry)
    process.off('SIGTERM', hurry)
  }
}

function stoppingMessage(why, forMs, graceMs, inFlight) {
  const cause = why === 'time' ? `${formatDuration(forMs)} passed` : why.startsWith('SIG') ? `${why} received` : why
  if (inFlight === 0) return `${cause}: stopping`
  const actions = `${inFlight} running action${inFlight === 1 ? '' : 's'}`
  return `${cause}: stopping, letting ${actions} finish (up to ${formatDuration(graceMs)}; Ctrl-C again ends them now)`
}

/** Creates, updates and removes schedules so the store matches the file. */
async function applySchedules(integration, configs) {
  try {
    return await reconcile(integration, configs)
  } catch (err) {
    // validate's checks should catch everything the engine refuses; if one slips through,
    // it is still the file's fault.
    throw new UsageError(`a schedule was refused: ${err.message}${err.code ? ` (${err.code})` : ''}`, { usage: false })
  }
}

function describeChanges({ created, updated, unchanged, removed }) {
  const parts = [
    created.length && `${created.length} new`,
    updated.length && `${updated.length} updated`,
    unchanged.length && `${unchanged.length} unchanged`,
    removed.length && `removed ${removed.join(', ')} (no longer in the file)`,
  ].filter(Boolean)
  return `schedules  ${parts.join(', ')}`
}

function scheduleTable(integration, doc, paint) {
  const now = new Date()
  const rows = doc.schedules.map((s) => {
    const [nextRun] = integration.getNextExecutionTimes(s.id, 1)
    return [
      s.id,
      s.cron,
      s.timezone || doc.timezone || 'UTC',
      nextRun ? formatRelative(nextRun, now) : '-',
      paint.dim(oneLine(describeAction(s), 60)),
    ]
  })
  return table(['schedule', 'cron', 'zone', 'next', 'action'], rows, { paint })
}

/**
 * `requested` resolves with 'time', 'SIGINT', 'SIGTERM' or the reason given to
 * `request(reason)`, whichever comes first.
 */
function stopRequest(forMs) {
  let timer = null
  let request
  const requested = new Promise((resolve) => {
    request = resolve // a signal listener is called with the signal's name
    process.once('SIGINT', request)
    process.once('SIGTERM', request)
    if (forMs !== null) timer = setTimeout(resolve, forMs, 'time')
  })
  const release = () => {
    clearTimeout(timer)
    process.off('SIGINT', request)
    process.off('SIGTERM', request)
  }
  return { requested, request, release }
}

module.exports = { name: 'run', summary: 'run the schedules in a file, with a live log', usage, help, run }
