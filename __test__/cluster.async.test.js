// The JavaScript thread never waits for PostgreSQL: with the server paused (SIGSTOP, its
// connections open and silent), a command answers a pending Promise at once, timers and
// reads of configs go on, and the Promise settles when the server answers again, or
// rejects ERR_STORE_UNAVAILABLE after the store's commandTimeoutMs.
const { WorkflowScheduleIntegration } = require('..')
const { startPostgres } = require('./helpers/postgres')
const { config } = require('./support')

jest.setTimeout(60_000)

let pg
let count = 0
let url
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(() => pg?.stop())
beforeEach(async () => {
  const name = `a${++count}_${process.pid}`
  await pg.query(`CREATE DATABASE ${name}`)
  url = pg.urlFor(name)
})
afterEach(() => pg.resume())

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function node(store = {}) {
  const integration = new WorkflowScheduleIntegration({
    executor: async () => 'ok',
    store: { type: 'postgres', connectionString: url, ...store },
  })
  await integration.start()
  // Once a year: nothing fires by itself during the test.
  await integration.createScheduledWorkflow(config('a', '0 0 1 1 *'))
  return integration
}

/** Settles into { value } or { error }, recording when it did. */
function watch(promise) {
  const state = { settled: false }
  promise.then(
    (value) => Object.assign(state, { settled: true, value }),
    (error) => Object.assign(state, { settled: true, error }),
  )
  return state
}

/**
 * With the server paused: runs `check` once the event loop has run an immediate and a few
 * timers (it would not if a call had blocked it on the database), then resumes the server.
 */
async function whilePaused(check) {
  let immediate = false
  setImmediate(() => (immediate = true))
  let ticks = 0
  const interval = setInterval(() => ticks++, 5)
  try {
    await until(() => immediate && ticks >= 5, 'timers ran')
    check()
  } finally {
    clearInterval(interval)
    pg.resume()
  }
}

/** Runs the event loop until `ok()` holds (timers, I/O and immediates all get their turn). */
async function until(ok, what) {
  for (let i = 0; i < 2000; i++) {
    if (ok()) return
    await sleep(10)
  }
  throw new Error(`never: ${what}`)
}

test('with the server paused, a trigger is pending while timers and reads go on, and settles once it answers', async () => {
  const integration = await node({ commandTimeoutMs: 60_000 })
  pg.pause()
  const trigger = watch(integration.triggerScheduledExecution('s-a'))
  // The call returned: the thread runs an immediate and timers while the trigger waits.
  await whilePaused(() => {
    expect(trigger.settled).toBe(false)
    // Configs are read from this node's memory, not from the paused server.
    expect(integration.getScheduledWorkflow('a')).toMatchObject({ id: 'a', scheduleId: 's-a' })
    expect(integration.getScheduledWorkflows().map((c) => c.id)).toEqual(['a'])
    expect(trigger.settled).toBe(false)
  })
  await until(() => trigger.settled, 'the trigger settled')
  expect(trigger.error).toBeUndefined()
  expect(trigger.value).toMatch(/^exec_/)
  const runs = await integration.listExecutions({ scheduleId: 's-a' })
  expect(runs.map((e) => e.id)).toContain(trigger.value)
  await integration.stop()
})

test('with the server paused past commandTimeoutMs, a command rejects ERR_STORE_UNAVAILABLE, changing nothing', async () => {
  const integration = await node({ commandTimeoutMs: 500 })
  pg.pause()
  const paused = watch(integration.pauseSchedule('s-a', 'maintenance'))
  const trigger = watch(integration.triggerScheduledExecution('s-a'))
  expect(paused.settled).toBe(false)
  await until(() => paused.settled && trigger.settled, 'both commands settled')
  for (const { error } of [paused, trigger]) {
    expect(error).toBeInstanceOf(Error)
    expect(error.code).toBe('ERR_STORE_UNAVAILABLE')
  }
  pg.resume()
  // Nothing of either reached the database or stayed in memory; the next command works.
  expect(await integration.getScheduleStatus('s-a')).toMatchObject({ paused: false })
  const id = await integration.triggerScheduledExecution('s-a')
  const runs = await integration.listExecutions({ scheduleId: 's-a' })
  expect(runs.map((e) => e.id)).toEqual([id])
  await integration.stop()
})

test('commandTimeoutMs is checked', () => {
  expect(
    () => new WorkflowScheduleIntegration({ store: { type: 'postgres', connectionString: url, commandTimeoutMs: 5 } }),
  ).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE', path: 'options.store.commandTimeoutMs' }))
})

