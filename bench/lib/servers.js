'use strict'
// The two throwaway PostgreSQL servers (__test__/helpers/postgres.js) the cluster benchmarks
// run on: the helper's own, with fsync, synchronous_commit and full_page_writes off (as in
// the tests), and a durable one with the three on (PostgreSQL's defaults). Both take enough
// connections for the peers' failover runs, 15 worker pools at once.

const { startPostgres } = require('../../__test__/helpers/postgres')

const SERVERS = {
  fast: { max_connections: 300 },
  durable: { max_connections: 300, fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' },
}

/** Starts a server of `kind` ('fast' or 'durable'). */
function startServer(kind) {
  if (!SERVERS[kind]) throw new Error(`unknown server kind ${kind}: fast or durable`)
  return startPostgres({ settings: SERVERS[kind] })
}

/** What the running server says of its durability, e.g. 'fsync=on, synchronous_commit=on, full_page_writes=on'. */
async function durabilityOf(pg) {
  const names = ['fsync', 'synchronous_commit', 'full_page_writes']
  const rows = await pg.query(`SELECT name || '=' || setting FROM pg_settings WHERE name IN (${names.map((n) => `'${n}'`).join(', ')}) ORDER BY name`)
  return rows.split('\n').sort((a, b) => names.indexOf(a.split('=')[0]) - names.indexOf(b.split('=')[0])).join(', ')
}

/** A new database `name` on the server `pg`; its URL. */
async function freshDb(pg, name) {
  await pg.query(`CREATE DATABASE ${name}`)
  return pg.urlFor(name)
}

module.exports = { startServer, durabilityOf, freshDb }
