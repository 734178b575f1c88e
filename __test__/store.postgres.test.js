// store.test.js's behaviours on the PostgreSQL store, where they are meant to be the same:
// what survives a restart, catch-up after every node was down, attempts a killed process
// left running, and a stop that loses nothing. The system clock (PostgreSQL's time decides
// what is due, so a manual clock does not apply) and a throwaway server.
const { WorkflowScheduleIntegration } = require('..')
const { startPostgres } = require('./helpers/postgres')
const { config, controlled, killWhileRunning, collect } = require('./support')

jest.setTimeout(60_000)

let pg
let count = 0
let url
let database
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(() => pg?.stop())
beforeEach(async () => {
  database = `s${++count}_${process.pid}`
  await pg.query(`CREATE DATABASE ${database}`)
  url = pg.urlFor(database)
})

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
function open(executor, options = {}) {
  const integration = new WorkflowScheduleIntegration({ executor, store: { type: 'postgres', connectionString: url }, ...options })
  const events = []
  integration.on('event', (e) => events.push(e))
  return { integration, events }
}

test('schedules, their state, executions and counters survive a restart', async () => {
  const first = open(async (r) => ({ echoed: r.scheduleId }))
  await first.integration.start()
  await first.integration.createScheduledWorkflow(config('a', '* * * * * *', { scheduleConfig: { overlapPolicy: 'allow' } }))
  await first.integration.createScheduledWorkflow(config('b', '0 * * * *'))
  await first.integration.pauseSchedule('s-b', 'maintenance')
  await sleep(2500)
  await first.integration.stop()
  const ran = await first.integration.listExecutions({ scheduleId: 's-a' })
  expect(ran.length).toBeGreaterThanOrEqual(2)

  const second = open(async () => 'again')
  await second.integration.initialize()
  expect(second.integration.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(['a', 'b'])
  expect(second.integration.getScheduledWorkflow('a')).toEqual(first.integration.getScheduledWorkflow('a'))
  expect(await second.integration.getScheduleStatus('s-b')).toMatchObject({ paused: true, pauseNote: 'maintenance' })
  const runs = await second.integration.listExecutions({ scheduleId: 's-a' })
  expect(runs.map((e) => [e.id, e.status, e.result.output])).toEqual(ran.map((e) => [e.id, 'completed', { echoed: 's-a' }]))
  expect(await second.integration.getScheduleMetrics('s-a')).toMatchObject({ totalExecutions: ran.length, successfulExecutions: ran.length })
  await second.integration.stop()
})

test('fires missed while every node was down follow the catch-up policy, each dropped one recorded as misfire', async () => {
  const first = open(async () => 'ok')
  await first.integration.start()
  await first.integration.createScheduledWorkflow(config('once', '* * * * * *', { scheduleConfig: { catchup: { policy: 'once' } } }))
  await first.integration.createScheduledWorkflow(config('none', '* * * * * *', { scheduleConfig: { catchup: { policy: 'skip' } } }))
  await sleep(1200)
  await first.integration.stop()
  const stoppedAt = Date.now()
  await sleep(4000)

  const second = open(async () => 'ok', { misfireThresholdMs: 500 })
  await second.integration.start()
  await sleep(300)
  const missedBy = async (id) =>
    (await second.integration.getSkippedOccurrences(id)).filter((s) => s.reason === 'misfire' && s.scheduledTime.getTime() > stoppedAt)
  // Four or so seconds passed: 'skip' records each, 'once' runs the last and records the others.
  expect((await missedBy('s-none')).length).toBeGreaterThanOrEqual(3)
  expect((await missedBy('s-once')).length).toBe((await missedBy('s-none')).length - 1)
  const caught = (await second.integration.listExecutions({ scheduleId: 's-once' })).filter((e) => e.triggerType === 'catchup')
  expect(caught).toHaveLength(1)
  await second.integration.stop()
})

test('a run its process was killed in runs again on the next node, once, as resumed; onInterrupt fail retries or fails it', async () => {
  const signal = await killWhileRunning({ type: 'postgres', connectionString: url })
  expect(signal).toBe('SIGKILL')
  const requests = []
  const { integration, events } = open(async (r) => {
    requests.push(r)
    return `attempt ${r.attempt}`
  })
  const ended = collect(integration, ['workflow.completed', 'workflow.failed'], 3)
  await integration.start()
  const finals = await ended
  expect(requests.filter((r) => r.scheduleId === 'm').map((r) => [r.attempt, r.resumed])).toEqual([[2, true]])
  expect(finals.find((e) => e.scheduleId === 'm')).toMatchObject({ type: 'workflow.completed', result: 'attempt 2' })
  const [m] = await integration.listExecutions({ scheduleId: 'm' })
  expect(m.attempts.map((a) => [a.error && a.error.code, a.counted, a.resumed])).toEqual([['INTERRUPTED', false, undefined], [null, undefined, true]])
  expect(finals.find((e) => e.scheduleId === 'r')).toMatchObject({ type: 'workflow.completed', result: 'attempt 2', attempts: 2 })
  // Retried although retryableErrors lists only NETWORK: the failure was the process's.
  expect(events.find((e) => e.type === 'workflow.retrying')).toMatchObject({ scheduleId: 'r', attempt: 2, error: { code: 'INTERRUPTED' } })
  expect(finals.find((e) => e.scheduleId === 'f')).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED' } })
  const [r] = await integration.listExecutions({ scheduleId: 'r' })
  expect(r.attempts.map((a) => a.error && a.error.code)).toEqual(['INTERRUPTED', null])
  expect(requests.filter((x) => x.scheduleId === 'r').map((x) => x.resumed)).toEqual([false])
  await integration.stop()
})

test('stopping while executions run loses nothing: what did not finish waits in the database for the next node', async () => {
  const { runs, executor } = controlled()
  const { integration } = open(executor, { maxConcurrency: 50 })
  await integration.start()
  for (let i = 0; i < 20; i++) await integration.createScheduledWorkflow(config(`c${i}`, '0 0 1 1 *'))
  const ids = []
  for (let i = 0; i < 200; i++) ids.push(await integration.triggerScheduledExecution(`s-c${i % 20}`))
  for (const run of runs.slice(0, 25)) run.resolve('done')
  const stopped = integration.stop({ graceMs: 200 })
  for (const run of runs.slice(25, 35)) run.resolve('late but in grace')
  await stopped
  // A node that comes later finds every execution: the finished ones final, the others to run.
  const later = open(async () => 'ran on the next node')
  await later.integration.initialize()
  const stored = await later.integration.listExecutions({ limit: 1000 })
  expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort())
  const byStatus = {}
  for (const e of stored) byStatus[e.status] = (byStatus[e.status] || 0) + 1
  // 50 started (maxConcurrency), 35 answered; the 15 still running at the end of the grace
  // period were interrupted and wait, queued, to run again (not counted against their one
  // attempt); the 150 never started stay queued for the next node too.
  expect(byStatus).toEqual({ completed: 35, queued: 165 })
  const interrupted = stored.filter((e) => e.attempts.length === 1 && e.status === 'queued')
  expect(interrupted).toHaveLength(15)
  expect(interrupted.every((e) => e.attempts[0].error.code === 'INTERRUPTED' && e.attempts[0].counted === false)).toBe(true)
  await later.integration.start()
  const completed = async () => (await later.integration.listExecutions({ limit: 1000 })).filter((e) => e.status === 'completed')
  for (let i = 0; i < 100 && (await completed()).length < 200; i++) await sleep(100)
  expect(await completed()).toHaveLength(200)
  await later.integration.stop()
})

