'use strict'
// The JavaScript thread on the PostgreSQL store: how long a command holds it (the call
// until its Promise is returned; the commit happens off the thread), beside the memory
// store, where the whole command runs on the thread; and the longest the event loop of each
// of 3 nodes was held while they ran a herd of schedules due at once. bench/cluster.js
// reports both as C5 and C6; this script prints them alone:
//   node bench/cluster-async.js [herd size, default 20000] [commands, default 2000]
const { startPostgres } = require('../__test__/helpers/postgres')
const { commandsBothStores } = require('./lib/commands')
const { herd } = require('./cluster')

async function main() {
  const herdSize = Number(process.argv[2] || 20_000)
  const rounds = Number(process.argv[3] || 2_000)
  const pg = await startPostgres()
  try {
    const both = await commandsBothStores(pg, rounds)
    for (const [store, r] of Object.entries(both)) console.log(`commands on ${store}:`, JSON.stringify(r.commands))
    const h = await herd(pg, herdSize)
    console.log(`herd of ${herdSize} on 3 nodes: longest event-loop stall per node ${h.loopMaxMs.join(' / ')} ms;`, JSON.stringify(h))
  } finally {
    await pg.stop()
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}
