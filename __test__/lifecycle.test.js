// Lifecycle misuse as a newcomer writes it: calls that do not wait for start() or stop(),
// every public method in every state, and processes (and Jest) that must end on their own.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')
const { WorkflowScheduleIntegration } = require('..')
const { config, controlled, tick } = require('./support')

const ROOT = path.join(__dirname, '..')
let dir
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-life-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Runs a script in a child node that requires tickflow as `tickflow`; resolves { code, stdout, stderr, ms }. */
function child(source, { timeoutMs = 20_000, cwd = dir } = {}) {
  const file = path.join(dir, `script-${Math.random().toString(36).slice(2)}.js`)
  fs.writeFileSync(file, `const tickflow = require(${JSON.stringify(ROOT)});\n${source}`)
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(process.execPath, [file], { cwd, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.killed ? 'killed' : err.code) : 0, stdout, stderr, ms: Date.now() - started })
    })
  })
}

describe('calls that do not wait', () => {
  test('start() not awaited, then create, on and reads: no error escapes, on the SQLite store', async () => {
    const r = await child(`
      process.on('uncaughtException', (e) => { console.log('UNCAUGHT ' + e.message); process.exit(3) })
      process.on('unhandledRejection', (e) => { console.log('UNHANDLED ' + e.message); process.exit(4) })
      const it = new tickflow.WorkflowScheduleIntegration({ store: { type: 'sqlite', path: 'data/state.db' }, executor: () => 'ok' })
      const started = it.start()
      console.log('state ' + it.getState())
      it.on('schedule.created', (e) => console.log('created ' + e.scheduledWorkflowId))
      const created = it.createScheduledWorkflow({ id: 'a', workflowId: 'w', scheduleConfig: { cronExpression: '@daily' } })
      console.log('read ' + it.getScheduledWorkflows().length)
      Promise.all([started, created]).then(async ([, id]) => {
        console.log('state ' + it.getState() + ' ' + id + ' ' + it.getScheduledWorkflows().map((c) => c.id))
        await it.stop()
        console.log('state ' + it.getState())
      })
    `)
    expect(r.stdout.trim().split('\n')).toEqual(['state starting', 'read 0', 'created a', 'state running a a', 'state stopped'])
    expect(r.code).toBe(0)
  })

  test('stop() while start() is pending wins: the integration ends stopped and the process exits', async () => {
    const r = await child(`
      const it = new tickflow.WorkflowScheduleIntegration({ store: { type: 'sqlite', path: 'state.db' }, executor: () => 'ok' })
      const p = it.start()
      it.stop().then(async () => {
        await p
        console.log(it.getState())
        // And it can start (and stop) again later.
        await it.start()
        console.log(it.getState())
        await it.stop()
        console.log(it.getState())
      })
    `)
    expect(r.stdout.trim().split('\n')).toEqual(['stopped', 'running', 'stopped'])
    expect(r.code).toBe(0)
  })

  test('the same with the system clock and a schedule due every second: nothing keeps the process alive', async () => {
    const r = await child(`
      const it = new tickflow.WorkflowScheduleIntegration({ executor: () => 'ok' })
      it.schedule('tick', '* * * * * *', () => 'ok')
      const p = it.start()
      it.stop().then(() => p).then(() => console.log(it.getState()))
    `)
    expect(r.stdout.trim()).toBe('stopped')
    expect(r.code).toBe(0)
  })

  test('a second start() while starting shares the first; start() while running resolves and emits nothing', async () => {
    const it = new WorkflowScheduleIntegration({ clock: 'manual', executor: () => 'ok' })
    const a = it.start()
    const b = it.start()
    expect(b).toBe(a)
    await a
    const events = []
    it.on('event', (e) => events.push(e.type))
    await expect(it.start()).resolves.toBeUndefined()
    expect(it.getState()).toBe('running')
    expect(events).toEqual([])
    await it.stop()
  })

  /** A SQLite store held by a started integration, and a second integration on it. */
  async function heldStore() {
    const options = { clock: 'manual', store: { type: 'sqlite', path: path.join(dir, 'held.db') }, executor: () => 'ok' }
    const holder = new WorkflowScheduleIntegration(options)
    await holder.start()
    return { holder, it: new WorkflowScheduleIntegration(options) }
  }

  test('a start whose store another integration holds ends stopped, with what waited for it; once freed, start() opens it', async () => {
    const { holder, it } = await heldStore()
    const started = it.start()
    expect(it.getState()).toBe('starting')
    const created = it.createScheduledWorkflow(config('late', '@daily'))
    await expect(started).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' })
    await expect(created).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' })
    expect(it.getState()).toBe('stopped')
    await holder.stop()
    await it.start()
    expect(it.getState()).toBe('running')
    await it.stop()
    expect(it.getState()).toBe('stopped')
  })

  test('stop() during a start whose store cannot be opened: the start rejects with the store\'s error, the stop resolves, and a later start works', async () => {
    const { holder, it } = await heldStore()
    const started = it.start()
    const stopped = it.stop()
    await expect(started).rejects.toMatchObject({ code: 'ERR_STORE_LOCKED' })
    await expect(stopped).resolves.toBeUndefined()
    expect(it.getState()).toBe('stopped')
    await holder.stop()
    await it.start()
    expect(it.getState()).toBe('running')
    await it.stop()
  })
})

