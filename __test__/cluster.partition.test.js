'use strict'
// A node cut off from PostgreSQL by the network, as a lost host is: its connections stay
// open and nobody is told. The other nodes must go on with its schedules and its work, and
// it must not run on what they took over.
const { postgresForTestFile } = require('./helpers/postgres')
const { startNode, sleep, readLog, tempLog } = require('./helpers/cluster-nodes')
const { startCutProxy } = require('./helpers/cut-proxy')

jest.setTimeout(120_000)

const server = postgresForTestFile()
const { freshDb } = server

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
  const proxy = await startCutProxy(server.pg.port)
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
      Number((await server.pg.query("SELECT count(*) FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'", { database: db.name })).trim())
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
  const proxy = await startCutProxy(server.pg.port)
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

test("a node cut off past its lease records its attempt's late answer once it is back", async () => {
  const db = await freshDb()
  const log = tempLog()
  const schedules = JSON.stringify([{ id: 'slow', cron: '0 0 1 1 *' }])
  const proxy = await startCutProxy(server.pg.port)
  // a's executor answers 35 s after it starts (whatever it is told); b's at once.
  const a = node(`postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`, 'a', {
    TICKFLOW_LOG: log,
    TICKFLOW_SCHEDULES: schedules,
    TICKFLOW_TRIGGER: 'slow',
    TICKFLOW_WORK_MS: '35000',
  })
  await a.ready
  const b = node(db.url, 'b', { TICKFLOW_LOG: log, TICKFLOW_SCHEDULES: schedules })
  await b.ready
  const record = async (id) => {
    const text = await server.pg.query(`SELECT record FROM tickflow.executions WHERE id = '${id}'`, { database: db.name })
    return text ? JSON.parse(text) : null
  }
  try {
    const first = await until(() => readLog(log).find((c) => c.scheduleId === 'slow' && c.node === 'a'), 30_000)
    expect(first).toMatchObject({ attempt: 1 })
    proxy.cut()
    // b resumes the attempt and finishes it while a is away; then a comes back, before
    // its own executor answers.
    const done = await until(async () => (await record(first.executionId))?.status === 'completed', 60_000)
    expect(done).toBe(true)
    proxy.heal()
    // (So a's answer comes after a has followed b's finish and let the run go.)
    expect(Date.now()).toBeLessThan(first.at + 35_000)
    // a's answer (about first.at + 35 s) is kept on its attempt, as late; the run stays
    // the one b completed.
    const late = await until(async () => (await record(first.executionId)).attempts[0].lateOutcome, 60_000)
    expect(late).toMatchObject({ completed: true })
    const final = await record(first.executionId)
    expect(final).toMatchObject({ status: 'completed', attempts: [{ attempt: 1 }, { attempt: 2 }] })
  } finally {
    await stopAll({ proxy, a, b })
  }
})

test('a node cut off from the database stops within its grace and one commandTimeoutMs', async () => {
  const db = await freshDb()
  const log = tempLog()
  const timeoutMs = 8_000
  const env = {
    TICKFLOW_LOG: log,
    TICKFLOW_SCHEDULES: JSON.stringify([{ id: 'slow', cron: '0 0 1 1 *' }]),
    TICKFLOW_HANG: 'slow',
    TICKFLOW_COMMAND_TIMEOUT_MS: String(timeoutMs),
  }
  const proxy = await startCutProxy(server.pg.port)
  const a = node(`postgres://postgres@127.0.0.1:${proxy.port}/${db.name}`, 'a', { ...env, TICKFLOW_TRIGGER: 'slow' })
  try {
    await a.ready
    // An attempt runs (and never answers), so the stop has an attempt to end in the
    // database and a node row to remove: each of them waited a whole commandTimeoutMs
    // with the database away.
    await until(() => readLog(log).find((c) => c.scheduleId === 'slow'), 30_000)
    proxy.cut()
    const asked = Date.now()
    a.kill('SIGTERM')
    const stopped = await until(() => a.output.includes('stopped'), 60_000)
    expect(stopped).toBe(true)
    // The grace (2 s) and one timeout, with 6 s of room for a busy machine; a second
    // timeout (as before: 18 s at least) does not fit.
    expect(Date.now() - asked).toBeLessThan(2_000 + timeoutMs + 6_000)
    expect(await a.ended).toEqual({ code: 0, signal: null })
  } finally {
    a.kill('SIGKILL')
    await a.ended
    await proxy.close()
  }
})

test('a node whose lease lapsed gives its attempt up for good, even when its lease is renewed in time after all', async () => {
  const db = await freshDb()
  const log = tempLog()
  const env = { TICKFLOW_LOG: log, TICKFLOW_SCHEDULES: JSON.stringify([{ id: 'slow', cron: '0 0 1 1 *' }]), TICKFLOW_HANG: 'slow' }
  const a = node(db.url, 'a', { ...env, TICKFLOW_TRIGGER: 'slow' })
  try {
    await a.ready
    const first = await until(() => readLog(log).find((c) => c.scheduleId === 'slow'), 30_000)
    // Right after a renewal, a stops (a long pause, as a frozen VM has) for 8.6 s: past its
    // own view of the lease (8 s), within the database's (10 s). On waking it may abort its
    // attempt before its session renews the lease under the same token.
    const lease = async () => server.pg.query("SELECT lease_until FROM tickflow.nodes WHERE node_id = 'a'", { database: db.name })
    const before = await lease()
    await until(async () => (await lease()) !== before, 10_000)
    a.kill('SIGSTOP')
    await sleep(8_600)
    a.kill('SIGCONT')
    // Whichever came first, the attempt never stays "running" under a's name with nobody
    // running it: either a kept it, or it is interrupted and runs again (on a, the only node).
    const settled = await until(() => {
      const lines = readLog(log).filter((c) => c.executionId === first.executionId)
      const aborted = lines.some((c) => c.aborted && c.attempt === 1)
      return !aborted ? null : lines.find((c) => c.attempt === 2)
    }, 30_000)
    const aborted = readLog(log).some((c) => c.aborted && c.executionId === first.executionId && c.attempt === 1)
    if (aborted) expect(settled).toMatchObject({ node: 'a', resumed: true })
    else expect(await server.pg.query(`SELECT status FROM tickflow.executions WHERE id = '${first.executionId}'`, { database: db.name })).toBe('running')
  } finally {
    a.kill('SIGCONT')
    a.kill('SIGKILL')
    await a.ended
  }
})

test('a node reaped while it stays connected says ERR_NODE_FENCED once and joins again', async () => {
  const db = await freshDb()
  const log = tempLog()
  const a = node(db.url, 'a', { TICKFLOW_LOG: log, TICKFLOW_SCHEDULES: JSON.stringify([{ id: 's', cron: '0 0 1 1 *' }]) })
  try {
    await a.ready
    const tokens = async () => (await server.pg.query("SELECT token FROM tickflow.nodes WHERE node_id = 'a'", { database: db.name })).split('\n').filter(Boolean)
    const [old] = await tokens()
    // What another node's reaper does to a node it believes dead.
    await server.pg.query(`DELETE FROM tickflow.nodes WHERE token = '${old}'`, { database: db.name })
    const joined = await until(async () => {
      const now = await tokens()
      return now.length === 1 && now[0] !== old && a.output.includes('ERR_NODE_FENCED')
    }, 30_000)
    expect(joined).toBe(true)
    // A second report would reach the output within a turn or two of the first.
    await sleep(3_000)
    expect(a.output.match(/ERR_NODE_FENCED/g)).toHaveLength(1)
  } finally {
    a.kill('SIGKILL')
    await a.ended
  }
})
