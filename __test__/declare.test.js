// Declaring schedules as a service does at every boot: upsert, sync, the concise
// schedule(id, cron, options, handler), and one id for one job.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { WorkflowScheduleIntegration } = require('..')
const { config, controlled } = require('./support')
const { expectError, rejection } = require('./helpers')

const ROOT = path.join(__dirname, '..')
const START = new Date('2026-01-05T08:00:00Z') // a Monday
let dir
let current
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-declare-'))
})
afterEach(async () => {
  if (current) await current.stop({ graceMs: 0 })
  current = undefined
  fs.rmSync(dir, { recursive: true, force: true })
})

function make(options = {}) {
  current = new WorkflowScheduleIntegration({ clock: 'manual', startTime: START, ...options })
  return current
}

describe('three boots of one service on one SQLite file', () => {
  // Each boot is a child process that declares its schedules, runs an hour of manual time
  // and stops: what a service's main does.
  const boot = (step, pattern) => {
    const script = `
      const { WorkflowScheduleIntegration } = require(${JSON.stringify(ROOT)})
      async function main() {
        const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date(${START.getTime()} + ${step} * 3600000),
          store: { type: 'sqlite', path: 'data/state/schedules.db' } })
        const runs = []
        const out = {}
        out.heartbeat = await it.schedule('heartbeat', ${JSON.stringify(pattern)}, { timeoutMs: 5000 }, (r) => { runs.push(r.scheduleId) })
        out.sync = await it.syncScheduledWorkflows([
          { id: 'report', workflowId: 'wf-report', scheduleConfig: { cronExpression: '0 9 * * 1-5', timezone: 'Europe/Berlin' } },
        ])
        await it.start()
        await it.advanceTime(3600000)
        out.runs = runs.length
        out.history = (await it.getExecutionHistory('heartbeat')).totalCount
        out.pattern = it.getScheduledWorkflow('heartbeat').scheduleConfig.cronExpression
        await it.stop()
        console.log(JSON.stringify(out))
      }
      main().catch((e) => { console.error(e.code, e.message); process.exit(1) })
    `
    return JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }))
  }

  test('created, then unchanged, then updated with a new pattern; history kept', () => {
    const first = boot(0, '*/15 * * * *')
    expect(first).toEqual({ heartbeat: 'created', sync: { created: ['report'], updated: [], unchanged: [], deleted: [] }, runs: 4, history: 4, pattern: '*/15 * * * *' })
    // Missing folders were created, private to the user.
    expect(fs.statSync(path.join(dir, 'data', 'state')).mode & 0o777).toBe(0o700)
    const second = boot(1, '*/15 * * * *')
    expect(second).toEqual({ heartbeat: 'unchanged', sync: { created: [], updated: [], unchanged: ['report'], deleted: [] }, runs: 4, history: 8, pattern: '*/15 * * * *' })
    const third = boot(2, '*/30 * * * *')
    expect(third).toEqual({ heartbeat: 'updated', sync: { created: [], updated: [], unchanged: ['report'], deleted: [] }, runs: 2, history: 10, pattern: '*/30 * * * *' })
  })
})

describe('upsert and sync', () => {
  test('upsert reports what it did; sync with deleteMissing removes the rest in one go', async () => {
    const it = make({ executor: () => 'ok' })
    const events = []
    it.on('event', (e) => events.push(e.type))
    expect(await it.upsertScheduledWorkflow(config('a', '@daily'))).toBe('created')
    expect(await it.upsertScheduledWorkflow(config('a', '@daily'))).toBe('unchanged')
    expect(await it.upsertScheduledWorkflow(config('a', '@hourly'))).toBe('updated')
    expect(events).toEqual(['schedule.created', 'schedule.updated'])
    await it.start()
    expect(await it.syncScheduledWorkflows([config('b', '@daily')], { deleteMissing: true })).toEqual({ created: ['b'], updated: [], unchanged: [], deleted: ['a'] })
    const bad = await rejection(it.syncScheduledWorkflows([config('c', '@daily'), config('d', 'every day')]))
    expect(bad).toBeInstanceOf(RangeError)
    expect(bad).toMatchObject({ code: 'ERR_INVALID_CRON', path: 'configs[1].scheduleConfig.cronExpression' })
    expect(it.getScheduledWorkflow('c')).toBeNull() // nothing of a refused list was applied
    expectError(() => { throw bad }, { name: 'RangeError', code: 'ERR_INVALID_CRON' })
    await expect(it.syncScheduledWorkflows('b')).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'configs' })
    await expect(it.syncScheduledWorkflows([], { deleteMissing: 'yes' })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', path: 'options.deleteMissing' })
  })
})

describe('one id for one job', () => {
  test('the id createScheduledWorkflow returns is the one every schedule method takes', async () => {
    const it = make({ executor: () => 'done' })
    await it.start()
    const id = await it.createScheduledWorkflow({ id: 'nightly', workflowId: 'wf-report', scheduleConfig: { cronExpression: '0 2 * * *' } })
    expect(id).toBe('nightly')
    await it.pauseSchedule(id, 'maintenance')
    const execution = await it.triggerScheduledExecution(id)
    await new Promise((resolve) => setImmediate(resolve))
    expect(await it.getExecution(execution)).toMatchObject({ scheduleId: 'nightly', scheduledWorkflowId: 'nightly', workflowId: 'wf-report', status: 'completed' })
    expect((await it.getExecutionHistory(id)).totalCount).toBe(1)
  })

  test('a config id where a schedule id is meant: NOT_FOUND names the right one', async () => {
    const it = make({ executor: () => 'done' })
    await it.createScheduledWorkflow(config('job', '@daily')) // scheduleId 's-job'
    const err = await rejection(it.pauseSchedule('job'))
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('ERR_NOT_FOUND')
    expect(err.message).toBe("schedule 'job' not found; 'job' is a scheduled workflow's id (config.id), and its schedule id is 's-job'")
  })
})

