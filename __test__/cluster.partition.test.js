'use strict'
// A node cut off from PostgreSQL by the network, as a lost host is: its connections stay
// open and nobody is told. The other nodes must go on with its schedules and its work, and
// it must not run on what they took over.
const { startPostgres } = require('./helpers/postgres')
const { startNode, sleep, readLog, tempLog } = require('./helpers/cluster-nodes')
const { startCutProxy } = require('./helpers/cut-proxy')

jest.setTimeout(120_000)

let pg
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(async () => {
  await pg?.stop()
})

let dbCount = 0
async function freshDb() {
  const name = `p${++dbCount}_${process.pid}`
  await pg.query(`CREATE DATABASE ${name}`)
  return { name, url: pg.urlFor(name) }
}

const node = startNode

/** Waits for `check()` to answer something truthy, up to `ms`; its last answer. */
async function until(check, ms) {
  const end = Date.now() + ms
  for (;;) {
    const answer = await check()
    if (answer || Date.now() > end) return answer
    await sleep(200)
  }
}

/** Node a through a proxy that can cut it off; node b directly. */
async function twoNodes(db, env) {
  const proxy = await startCutProxy(pg.port)
  const a = node(`postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`, 'a', env)
  await a.ready
  const b = node(db.url, 'b', env)
  await b.ready
  return { proxy, a, b }
}

async function stopAll({ proxy, a, b }) {
  a.kill('SIGKILL')
  b.kill('SIGTERM')
  await Promise.all([a.ended, b.ended])
  await proxy.close()
}

test('a node cut off in the middle of a transaction does not keep its schedules from firing elsewhere', async () => {
  const db = await freshDb()
  const log = tempLog()
  const schedules = Array.from({ length: 8 }, (_, i) => ({ id: `s${i}`, overlap: 'allow' }))
  const cluster = await twoNodes(db, { TICKFLOW_LOG: log, TICKFLOW_SCHEDULES: JSON.stringify(schedules) })
  try {
    // Cut right after a's turn has begun its transaction and locked its rows.
    await cluster.proxy.cutAfter('BEGIN; SET LOCAL lock_timeout')
    const cutAt = Date.now()
    const stuck = async () =>
      Number((await pg.query("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'", { database: db.name })).trim())
    // The server ends the abandoned transaction (its locks with it) after the deadline by
    // which the node would have given it up; before, it stayed until TCP keepalive (hours).
    expect(await until(async () => (await stuck()) === 0, 60_000)).toBe(true)
    // Then every schedule fires on b again: each has an occurrence after the cut, run by b.
    const firedSince = async () => new Set(readLog(log).filter((c) => c.node === 'b' && c.scheduledTime > cutAt + 15_000).map((c) => c.scheduleId))
    expect(await until(async () => (await firedSince()).size === schedules.length, 60_000)).toBe(true)
  } finally {
    await stopAll(cluster)
  }
})

test('a node cut off past its lease stops its attempt before another node takes it over', async () => {
  const db = await freshDb()
  const log = tempLog()
  const env = { TICKFLOW_LOG: log, TICKFLOW_SCHEDULES: JSON.stringify([{ id: 'slow', cron: '0 0 1 1 *' }]), TICKFLOW_HANG: 'slow' }
  const proxy = await startCutProxy(pg.port)
  const a = node(`postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`, 'a', { ...env, TICKFLOW_TRIGGER: 'slow' })
  await a.ready
  const b = node(db.url, 'b', env)
  await b.ready
  try {
    const first = await until(() => readLog(log).find((c) => c.scheduleId === 'slow' && c.node === 'a'), 30_000)
    expect(first).toMatchObject({ attempt: 1 })
    proxy.cut()
    const resumed = await until(() => readLog(log).find((c) => c.executionId === first.executionId && c.attempt === 2), 60_000)
    expect(resumed).toMatchObject({ node: 'b', resumed: true })
    // a stopped its attempt when its lease ran out, before b resumed it: never both at once.
    const aborted = readLog(log).find((c) => c.aborted && c.executionId === first.executionId && c.attempt === 1)
    expect(aborted).toMatchObject({ node: 'a' })
    expect(aborted.at).toBeLessThanOrEqual(resumed.at)
  } finally {
    await stopAll({ proxy, a, b })
  }
})