test('a change between two stop()s of an initialized SQLite store is stored, and nothing rejects', async () => {
  const file = path.join(dir, 'twice.db')
  const options = { clock: 'manual', store: { type: 'sqlite', path: file }, executor: () => 'ok' }
  const it = new WorkflowScheduleIntegration(options)
  await it.initialize()
  const first = it.stop()
  const created = it.createScheduledWorkflow(config('between', '@daily'))
  const second = it.stop()
  await expect(Promise.all([first, created, second])).resolves.toBeDefined()
  await it.stop()
  expect(it.getState()).toBe('stopped')
  const reader = new WorkflowScheduleIntegration(options)
  await reader.initialize()
  expect(reader.getScheduledWorkflow('between')).toMatchObject({ id: 'between' })
  await reader.stop()
})

describe('every public method in every state answers or refuses with a code', () => {
  const methods = {
    initialize: (it) => it.initialize(),
    getState: (it) => it.getState(),
    ref: (it) => it.ref(),
    unref: (it) => it.unref(),
    createScheduledWorkflow: (it, n) => it.createScheduledWorkflow(config(`c${n}`, '@daily')),
    upsertScheduledWorkflow: (it, n) => it.upsertScheduledWorkflow(config(`u${n}`, '@daily')),
    syncScheduledWorkflows: (it) => it.syncScheduledWorkflows([config('base', '@daily')]),
    schedule: (it, n) => it.schedule(`h${n}`, '@hourly', { timeoutMs: 1000 }, () => 'ok'),
    updateScheduledWorkflow: (it) => it.updateScheduledWorkflow('base', { name: 'renamed' }),
    deleteScheduledWorkflow: (it, n) => it.deleteScheduledWorkflow(`c${n}`),
    getScheduledWorkflow: (it) => it.getScheduledWorkflow('base'),
    getScheduledWorkflows: (it) => it.getScheduledWorkflows(),
    pauseSchedule: (it) => it.pauseSchedule('s-base', 'note'),
    resumeSchedule: (it) => it.resumeSchedule('s-base'),
    enableSchedule: (it) => it.enableSchedule('s-base'),
    disableSchedule: (it) => it.disableSchedule('s-base'),
    triggerScheduledExecution: (it) => it.triggerScheduledExecution('s-base'),
    cancelScheduledExecution: (it) => it.cancelScheduledExecution('missing'),
    retryExecution: (it) => it.retryExecution('missing'),
    backfill: (it) => it.backfill('s-base', new Date('2025-12-01T00:00:00Z'), new Date('2025-12-03T00:00:00Z')),
    getExecution: (it) => it.getExecution('missing'),
    listExecutions: (it) => it.listExecutions({ limit: 5 }),
    getExecutionHistory: (it) => it.getExecutionHistory('s-base'),
    getSkippedOccurrences: (it) => it.getSkippedOccurrences('s-base'),
    getNextExecutionTimes: (it) => it.getNextExecutionTimes('s-base', 2),
    getScheduleWorkflowStatus: (it) => it.getScheduleWorkflowStatus('s-base'),
    getScheduleStatus: (it) => it.getScheduleStatus('s-base'),
    getScheduleHealth: (it) => it.getScheduleHealth('s-base'),
    getScheduleMetrics: (it) => it.getScheduleMetrics('s-base'),
    getSystemMetrics: (it) => it.getSystemMetrics(),
    getIntegrationMetrics: (it) => it.getIntegrationMetrics(),
    getPerformanceMetrics: (it) => it.getPerformanceMetrics(),
    now: (it) => it.now(),
    advanceTime: (it) => it.advanceTime(1000),
    on: (it) => it.on('schedule.created', () => {}),
    removeAllListeners: (it) => it.removeAllListeners(),
    stop: (it) => it.stop({ graceMs: 0 }),
    start: (it) => it.start(),
  }

  /** The outcome of one call: 'ok', or the code it was refused with; anything else fails. */
  async function outcome(fn) {
    try {
      await fn()
      return 'ok'
    } catch (err) {
      if (!(err instanceof Error) || typeof err.code !== 'string') throw new Error(`uncoded failure: ${err && err.stack}`)
      return err.code
    }
  }

  /** A fresh SQLite integration brought to `state`; `release` lets a 'stopping' one finish. */
  async function inState(state) {
    const { runs, executor } = controlled()
    const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z'), store: { type: 'sqlite', path: path.join(dir, `${state}-${Math.random()}.db`) }, executor })
    let pending = Promise.resolve()
    if (state === 'starting') pending = it.start()
    if (state === 'running' || state === 'stopping' || state === 'stopped again') {
      await it.start()
      await it.createScheduledWorkflow(config('base', '@daily'))
    }
    if (state === 'stopping') {
      await it.triggerScheduledExecution('s-base')
      pending = it.stop({ graceMs: 60_000 })
    }
    if (state === 'stopped again') await it.stop()
    expect(it.getState()).toBe(state === 'stopped again' || state === 'new' ? 'stopped' : state)
    const release = async () => {
      for (const r of runs) r.resolve('done')
      await pending.catch(() => {})
      await it.stop({ graceMs: 0 })
    }
    return { it, release }
  }

  const unhandled = []
  const onUnhandled = (e) => unhandled.push(e)
  beforeAll(() => process.on('unhandledRejection', onUnhandled))
  afterAll(() => process.off('unhandledRejection', onUnhandled))

  test.each(['new', 'starting', 'running', 'stopping', 'stopped again'])('state: %s', async (state) => {
    const results = {}
    let n = 0
    for (const [name, call] of Object.entries(methods)) {
      const { it, release } = await inState(state)
      results[name] = await outcome(() => call(it, n++))
      await release()
      expect(it.getState()).toBe('stopped')
    }
    await tick()
    if (process.env.SHOW_GRID) console.log(state, JSON.stringify(results))
    expect(unhandled).toEqual([])
    // Every answer is 'ok' or one of the documented codes.
    const codes = new Set(Object.values(results))
    for (const code of codes) expect(['ok', 'ERR_INVALID_STATE', 'ERR_NOT_FOUND', 'ERR_NOT_MANUAL_CLOCK']).toContain(code)
    // Declarations work in every state but 'stopping'; reads always answer.
    for (const name of ['createScheduledWorkflow', 'upsertScheduledWorkflow', 'syncScheduledWorkflows', 'schedule', 'getScheduledWorkflows', 'getState', 'now', 'on', 'stop', 'advanceTime']) {
      if (state !== 'stopping' || !/Scheduled|schedule$/.test(name)) expect([name, results[name]]).toEqual([name, 'ok'])
    }
  }, 60_000)
})