describe('the concise API', () => {
  test('every 5 seconds plus weekdays at 09:00 in Berlin, a handler each, no executor', async () => {
    const it = make({ startTime: new Date('2026-01-05T07:59:55Z') })
    const seen = []
    await it.schedule('heartbeat', '*/5 * * * * *', (run) => seen.push(['heartbeat', run.scheduledTime.toISOString()]))
    await it.schedule('report', '0 9 * * 1-5', { timezone: 'Europe/Berlin', retries: { maxAttempts: 3, delayMs: 1000 } }, (run) => {
      seen.push(['report', run.scheduledTime.toISOString(), run.attempt])
      if (run.attempt === 1) throw Object.assign(new Error('mail server busy'), { code: 'BUSY' })
      return 'sent'
    })
    await it.start()
    await it.advanceTime(10_000) // 07:59:55Z to 08:00:05Z, which is 09:00:05 in Berlin
    expect(seen.filter(([name]) => name === 'heartbeat')).toEqual([['heartbeat', '2026-01-05T08:00:00.000Z'], ['heartbeat', '2026-01-05T08:00:05.000Z']])
    // 09:00 Berlin on a Monday; the first attempt fails and is retried a second later.
    expect(seen.filter(([name]) => name === 'report')).toEqual([['report', '2026-01-05T08:00:00.000Z', 1], ['report', '2026-01-05T08:00:00.000Z', 2]])
    expect((await it.listExecutions({ scheduleId: 'report' }))[0]).toMatchObject({ status: 'completed', result: { success: true, output: 'sent' } })
    // One process declares an id once; the next boot's same declaration changes nothing
    // (the three-boots test above), and a changed one is an update.
    await expect(it.schedule('heartbeat', '*/10 * * * * *', () => {})).rejects.toMatchObject({ code: 'ERR_DUPLICATE_ID', path: 'id' })
    expect(it.getScheduledWorkflow('heartbeat').scheduleConfig.cronExpression).toBe('*/5 * * * * *')
  })

  test('options are checked by the schedules file rules, with coded errors and paths', async () => {
    const it = make()
    const fn = () => 'ok'
    await expect(it.schedule('a', '* * * * *', { timeoutMs: -5 }, fn)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'options.timeoutMs', value: -5 })
    await expect(it.schedule('a', '* * * * *', { retries: { maxAttempts: '3' } }, fn)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.retries.maxAttempts' })
    await expect(it.schedule('a', '* * * * *', { overlap: 'skip' }, fn)).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_UNKNOWN_OPTION', path: 'options.overlap' })
    await expect(it.schedule('a', '* * * * *', { overlapPolicy: 'never' }, fn)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_OPTION_VALUE', path: 'options.overlapPolicy' })
    await expect(it.schedule('a', '* * * * *', { onInterrupt: 'retry' }, fn)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_OPTION_VALUE', path: 'options.onInterrupt', value: 'retry' })
    await expect(it.schedule('a', 'every minute', undefined, fn)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_CRON', path: 'cron' })
    await expect(it.schedule('a', '* * * * *', { timezone: 'Mars/Base' }, fn)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TIMEZONE', path: 'options.timezone' })
    await expect(it.schedule('a b', '* * * * *', fn)).rejects.toMatchObject({ name: 'RangeError', path: 'id' })
    await expect(it.schedule('a', '* * * * *', {})).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'handler' })
    expect(it.getScheduledWorkflows()).toEqual([])
    // Dates may be Dates or text, as in the file.
    expect(await it.schedule('a', '* * * * *', { startDate: new Date('2026-02-01T00:00:00Z'), endDate: '2026-03-01T00:00:00Z', onInterrupt: 'fail' }, fn)).toBe('created')
    expect(it.getScheduledWorkflow('a').scheduleConfig.onInterrupt).toBe('fail')
    expect(it.getNextExecutionTimes('a', 1)[0].toISOString()).toBe('2026-02-01T00:00:00.000Z')
  })

  test('a schedule restored without a handler runs through the executor, or is skipped (no_handler)', async () => {
    const file = path.join(dir, 'state.db')
    const first = make({ store: { type: 'sqlite', path: file } })
    await first.schedule('orphan', '*/10 * * * * *', () => 'ok')
    await first.stop()
    const { runs, executor } = controlled()
    const withExecutor = make({ store: { type: 'sqlite', path: file }, executor })
    await withExecutor.start()
    await withExecutor.advanceTime(10_000)
    expect(runs.map((r) => r.request.scheduleId)).toEqual(['orphan'])
    runs[0].resolve('via executor')
    await withExecutor.stop()
    const bare = make({ store: { type: 'sqlite', path: file }, startTime: new Date(START.getTime() + 20_000) })
    await bare.start()
    await bare.advanceTime(10_000)
    // Only the run through the executor: the fire without a handler is skipped, not failed.
    expect((await bare.listExecutions({ scheduleId: 'orphan' })).map((e) => e.status)).toEqual(['completed'])
    expect((await bare.getSkippedOccurrences('orphan')).map((s) => [s.reason, s.scheduledTime.getTime() - START.getTime()])).toEqual([['no_handler', 20_000], ['no_handler', 30_000]])
  })
})
