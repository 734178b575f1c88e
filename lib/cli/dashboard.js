'use strict'
// tickflow dashboard: serves the dashboard, read-only, over a sqlite store, beside a running
// 'tickflow run'. The store is opened read-only (no lock) and opened again every couple of
// seconds, so the page follows what the run does. On a cluster's PostgreSQL database it
// watches without joining (no lease, nothing fired), following the nodes as they commit.

const http = require('node:http')
const { parseArgs, parseCount } = require('./args.js')
const { RuntimeError, UsageError } = require('./errors.js')
const { openForReading, isPostgres, sourceLabel, DEFAULT_DB } = require('./store.js')
const { dashboard } = require('../dashboard/index.js')

const usage = 'tickflow dashboard [--db PATH | --store postgres://…] [--port N] [--host ADDRESS] [--allow-host NAME]...'

const help = `Usage: ${usage}

Serves the dashboard for a store, read-only: schedules, upcoming fires, executions and
skipped occurrences. It reads the store without locking it, so it works while a
'tickflow run' is using it. Stop it with Ctrl-C.

Options:
  --db PATH        the sqlite store (default ${DEFAULT_DB})
  --store postgres://user@host/db
                   a cluster's PostgreSQL database instead: watched without joining
                   (it fires nothing, and the nodes do not count it), with a Cluster
                   panel of the nodes and their leases; its password is never printed
  --port N         the port (default 4740; 0 picks a free one)
  --host ADDRESS   the address to listen on (default 127.0.0.1)
  --allow-host NAME
                   a name the page may be reached by, besides localhost and IP addresses
                   (requests under other names are refused, against DNS rebinding);
                   may be given several times
  -h, --help       this help

Exit status: 0 stopped, 1 the store cannot be read or the port is taken, 2 bad options.`

const spec = {
  positionals: [],
  options: { db: { type: 'string' }, store: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'allow-host': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } },
}

/** How long one read-only opening of the store serves the page. */
const REFRESH_MS = 2000

async function serveDashboard(argv, { out }) {
  const { options } = parseArgs(argv, spec)
  if (options.help) return out.write(`${help}\n`), 0
  const db = options.db === undefined ? DEFAULT_DB : options.db
  const port = options.port === undefined ? 4740 : parseCount(options.port, '--port', { min: 0, max: 65535 })
  const host = options.host === undefined ? '127.0.0.1' : options.host
  if (options.store !== undefined && options.db !== undefined) throw new UsageError('--db names a sqlite file; it does not go with --store')
  const store = isPostgres(options.store) ? await watching(options.store) : await refreshing(db, options.store)
  const handler = dashboard(store.view, { readOnly: true, allowedHosts: options['allow-host'] || [] })
  const server = http.createServer(async (req, res) => {
    try {
      await store.fresh()
    } catch (err) {
      res.statusCode = 503
      res.setHeader('Content-Type', 'application/json; charset=utf-8')
      return res.end(JSON.stringify({ error: { code: err.code || 'ERR_STORE', message: err.message } }))
    }
    handler(req, res)
  })
  try {
    await new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, resolve)
    })
  } catch (err) {
    await store.close()
    const why = { EADDRINUSE: 'the port is in use', EACCES: 'permission denied', EADDRNOTAVAIL: 'no such address on this machine' }[err.code] || err.message
    throw new RuntimeError(`cannot listen on ${host}:${port}: ${why}`, { code: err.code, hint: err.code === 'EADDRINUSE' ? '--port N picks another one (0: any free port)' : undefined })
  }
  const address = server.address()
  out.write(`dashboard for ${sourceLabel(db, options.store)} (read-only) at http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}/\n`)
  await new Promise((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await new Promise((resolve) => server.close(resolve))
  await store.close()
  return 0
}

/** A read-only integration on `db` that is opened again when older than REFRESH_MS; `view`
 * stands for whichever opening is current. */
async function refreshing(db, storeOption) {
  let current = await openForReading(db, storeOption)
  let openedAt = Date.now()
  let reopening = null
  const view = new Proxy({}, {
    get(_target, name) {
      const value = current[name]
      return typeof value === 'function' ? value.bind(current) : value
    },
  })
  return {
    view,
    async fresh() {
      if (Date.now() - openedAt < REFRESH_MS) return
      if (!reopening) {
        reopening = openForReading(db, storeOption)
          .then(async (next) => {
            const previous = current
            current = next
            openedAt = Date.now()
            await previous.stop()
          })
          .finally(() => {
            reopening = null
          })
      }
      await reopening
    },
    close: () => current.stop(),
  }
}

/** A read-only integration on a cluster's database: it follows the nodes by itself. */
async function watching(url) {
  const integration = await openForReading(undefined, url)
  return { view: integration, fresh: async () => {}, close: () => integration.stop() }
}

module.exports = { name: 'dashboard', summary: 'serve the dashboard for a store, read-only', usage, help, run: serveDashboard }
