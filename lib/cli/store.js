'use strict'
// Where the CLI keeps its state: the sqlite store at ./.tickflow/state.db unless told
// otherwise, or memory (`tickflow run --store memory`). `status` and `history` open the
// sqlite store read-only, so they work while a `tickflow run` holds it.

const fs = require('node:fs')
const path = require('node:path')
const { WorkflowScheduleIntegration } = require('../../index.js')
const { binding } = require('../native.js')
const { RuntimeError, UsageError } = require('./errors.js')
const { redact, secretsIn } = require('./redact.js')
const { hideSecret } = require('./terminal.js')

const DEFAULT_DB = path.join('.tickflow', 'state.db')

/** A libpq connection string: a postgres:// URL or keyword/value pairs (host=… dbname=…). */
const isPostgres = (s) => typeof s === 'string' && (/^postgres(ql)?:\/\//.test(s) || /^\s*[a-z_]+\s*=/.test(s))

/** A PostgreSQL store: this process joins the cluster on that database as one node, or,
 * `readonly`, only watches it (no lease, nothing fired or written). Its password is never
 * printed, wherever an error may quote it. */
function postgresStore(url, { readonly = false } = {}) {
  for (const secret of secretsIn(url)) hideSecret(secret)
  if (readonly) return { option: { type: 'postgres', connectionString: url, readonly: true }, label: `postgres ${redact(url)} (read-only)` }
  return { option: { type: 'postgres', connectionString: url }, label: `postgres ${redact(url)} (cluster node)` }
}

/** The store option for `run`, from --store and --db. */
/** A connection string given where a sqlite file belongs: named as such, never made a file. */
function refusePostgresDb(db) {
  if (isPostgres(db)) throw new UsageError(`--db names a sqlite file; for PostgreSQL, use --store ${redact(db)}`)
}

function runStore({ store = 'sqlite', db }) {
  refusePostgresDb(db)
  if (isPostgres(store)) {
    if (db !== undefined) throw new UsageError('--db names a sqlite file; it does not go with --store postgres://…')
    return postgresStore(store)
  }
  if (store === 'memory') {
    if (db !== undefined) throw new UsageError('--db names a sqlite file; it does not go with --store memory')
    return { option: { type: 'memory' }, label: 'memory (nothing is kept after exit)' }
  }
  if (store !== 'sqlite') throw badStore(store, "'sqlite', 'memory'")
  const file = db === undefined ? DEFAULT_DB : db
  return { option: { type: 'sqlite', path: file }, label: `sqlite ${file}`, file }
}

/** The sqlite store's folder, made private (0700) when tickflow creates it. */
function prepareStoreFolder(file) {
  const dir = path.dirname(path.resolve(file))
  if (fs.existsSync(dir)) return
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw new RuntimeError(`cannot create ${path.dirname(file)}: ${err.message}`, { code: err.code })
  }
}

/**
 * Opens the integration on `store` and loads what it holds (initialize). Store failures
 * become a RuntimeError that says which store and why, with the engine's code.
 */
async function openIntegration(options, store) {
  let integration
  try {
    integration = new WorkflowScheduleIntegration({ ...options, store: store.option })
    await integration.initialize()
  } catch (err) {
    throw storeError(err, store)
  }
  return integration
}

/** A mistyped --store, echoed without what may be a password in it. */
const badStore = (store, kinds) => new UsageError(`--store expects ${kinds} or a postgres:// connection string, got '${redact(store)}'`)

/** A read-only integration on the sqlite file at `db` (or on `storeOption`, a PostgreSQL
 * connection string), for status, history and dashboard. */
function openForReading(db = DEFAULT_DB, storeOption) {
  if (isPostgres(storeOption)) {
    // Watched without joining: the nodes never count this reader among them.
    return openIntegration({}, postgresStore(storeOption, { readonly: true }))
  }
  if (storeOption !== undefined && storeOption !== 'sqlite') return Promise.reject(badStore(storeOption, "'sqlite'"))
  refusePostgresDb(db)
  if (!fs.existsSync(db)) {
    throw new RuntimeError(`no store at ${db}`, {
      hint: 'tickflow run <schedules.json> creates it; --db PATH names another one',
    })
  }
  const store = { option: { type: 'sqlite', path: db, readonly: true }, label: `sqlite ${db}` }
  const refuse = () => {
    throw new Error('a read-only store runs nothing')
  }
  return openIntegration({ executor: refuse }, store)
}

function storeError(err, store) {
  const code = err && err.code
  const hint = {
    ERR_STORE_LOCKED: "another 'tickflow run' (or another program's integration) is using it; 'tickflow status' can read it meanwhile, or name another store with --db",
    ERR_STORE_CORRUPT: 'name another store with --db, or move this file aside',
    ERR_STORE_FOREIGN: 'name another store with --db',
    ERR_STORE_VERSION: 'a newer tickflow wrote it; upgrade tickflow to use it',
    ERR_STORE_OPEN: store.option.type === 'postgres' ? "no node has started on this database yet: 'tickflow run --store …' starts one" : undefined,
  }[code]
  // The engine's message starts with the option's path (options.store.type: ...), which
  // means nothing to someone who typed a command line.
  const message = String(err && err.message).replace(/^options\.store[\w.]*: /, '')
  return new RuntimeError(`cannot open the store (${store.label}): ${message}`, { code, hint })
}

/**
 * Whether anything fires on the store: a sqlite store is running while an integration holds
 * its lock (looked at, not taken); null for a cluster's database, which this does not know.
 */
function isRunning(db, storeOption) {
  if (isPostgres(storeOption)) return null
  try {
    return binding.sqliteStoreHeld(db)
  } catch {
    return null
  }
}

/** What status and history name as their source: the file, or the database without its password. */
const sourceLabel = (db, storeOption) => (isPostgres(storeOption) ? redact(storeOption) : db)

module.exports = { isPostgres, DEFAULT_DB, runStore, prepareStoreFolder, openIntegration, openForReading, sourceLabel, isRunning }