test("a node without a schedule's handler leaves its fires and its work to a node with one; with none alive, fires are skipped no_handler", async () => {
  const until = async (condition, what) => {
    for (let i = 0; i < 300 && !(await condition()); i++) await sleep(50)
    if (!(await condition())) throw new Error(`timed out waiting for ${what}`)
  }
  const runs = []
  const withHandler = open(undefined)
  await withHandler.integration.schedule('job', '* * * * * *', { overlapPolicy: 'allow' }, (r) => runs.push(r.triggerType))
  await withHandler.integration.start()
  const without = open(undefined)
  await without.integration.start()
  await until(() => runs.filter((t) => t === 'scheduled').length >= 3, 'three scheduled runs')
  // A manual trigger on the node without the handler is run by the node with it.
  const id = await without.integration.triggerScheduledExecution('job')
  await until(() => runs.includes('manual'), 'the manual run')
  await until(async () => (await without.integration.getExecution(id))?.status === 'completed', 'the manual run to be seen completed')
  // The node without the handler never started an attempt of it.
  expect(without.events.filter((e) => e.type === 'workflow.started')).toEqual([])
  await withHandler.integration.stop()
  // Nobody left with the handler: after its wait, the node without one records the skip.
  await until(() => without.events.some((e) => e.type === 'schedule.skipped' && e.reason === 'no_handler'), 'a no_handler skip')
  expect((await without.integration.getSkippedOccurrences('job')).map((s) => s.reason)).toContain('no_handler')
  expect(without.events.filter((e) => e.type === 'workflow.started')).toEqual([])
  await without.integration.stop()
})