describe('processes and Jest end on their own', () => {
  test('a manual-clock integration that is never stopped holds no handle: node exits', async () => {
    const r = await child(`
      const it = new tickflow.WorkflowScheduleIntegration({ clock: 'manual', store: { type: 'sqlite', path: 'm.db' } })
      it.schedule('a', '* * * * * *', () => 'ok').then(() => it.start()).then(() => it.advanceTime(5000)).then(() => it.listExecutions()).then((runs) => console.log(runs.length))
    `)
    expect(r.stdout.trim()).toBe('5')
    expect(r.code).toBe(0)
  })

  test('a Jest test that forgets stop() on a manual clock does not keep Jest from exiting', async () => {
    fs.writeFileSync(path.join(dir, 'forgets.test.js'), `
      const { WorkflowScheduleIntegration } = require(${JSON.stringify(ROOT)})
      test('runs a schedule and forgets to stop', async () => {
        const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z') })
        const seen = []
        await it.schedule('every-5s', '*/5 * * * * *', (run) => { seen.push(run.scheduledTime.toISOString()) })
        await it.start()
        await it.advanceTime(10_000)
        expect(seen).toEqual(['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z'])
      })
    `)
    fs.writeFileSync(path.join(dir, 'jest.config.js'), "module.exports = { testEnvironment: 'node', rootDir: __dirname }\n")
    const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js')
    const r = await new Promise((resolve) => {
      execFile(process.execPath, [jest, '--config', path.join(dir, 'jest.config.js')], { cwd: dir, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
        resolve({ code: err ? (err.killed ? 'killed' : err.code) : 0, output: stdout + stderr })
      })
    })
    expect(r.output).toMatch(/Tests:\s+1 passed/)
    expect(r.output).not.toMatch(/did not exit/)
    expect(r.code).toBe(0)
  }, 90_000)
})
