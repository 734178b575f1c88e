'use strict'
// A read-only store on a cluster's database (an observer): it watches a running node
// without joining the cluster. The observer connects as a role that may only read, so any
// write it tried (a row in `nodes`, a block of ids, a fire) would fail.
const path = require('node:path')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const { startPostgres } = require('./helpers/postgres')
const { WorkflowScheduleIntegration } = require('..')

jest.setTimeout(120_000)

const ROOT = path.join(__dirname, '..')
const SCHEDULES = ['every-1', 'every-2', 'every-3'].map((id) => ({ id }))

let pg
let db
let node
let readerUrl
const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-observer-')), 'executor.log')

/** Runs `fn(page)` on `url` in Debian's Chromium (puppeteer-core, as dashboard.browser.test.js). */
async function inBrowser(url, fn) {
  const puppeteer = require('puppeteer-core')
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-observer-chromium-'))
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`],
  })
  try {
    const page = await browser.newPage()
    await page.goto(url)
    return await fn(page)
  } finally {
    await browser.close()
    fs.rmSync(profile, { recursive: true, force: true })
  }
}

const sql = (text) => pg.query(text, { database: db.name })
const readLog = () =>
  fs.existsSync(log)
    ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : []

/** Polls `check` until it returns a truthy value (CI is slow: no fixed sleeps). */
async function until(check, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  pg = await startPostgres()
  db = { name: `obs_${process.pid}` }
  await pg.query(`CREATE DATABASE ${db.name}`)
  db.url = pg.urlFor(db.name)
  node = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'cluster-node.js'), 'a'], {
    env: { ...process.env, TICKFLOW_PG: db.url, TICKFLOW_LOG: log, TICKFLOW_SCHEDULES: JSON.stringify(SCHEDULES) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  node.output = ''
  node.stdout.on('data', (d) => (node.output += d))
  node.stderr.on('data', (d) => (node.output += d))
  await new Promise((resolve, reject) => {
    node.stdout.on('data', () => node.output.includes('ready') && resolve())
    node.on('exit', (code) => reject(new Error(`the node exited (${code}) before it was ready: ${node.output}`)))
  })
  // A role that may read tickflow's tables and nothing more.
  await sql(`CREATE ROLE watcher LOGIN PASSWORD 'hunter2';
             GRANT USAGE ON SCHEMA tickflow TO watcher;
             GRANT SELECT ON ALL TABLES IN SCHEMA tickflow TO watcher;`)
  readerUrl = db.url.replace('postgres://postgres@', 'postgres://watcher:hunter2@')
})

afterAll(async () => {
  if (node && node.exitCode === null) {
    node.kill('SIGTERM')
    await new Promise((r) => node.once('exit', r))
  }
  await pg?.stop()
})

const nodeRows = async () => (await sql('SELECT node_id FROM tickflow.nodes ORDER BY node_id')).split('\n').filter(Boolean)

test('an observer beside a running node: not among the nodes, fires nothing, sees everything, changes nothing', async () => {
  const observer = new WorkflowScheduleIntegration({ store: { type: 'postgres', connectionString: readerUrl, readonly: true }, nodeId: 'observer' })
  // Reads do not open the store.
  await expect(observer.getClusterNodes()).rejects.toMatchObject({ code: 'ERR_NOT_INITIALIZED' })
  await observer.initialize()
  try {
    expect(observer.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(SCHEDULES.map((s) => s.id))
    const seenAtOpen = (await observer.listExecutions({ limit: 10_000 })).length

    // It follows the node's commits: executions that the node ran after the observer opened.
    await until(async () => {
      const runs = await observer.listExecutions({ limit: 10_000 })
      return runs.length >= seenAtOpen + 6 && SCHEDULES.every((s) => runs.some((r) => r.scheduleId === s.id && r.status === 'completed'))
    }, 'the observer to see the node run every schedule')
    expect(await nodeRows()).toEqual(['a'])

    // Every fire and every attempt was the node's, and every row was written by it.
    const calls = readLog()
    expect(calls.length).toBeGreaterThanOrEqual(6)
    expect(new Set(calls.map((c) => c.node))).toEqual(new Set(['a']))
    const writers = (await sql('SELECT DISTINCT writer FROM tickflow.executions UNION SELECT DISTINCT writer FROM tickflow.schedules')).split('\n').filter(Boolean)
    expect(writers.every((w) => w.startsWith('a#'))).toBe(true)

    // Changes are refused with a code, before the database is asked.
    const refusals = await Promise.allSettled([
      observer.triggerScheduledExecution('every-1'),
      observer.pauseSchedule('every-2'),
      observer.createScheduledWorkflow({ id: 'more', name: 'more', workflowId: 'wf', scheduleConfig: { cronExpression: '* * * * *' } }),
      observer.start(),
    ])
    for (const r of refusals) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'ERR_STORE_READONLY' } })
    expect(refusals[0].reason).toBeInstanceOf(Error)
    expect(await sql("SELECT count(*) FROM tickflow.executions WHERE trigger = 'manual'")).toBe('0')
    expect((await observer.getScheduleWorkflowStatus('every-2')).status).not.toBe('paused')

    // The cluster's view: the node, its lease, its clock's offset once it renewed.
    const nodes = await until(async () => {
      const list = await observer.getClusterNodes()
      return list.length === 1 && list[0].clockOffsetMs !== null && list
    }, 'a renewal that records the clock offset')
    expect(nodes[0]).toMatchObject({ nodeId: 'a', token: expect.stringMatching(/^a#/), alive: true, self: false, clockOffsetMs: expect.any(Number) })
    expect(nodes[0].leaseUntil).toBeInstanceOf(Date)
    expect(nodes[0].leaseUntil.getTime()).toBeGreaterThan(nodes[0].lastRenewal.getTime())
    expect(nodes[0].leaseRemainingMs).toBeGreaterThan(0)
    expect(nodes[0].leaseRemainingMs).toBeLessThanOrEqual(10_000)
  } finally {
    await observer.stop()
  }
  expect(await nodeRows()).toEqual(['a'])
})

test('getClusterNodes on a memory or SQLite store rejects ERR_NOT_CLUSTER; an observer on a database no node started on rejects ERR_STORE_OPEN', async () => {
  const memory = new WorkflowScheduleIntegration({ executor: () => {} })
  await expect(memory.getClusterNodes()).rejects.toMatchObject({ code: 'ERR_NOT_CLUSTER' })
  await memory.stop()
  const sqlite = new WorkflowScheduleIntegration({ executor: () => {}, store: { type: 'sqlite', path: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-observer-')), 'state.db') } })
  await sqlite.initialize()
  const refused = await sqlite.getClusterNodes().catch((err) => err)
  expect(refused).toBeInstanceOf(Error)
  expect(refused).toMatchObject({ code: 'ERR_NOT_CLUSTER', message: expect.stringMatching(/not PostgreSQL/) })
  await sqlite.stop()

  await pg.query(`CREATE DATABASE empty_${process.pid}`)
  const observer = new WorkflowScheduleIntegration({ store: { type: 'postgres', connectionString: pg.urlFor(`empty_${process.pid}`), readonly: true } })
  await expect(observer.initialize()).rejects.toMatchObject({ code: 'ERR_STORE_OPEN', message: expect.stringMatching(/holds no tickflow tables/) })
  // Nothing was created there.
  expect(await pg.query("SELECT count(*) FROM information_schema.schemata WHERE schema_name = 'tickflow'", { database: `empty_${process.pid}` })).toBe('0')
  await observer.stop()
})

test('tickflow dashboard --store <url> watches without joining, shows the node in its Cluster panel, never prints the password', async () => {
  const bin = path.join(ROOT, 'bin', 'tickflow.js')
  const child = spawn(process.execPath, [bin, 'dashboard', '--store', readerUrl, '--port', '0'], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const ended = new Promise((resolve) => child.on('exit', (code) => resolve(code)))
  try {
    const base = await until(() => /at (http:\S+)/.exec(output)?.[1] || (child.exitCode !== null && Promise.reject(new Error(output))), 'the dashboard to listen')
    expect(output).toMatch(/^dashboard for postgres:\/\/watcher:\*\*\*@127\.0\.0\.1:\d+\/obs_\d+ \(read-only\) at http/)

    const overview = await until(async () => {
      const o = await (await fetch(`${base}api/overview`)).json()
      return o.cluster && o.cluster.nodes && o.cluster.nodes.length === 1 && o
    }, 'the overview to list the node')
    expect(overview).toMatchObject({ readOnly: true, cluster: { nodes: [{ nodeId: 'a', alive: true, self: false }] } })
    expect(overview.cluster.nodes[0].leaseRemainingMs).toBeGreaterThan(0)
    expect(overview.schedules.map((s) => s.scheduleId).sort()).toEqual(SCHEDULES.map((s) => s.id))
    // Each row's recent runs are read from the database (no node keeps finished ones).
    const withRuns = await until(async () => {
      const o = await (await fetch(`${base}api/overview`)).json()
      return o.schedules.every((s) => s.recent.some((r) => r.status === 'completed')) && o
    }, 'finished runs on every row')
    const shown = withRuns.schedules.flatMap((s) => s.recent.filter((r) => r.status === 'completed').map((r) => `'${r.executionId}'`))
    expect(await sql(`SELECT count(*) FROM tickflow.executions WHERE status = 'completed' AND id IN (${shown.join(',')})`)).toBe(String(shown.length))
    expect(await (await fetch(`${base}api/cluster`)).json()).toMatchObject({ cluster: { nodes: [{ nodeId: 'a', token: expect.stringMatching(/^a#/) }] } })
    // The page renders the panel: one row, the node, alive.
    const row = await inBrowser(base, async (page) => {
      await page.waitForSelector('#cluster-body tr[data-node]', { visible: true })
      return page.$$eval('#cluster-body tr', (rows) => rows.map((r) => [...r.cells].map((c) => c.textContent)))
    })
    expect(row).toEqual([['a', expect.stringMatching(/^a#/), 'alive', expect.stringMatching(/ s$/), expect.stringMatching(/UTC$/), expect.stringMatching(/ ms$/), expect.stringMatching(/UTC$/)]])
    const trigger = await fetch(`${base}api/actions/trigger`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"scheduleId":"every-1"}' })
    expect(trigger.status).toBe(403)
    // Still one node: the dashboard is not one of them.
    expect(await nodeRows()).toEqual(['a'])
  } finally {
    child.kill('SIGINT')
  }
  expect(await ended).toBe(0)
  expect(output).not.toMatch(/hunter2/)
})