test('a schema name of 55 to 63 characters is refused before anything is created (its notification channel would not fit); 54 works', async () => {
  const named = (length) => `s${'x'.repeat(length - 1)}`
  const store = (schema) => ({ type: 'postgres', connectionString: url, schema })
  for (const length of [55, 58, 63]) {
    let err
    try {
      new WorkflowScheduleIntegration({ executor: () => 'never', store: store(named(length)) })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(RangeError)
    expect(err).toMatchObject({ code: 'ERR_INVALID_OPTION_VALUE', path: 'options.store.schema', value: named(length) })
    expect(err.message).toMatch(/^options\.store\.schema: .*at most 54 characters, so that the names tickflow derives from it fit PostgreSQL's 63/)
  }
  const schemas = () => pg.query(`SELECT coalesce(string_agg(schema_name, ','), '') FROM information_schema.schemata WHERE schema_name LIKE 'sx%'`, { database })
  expect(await schemas()).toBe('')

  // 54: the schema is made, and writes (each commit notifies tickflow_<schema>) succeed.
  const integration = new WorkflowScheduleIntegration({ executor: async () => 'ran', store: store(named(54)) })
  const done = collect(integration, ['workflow.completed', 'workflow.failed', 'integration.error'], 1)
  await integration.start()
  try {
    await integration.createScheduledWorkflow(config('long', '0 0 1 1 *'))
    await integration.triggerScheduledExecution('s-long')
    const [event] = await done
    expect(event).toMatchObject({ type: 'workflow.completed', result: 'ran' })
  } finally {
    await integration.stop()
  }
  expect(await schemas()).toBe(named(54))
})

test('a stopped integration holds no connection to the server, and still reads its history', async () => {
  const { integration } = open(async () => 'ok')
  await integration.start()
  await integration.createScheduledWorkflow(config('a', '0 * * * *'))
  await integration.triggerScheduledExecution('s-a')
  const connections = async () =>
    Number(await pg.query(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${database}' AND application_name = 'tickflow'`))
  expect(await connections()).toBeGreaterThan(0)
  await integration.stop()
  // A backend ends a moment after its client closes.
  let left = await connections()
  for (let i = 0; left > 0 && i < 500; i++) {
    await sleep(20)
    left = await connections()
  }
  expect(left).toBe(0)
  const runs = await integration.listExecutions({ scheduleId: 's-a' })
  expect(runs.filter((e) => e.triggerType === 'manual').map((e) => e.status)).toEqual(['completed'])
})
