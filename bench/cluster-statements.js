'use strict'
// Where PostgreSQL's time goes during a herd: the herd of C1/C2 (20,000 schedules due at one
// instant on 3 nodes, bench/cluster.js) on a throwaway server with pg_stat_statements, then
// the statements by total execution time (calls, ms, rows).
//   node bench/cluster-statements.js [herd size, default 20000] [statements shown, default 15]
const { startPostgres } = require('../__test__/helpers/postgres')
const { herd } = require('./cluster.js')

async function main() {
  const size = Number(process.argv[2] || 20_000)
  const shown = Number(process.argv[3] || 15)
  const pg = await startPostgres({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' } })
  try {
    console.log(`herd of ${size} on 3 nodes:`, JSON.stringify(await herd(pg, size)))
    const database = 'herd'
    await pg.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements', { database })
    const rows = await pg.query(
      `SELECT calls, round(total_exec_time)::bigint, rows, left(regexp_replace(query, '\\s+', ' ', 'g'), 100)
       FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT ${shown}`,
      { database },
    )
    console.log('calls | ms | rows | statement')
    console.log(rows)
  } finally {
    await pg.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