test('commands issued together share transactions, and each answers for itself', async () => {
  const integration = await node({ commandTimeoutMs: 60_000 })
  const ids = Array.from({ length: 20 }, (_, i) => `g${i}`)
  for (const id of ids) await integration.createScheduledWorkflow(config(id, '0 0 1 1 *'))
  // Paused, the server holds the first command's transaction: the rest wait, then share one.
  pg.pause()
  const triggers = ids.map((id) => watch(integration.triggerScheduledExecution(`s-${id}`)))
  const pauses = ids.slice(0, 10).map((id) => watch(integration.pauseSchedule(`s-${id}`, 'together')))
  const missing = watch(Promise.resolve().then(() => integration.triggerScheduledExecution('s-missing')))
  await sleep(50)
  expect(triggers.some((t) => t.settled)).toBe(false)
  pg.resume()
  await until(() => [...triggers, ...pauses, missing].every((c) => c.settled), 'every command settled')
  // The refused one rejects alone; the others are committed.
  expect(missing.error).toBeInstanceOf(Error)
  expect(missing.error.code).toBe('ERR_NOT_FOUND')
  for (const { error, value } of triggers) {
    expect(error).toBeUndefined()
    expect(value).toMatch(/^exec_/)
  }
  for (const { error } of pauses) expect(error).toBeUndefined()
  await integration.stop()
  // What they changed is in the database: a reader that opens it now sees all of it.
  const observer = new WorkflowScheduleIntegration({ store: { type: 'postgres', connectionString: url, readonly: true } })
  await observer.initialize()
  try {
    const manual = await observer.listExecutions({ triggerType: ['manual'], limit: 1000 })
    expect(manual.map((e) => e.id).sort()).toEqual(triggers.map((t) => t.value).sort())
    for (const [i, id] of ids.entries()) {
      expect(await observer.getScheduleStatus(`s-${id}`)).toMatchObject({ paused: i < 10 })
    }
  } finally {
    await observer.stop()
  }
})

test('with the server paused, stop() is pending while timers go on, and resolves once the server answers', async () => {
  const integration = await node({ commandTimeoutMs: 60_000 })
  pg.pause()
  const stopping = watch(integration.stop())
  // stop() returned: its database work (the node's row, its connections) waits off the thread.
  await whilePaused(() => {
    expect(stopping.settled).toBe(false)
    expect(integration.getState()).toBe('stopping')
  })
  await until(() => stopping.settled, 'the stop resolved')
  expect(stopping).toMatchObject({ settled: true, value: undefined })
  expect(integration.getState()).toBe('stopped')
  // The node left: its row is gone.
  expect(await pg.query(`SELECT count(*) FROM tickflow.nodes`, { database: url.split('/').pop() })).toBe('0')
})

test('with the server paused, stop() after initialize() alone is pending while timers go on; a change then opens the store again', async () => {
  const integration = new WorkflowScheduleIntegration({
    executor: async () => 'ok',
    store: { type: 'postgres', connectionString: url, commandTimeoutMs: 60_000 },
  })
  await integration.initialize()
  const database = url.split('/').pop()
  expect(await pg.query(`SELECT count(*) FROM tickflow.nodes`, { database })).toBe('1')
  pg.pause()
  const stopping = watch(integration.stop())
  // A change made while the store closes waits for the closing, then opens it again.
  const creating = watch(integration.createScheduledWorkflow(config('b', '0 0 1 1 *')))
  await whilePaused(() => {
    expect(stopping.settled).toBe(false)
    expect(creating.settled).toBe(false)
    expect(integration.getState()).toBe('stopped')
  })
  await until(() => stopping.settled && creating.settled, 'the stop and the change settled')
  expect(stopping).toMatchObject({ settled: true, value: undefined })
  expect(creating.error).toBeUndefined()
  expect(await pg.query(`SELECT count(*) FROM tickflow.schedules WHERE schedule_id = 's-b' AND NOT deleted`, { database })).toBe('1')
  // The change opened the store again (the node joined again); a last stop leaves.
  await integration.stop()
  expect(await pg.query(`SELECT count(*) FROM tickflow.nodes`, { database })).toBe('0')
})

test('stop() with a run in flight resolves once the run ends, not when its grace runs out', async () => {
  // No listener: the run's end tells JavaScript nothing but that the last attempt ended.
  let finish = null
  const integration = new WorkflowScheduleIntegration({
    executor: () => new Promise((resolve) => (finish = resolve)),
    store: { type: 'postgres', connectionString: url },
  })
  await integration.start()
  let stopped = null
  try {
    await integration.createScheduledWorkflow(config('a', '0 0 1 1 *'))
    await integration.triggerScheduledExecution('s-a')
    await until(() => finish !== null, 'the run started')
    // A grace far longer than the test may take: only the run's end can let the stop resolve.
    stopped = watch(integration.stop({ graceMs: 3_600_000 }))
    await sleep(50)
    expect(stopped.settled).toBe(false)
    finish('done')
    await until(() => stopped.settled, 'the stop resolved')
  } finally {
    // Should it not have, a second stop ends the grace (and the test) at once.
    if (!stopped?.settled) await integration.stop({ graceMs: 0 })
  }
  expect(stopped.error).toBeUndefined()
  const [execution] = await integration.listExecutions({ scheduleId: 's-a' })
  expect(execution.status).toBe('completed')
})
