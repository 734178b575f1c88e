// The sqlite store as a user meets it: what survives a restart, how missed fires and
// interrupted executions are recovered, and every way a store can fail to open.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { WorkflowScheduleIntegration } = require('..')
const { START, config, controlled, killWhileRunning, collect, tick } = require('./support')
const { rejection } = require('./helpers')

let dir
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-store-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

const MINUTE = 60_000
const at = (ms) => new Date(START.getTime() + ms)

function open(file, executor, options = {}) {
  const integration = new WorkflowScheduleIntegration({
    executor,
    clock: 'manual',
    startTime: START,
    store: { type: 'sqlite', path: file },
    ...options,
  })
  const events = []
  integration.on('event', (e) => events.push(e))
  return { integration, events }
}

test('schedules, their state, executions and counters survive a restart', async () => {
  const file = path.join(dir, 'state.db')
  const first = open(file, async (r) => ({ echoed: r.scheduleId }))
  await first.integration.start()
  await first.integration.createScheduledWorkflow(config('a', '* * * * *', { scheduleConfig: { overlapPolicy: 'allow' } }))
  await first.integration.createScheduledWorkflow(config('b', '0 * * * *'))
  await first.integration.pauseSchedule('s-b', 'maintenance')
  await first.integration.advanceTime(3 * MINUTE)
  await first.integration.stop()

  const second = open(file, async () => 'again', { startTime: at(3 * MINUTE + 10_000) })
  await second.integration.initialize()
  expect(second.integration.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(['a', 'b'])
  expect(second.integration.getScheduledWorkflow('a')).toEqual(first.integration.getScheduledWorkflow('a'))
  expect(await second.integration.getScheduleStatus('s-b')).toMatchObject({ paused: true, pauseNote: 'maintenance' })
  // listExecutions returns newest first.
  const runs = (await second.integration.listExecutions({ scheduleId: 's-a' })).reverse()
  expect(runs.map((e) => [e.status, e.result.output])).toEqual([
    ['completed', { echoed: 's-a' }],
    ['completed', { echoed: 's-a' }],
    ['completed', { echoed: 's-a' }],
  ])
  expect(runs.map((e) => e.scheduledTime.toISOString())).toEqual([
    '2026-01-01T00:01:00.000Z',
    '2026-01-01T00:02:00.000Z',
    '2026-01-01T00:03:00.000Z',
  ])
  expect(await second.integration.getScheduleMetrics('s-a')).toMatchObject({ totalExecutions: 3, successfulExecutions: 3 })
  // Nothing is made up on restart: the next fire is the next minute.
  await second.integration.start()
  expect(second.events.filter((e) => e.type === 'schedule.triggered')).toEqual([])
  await second.integration.advanceTime(MINUTE)
  expect(await second.integration.listExecutions({ scheduleId: 's-a' })).toHaveLength(4)
  await second.integration.stop()
})

test('fires missed while down follow the catch-up policy, each dropped one recorded as misfire', async () => {
  const file = path.join(dir, 'state.db')
  const first = open(file, async () => 'ok')
  await first.integration.start()
  await first.integration.createScheduledWorkflow(config('once', '* * * * *'))
  await first.integration.createScheduledWorkflow(config('none', '* * * * *', { scheduleConfig: { catchup: { policy: 'skip' } } }))
  await first.integration.stop()

  const second = open(file, async () => 'ok', { startTime: at(10 * MINUTE + 30_000) })
  await second.integration.start()
  const skipped = (id) => second.events.filter((e) => e.type === 'schedule.skipped' && e.scheduleId === id)
  expect(skipped('s-once')).toHaveLength(9)
  expect(skipped('s-none')).toHaveLength(10)
  expect(skipped('s-once').every((e) => e.reason === 'misfire')).toBe(true)
  const caught = await second.integration.listExecutions({ scheduleId: 's-once' })
  expect(caught.map((e) => [e.triggerType, e.scheduledTime.toISOString()])).toEqual([['catchup', '2026-01-01T00:10:00.000Z']])
  const recorded = await second.integration.getSkippedOccurrences('s-once')
  expect(recorded.map((s) => s.scheduledTime.toISOString())).toEqual(
    Array.from({ length: 9 }, (_, i) => at((i + 1) * MINUTE).toISOString()),
  )
  expect(recorded.every((s) => s.reason === 'misfire' && s.recordedAt instanceof Date)).toBe(true)
  await second.integration.stop()
  // The skips are stored too.
  const third = open(file, async () => 'ok', { store: { type: 'sqlite', path: file, readonly: true } })
  await third.integration.initialize()
  expect(await third.integration.getSkippedOccurrences('s-none')).toHaveLength(10)
})

test('a run its process was killed in runs again at the next start, once, as resumed; onInterrupt fail retries or fails it', async () => {
  const file = path.join(dir, 'state.db')
  expect(await killWhileRunning({ type: 'sqlite', path: file })).toBe('SIGKILL')
  const requests = []
  const executor = async (r) => {
    requests.push(r)
    return `attempt ${r.attempt}`
  }
  const integration = new WorkflowScheduleIntegration({ executor, store: { type: 'sqlite', path: file } })
  const events = []
  integration.on('event', (e) => events.push(e))
  const ended = collect(integration, ['workflow.completed', 'workflow.failed'], 3)
  await integration.start()
  const finals = await ended
  // The default: the interrupted run of 'm' runs again, told so, and its one attempt allowed
  // was not used up by the interruption.
  const [resumed, ...others] = requests.filter((r) => r.scheduleId === 'm')
  expect(others).toEqual([])
  expect(resumed).toMatchObject({ attempt: 2, resumed: true })
  expect(finals.find((e) => e.scheduleId === 'm')).toMatchObject({ type: 'workflow.completed', result: 'attempt 2' })
  const [m] = await integration.listExecutions({ scheduleId: 'm' })
  expect(m).toMatchObject({ status: 'completed', retryCount: 0 })
  expect(m.attempts).toEqual([
    expect.objectContaining({ attempt: 1, error: expect.objectContaining({ code: 'INTERRUPTED' }), counted: false }),
    expect.objectContaining({ attempt: 2, error: null, resumed: true }),
  ])
  // onInterrupt 'fail': retried (although retryableErrors lists only NETWORK: the failure was
  // the process's) while attempts remain, else failed; neither is a resumed run.
  expect(finals.find((e) => e.scheduleId === 'r')).toMatchObject({ type: 'workflow.completed', result: 'attempt 2', attempts: 2 })
  const retrying = events.find((e) => e.type === 'workflow.retrying')
  expect(retrying).toMatchObject({ scheduleId: 'r', attempt: 2, error: { code: 'INTERRUPTED' } })
  expect(finals.find((e) => e.scheduleId === 'f')).toMatchObject({ status: 'failed', error: { code: 'INTERRUPTED' } })
  expect(requests.filter((r) => r.scheduleId !== 'm').map((r) => [r.scheduleId, r.resumed])).toEqual([['r', false]])
  const [r] = await integration.listExecutions({ scheduleId: 'r' })
  expect(r.attempts.map((a) => a.error && a.error.code)).toEqual(['INTERRUPTED', null])
  await integration.stop()
}, 20_000)

test('a run stop() ended after its grace runs again at the next start, once, as resumed', async () => {
  const file = path.join(dir, 'state.db')
  const first = controlled()
  const before = new WorkflowScheduleIntegration({ executor: first.executor, store: { type: 'sqlite', path: file } })
  const cancelled = []
  before.on('workflow.cancelled', (e) => cancelled.push(e))
  await before.start()
  await before.createScheduledWorkflow(config('g', '0 0 1 1 *'))
  await before.createScheduledWorkflow(config('f', '0 0 1 1 *', { scheduleConfig: { onInterrupt: 'fail' } }))
  const id = await before.triggerScheduledExecution('s-g')
  const failing = await before.triggerScheduledExecution('s-f')
  while (first.runs.length < 2) await tick()
  expect(first.runs.map((r) => r.request.resumed)).toEqual([false, false])
  await before.stop({ graceMs: 20 })
  expect(first.runs.every((r) => r.request.signal.aborted)).toBe(true)
  // Only the run that opted out is over: cancelled, as a stop did before.
  expect(cancelled.map((e) => [e.executionId, e.reason])).toEqual([[failing, 'stop']])
  // The aborted handler settles late: that changes nothing.
  first.runs[0].resolve('too late')

  const requests = []
  const after = new WorkflowScheduleIntegration({
    executor: async (r) => {
      requests.push(r)
      return 'done'
    },
    store: { type: 'sqlite', path: file },
  })
  const ended = collect(after, ['workflow.completed', 'workflow.failed', 'workflow.cancelled'], 1)
  await after.start()
  const [done] = await ended
  expect(done).toMatchObject({ type: 'workflow.completed', executionId: id, result: 'done', attempts: 2 })
  expect(requests.map((r) => [r.executionId, r.attempt, r.resumed])).toEqual([[id, 2, true]])
  const record = await after.getExecution(id)
  expect(record.attempts).toEqual([
    expect.objectContaining({ attempt: 1, error: expect.objectContaining({ code: 'INTERRUPTED' }), counted: false }),
    expect.objectContaining({ attempt: 2, error: null, resumed: true }),
  ])
  expect(await after.getExecution(failing)).toMatchObject({ status: 'cancelled', cancelReason: 'stop' })
  await after.stop()
})

test('history retention bounds what the store keeps', async () => {
  const file = path.join(dir, 'state.db')
  const first = open(file, async () => 'ok', { historyRetention: { maxPerSchedule: 3 } })
  await first.integration.start()
  await first.integration.createScheduledWorkflow(config('a', '* * * * *'))
  await first.integration.advanceTime(8 * MINUTE)
  await first.integration.stop()
  const second = open(file, async () => 'ok', { store: { type: 'sqlite', path: file, readonly: true } })
  await second.integration.initialize()
  const kept = await second.integration.listExecutions({ scheduleId: 's-a' })
  expect(kept.length).toBeLessThanOrEqual(4)
  expect(kept[0].scheduledTime.toISOString()).toBe('2026-01-01T00:08:00.000Z')
  // The counters keep the whole story.
  expect((await second.integration.getScheduleMetrics('s-a')).totalExecutions).toBe(8)
})

test('a read-only store can be inspected while another integration runs on it', async () => {
  const file = path.join(dir, 'state.db')
  const writer = open(file, async () => 'ok')
  await writer.integration.start()
  await writer.integration.createScheduledWorkflow(config('a', '* * * * *'))
  const reader = open(file, async () => 'ok', { store: { type: 'sqlite', path: file, readonly: true } })
  await reader.integration.initialize()
  expect(reader.integration.getScheduledWorkflows().map((c) => c.id)).toEqual(['a'])
  // One opened to inspect, with no executor (as `tickflow status` opens it), runs nothing:
  // its schedules are not unhealthy for want of a handler here.
  const inspector = open(file, undefined, { store: { type: 'sqlite', path: file, readonly: true } })
  await inspector.integration.initialize()
  expect(await inspector.integration.getScheduleHealth('s-a')).toMatchObject({ status: 'healthy', issues: [] })
  await inspector.integration.stop()
  expect(reader.integration.getNextExecutionTimes('s-a', 1)).toEqual([at(MINUTE)])
  const started = await rejection(reader.integration.start())
  expect(started.code).toBe('ERR_STORE_READONLY')
  const created = await rejection(reader.integration.createScheduledWorkflow(config('b', '* * * * *')))
  expect(created.code).toBe('ERR_STORE_READONLY')
  await writer.integration.stop()
})

test('a second writer is refused while one runs; after stop() the store can be opened again', async () => {
  const file = path.join(dir, 'state.db')
  const first = open(file, async () => 'ok')
  await first.integration.start()
  const second = open(file, async () => 'ok')
  const err = await rejection(second.integration.initialize())
  expect(err.code).toBe('ERR_STORE_LOCKED')
  expect(err.message).toContain(file)
  await first.integration.createScheduledWorkflow(config('a', '* * * * *'))
  await first.integration.stop()
  // Stopped: its store is closed. A declaration opens it again (and takes the lock),
  // stop() lets go of it.
  await first.integration.createScheduledWorkflow(config('b', '* * * * *'))
  expect((await rejection(second.integration.initialize())).code).toBe('ERR_STORE_LOCKED')
  await first.integration.stop()
  await second.integration.initialize()
  expect(second.integration.getScheduledWorkflows().map((c) => c.id)).toEqual(['a', 'b'])
  // And the first one can start again once the second lets go.
  await second.integration.start()
  await second.integration.stop()
  await first.integration.start()
  expect(first.integration.getScheduledWorkflows().map((c) => c.id)).toEqual(['a', 'b'])
  await first.integration.stop()
})

test('a declaration before start() opens the store and is kept in it, not only in memory', async () => {
  const file = path.join(dir, 'state.db')
  const { integration } = open(file, async () => 'ok')
  expect(await integration.upsertScheduledWorkflow(config('a', '* * * * *'))).toBe('created')
  await integration.stop() // never started: closes the store it opened
  const again = open(file, async () => 'ok', { store: { type: 'sqlite', path: file, readonly: true } })
  await again.integration.initialize()
  expect(again.integration.getScheduledWorkflows().map((c) => c.id)).toEqual(['a'])
  await again.integration.stop()
})

test('a new store file is readable and writable by its owner only', async () => {
  const file = path.join(dir, 'state.db')
  const { integration } = open(file, async () => 'ok')
  await integration.start()
  await integration.createScheduledWorkflow(config('a', '* * * * *'))
  for (const f of [file, `${file}-wal`]) expect(fs.statSync(f).mode & 0o777).toBe(0o600)
  await integration.stop()
})

test("fires waiting their turn (catch-up 'all') survive a stop: the next start runs them", async () => {
  const file = path.join(dir, 'waiting.db')
  const { runs, executor } = controlled()
  const first = open(file, executor)
  await first.integration.start()
  await first.integration.createScheduledWorkflow(config('a', '0 * * * *', { scheduleConfig: { catchup: { policy: 'all', maxRuns: 3 } } }))
  await first.integration.advanceTime(10 * 60 * MINUTE + 30_000, { jump: true })
  expect(runs).toHaveLength(1)
  runs[0].resolve()
  await tick()
  expect(runs).toHaveLength(2)
  // A deploy while 09:00 runs and 10:00 waits.
  await first.integration.stop({ graceMs: 0 })

  const ran = []
  const second = open(file, (r) => ran.push([r.triggerType, r.scheduledTime.toISOString()]))
  await second.integration.start()
  await tick()
  await tick()
  expect(ran).toEqual([
    ['catchup', '2026-01-01T09:00:00.000Z'],
    ['catchup', '2026-01-01T10:00:00.000Z'],
  ])
  expect(second.events.filter((e) => e.reason === 'overlap')).toEqual([])
  expect(first.events.filter((e) => e.reason === 'overlap')).toEqual([])
  await second.integration.stop()
})

describe('a store that cannot be opened rejects initialize() with a code and is left untouched', () => {
  const fixture = (name) => () => {
    const file = path.join(dir, name)
    fs.copyFileSync(path.join(__dirname, 'fixtures', name), file)
    return file
  }
  const cases = [
    ['a text file', 'ERR_STORE_CORRUPT', () => {
      const file = path.join(dir, 'notes.txt')
      fs.writeFileSync(file, 'these are my notes\n'.repeat(300))
      return file
    }],
    ['another application\'s SQLite database', 'ERR_STORE_FOREIGN', fixture('foreign.db')],
    ['a tickflow store with a newer schema', 'ERR_STORE_VERSION', fixture('newer-schema.db')],
  ]
  test.each(cases)('%s: %s', async (_, code, make) => {
    const file = make()
    const before = fs.readFileSync(file)
    const { integration } = open(file, async () => 'ok')
    const err = await rejection(integration.start())
    expect(err.code).toBe(code)
    expect(err.message).toContain(file)
    expect(fs.readFileSync(file).equals(before)).toBe(true)
    expect(integration.getState()).toBe('stopped')
  })

  test('missing folders are created (0700); a directory, or a folder a file blocks, is an open error', async () => {
    const nested = path.join(dir, 'data', 'nested', 'schedules.db')
    const { integration } = open(nested, async () => 'ok')
    await integration.initialize()
    await integration.stop()
    expect(fs.statSync(path.join(dir, 'data')).mode & 0o777).toBe(0o700)
    expect(fs.statSync(path.join(dir, 'data', 'nested')).mode & 0o777).toBe(0o700)
    expect(fs.statSync(nested).mode & 0o777).toBe(0o600)
    fs.writeFileSync(path.join(dir, 'blocker'), 'x')
    for (const file of [path.join(dir, 'blocker', 'state.db'), dir]) {
      const err = await rejection(open(file, async () => 'ok').integration.initialize())
      expect(err.code).toBe('ERR_STORE_OPEN')
      expect(err.message).toContain(file)
    }
  })

  test('a read-only store that does not exist', async () => {
    const file = path.join(dir, 'none.db')
    const { integration } = open(file, async () => 'ok', { store: { type: 'sqlite', path: file, readonly: true } })
    const err = await rejection(integration.initialize())
    expect(err.code).toBe('ERR_STORE_OPEN')
    expect(fs.existsSync(file)).toBe(false)
  })

  test('bad store options are argument errors with paths', () => {
    const make = (store) => () => new WorkflowScheduleIntegration({ executor: () => 1, store })
    const cases = [
      [{ type: 'sqlite' }, 'ERR_INVALID_ARG_TYPE', 'options.store.path'],
      [{ type: 'sqlite', path: '' }, 'ERR_INVALID_OPTION_VALUE', 'options.store.path'],
      [{ type: 'sqlite', path: 'x.db', synchronous: 'sometimes' }, 'ERR_INVALID_OPTION_VALUE', 'options.store.synchronous'],
      [{ type: 'sqlite', path: 'x.db', colour: 'blue' }, 'ERR_UNKNOWN_OPTION', 'options.store.colour'],
      [{ type: 'redis' }, 'ERR_INVALID_OPTION_VALUE', 'options.store.type'],
      [{ type: 'postgres' }, 'ERR_INVALID_ARG_TYPE', 'options.store.connectionString'],
      [{ type: 'postgres', connectionString: ' ' }, 'ERR_INVALID_OPTION_VALUE', 'options.store.connectionString'],
      [{ type: 'postgres', connectionString: 'postgres://h/db', schema: 'pg_x' }, 'ERR_INVALID_OPTION_VALUE', 'options.store.schema'],
      [{ type: 'postgres', connectionString: 'postgres://h/db', poolSize: 0 }, 'ERR_OUT_OF_RANGE', 'options.store.poolSize'],
    ]
    for (const [store, code, where] of cases) {
      let err
      try {
        make(store)()
      } catch (e) {
        err = e
      }
      expect(err).toMatchObject({ code, path: where })
    }
  })
})

test('stopping while executions run and the store writes loses nothing', async () => {
  const file = path.join(dir, 'state.db')
  const { runs, executor } = controlled()
  const integration = new WorkflowScheduleIntegration({ executor, store: { type: 'sqlite', path: file }, maxConcurrency: 50 })
  let events = 0
  integration.on('event', () => events++)
  await integration.start()
  for (let i = 0; i < 20; i++) await integration.createScheduledWorkflow(config(`c${i}`, '0 0 1 1 *'))
  const ids = []
  for (let i = 0; i < 200; i++) ids.push(await integration.triggerScheduledExecution(`s-c${i % 20}`))
  // Half finish, the rest are running or queued when stop() begins.
  for (const run of runs.slice(0, 25)) run.resolve('done')
  const stopped = integration.stop({ graceMs: 50 })
  for (const run of runs.slice(25, 35)) run.resolve('late but in grace')
  await stopped
  expect(events).toBeGreaterThan(0)
  const reader = new WorkflowScheduleIntegration({ executor, store: { type: 'sqlite', path: file, readonly: true } })
  await reader.initialize()
  const stored = await reader.listExecutions({ limit: 1000 })
  expect(stored.map((e) => e.id).sort()).toEqual([...ids].sort())
  const byStatus = {}
  for (const e of stored) byStatus[e.status] = (byStatus[e.status] || 0) + 1
  // 50 started (maxConcurrency), 35 answered; the 15 still running at the end of the grace
  // period wait, queued, to run again at the next start, as do the 150 never started.
  expect(byStatus).toEqual({ completed: 35, queued: 165 })
  const interrupted = stored.filter((e) => e.status === 'queued' && e.attempts.length > 0)
  expect(interrupted).toHaveLength(15)
  expect(interrupted.every((e) => e.attempts.length === 1 && e.attempts[0].error.code === 'INTERRUPTED')).toBe(true)
  await reader.stop()

  // The next start runs every one of them, once.
  const ran = []
  const next = new WorkflowScheduleIntegration({ executor: (r) => ran.push(r.executionId), store: { type: 'sqlite', path: file }, maxConcurrency: 50 })
  const done = new Promise((resolve) => next.on('workflow.completed', () => ran.length === 165 && resolve()))
  await next.start()
  await done
  await next.stop()
  expect(new Set(ran).size).toBe(165)
  const final = await next.listExecutions({ limit: 1000 })
  expect(final.filter((e) => e.status === 'completed')).toHaveLength(200)
})
