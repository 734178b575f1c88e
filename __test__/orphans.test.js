// Nothing orphaned: a schedule that schedule() declared on an earlier boot and this boot
// does not is skipped (no_handler), recorded, counted and named in its health, not failed
// at every fire; start({ undeclared }) pauses or deletes such schedules; one id is declared
// once per process.
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { WorkflowScheduleIntegration } = require('..')
const { dashboard } = require('../lib/dashboard')
const { config } = require('./support')
const { rejection } = require('./helpers')

const START = new Date('2026-01-05T08:00:00Z')
let dir
let file
let current = []
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-orphans-'))
  file = path.join(dir, 'state.db')
})
afterEach(async () => {
  for (const it of current) await it.stop({ graceMs: 0 })
  current = []
  fs.rmSync(dir, { recursive: true, force: true })
})

/** One boot of a service on the SQLite file, its clock `offsetMs` after START. */
function boot(offsetMs = 0, options = {}) {
  const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date(START.getTime() + offsetMs), store: { type: 'sqlite', path: file }, ...options })
  current.push(it)
  return it
}

/** First boot: 'report' and 'cleanup' declared with schedule(), 'legacy' made by createScheduledWorkflow. */
async function firstBoot() {
  const it = boot()
  await it.schedule('report', '*/10 * * * * *', () => 'sent')
  await it.schedule('cleanup', '*/10 * * * * *', () => 'cleaned')
  await it.createScheduledWorkflow(config('legacy', '0 0 1 1 *'))
  await it.stop()
}

test('a schedule the second boot does not declare is skipped no_handler: recorded, counted, named in its health', async () => {
  await firstBoot()
  const it = boot(0)
  const runs = []
  await it.schedule('report', '*/10 * * * * *', (r) => runs.push(r.scheduleId))
  const skipped = []
  it.on('schedule.skipped', (e) => skipped.push([e.scheduleId, e.reason, e.scheduledTime.toISOString()]))
  await it.start()
  await it.advanceTime(20_000)
  expect(runs).toEqual(['report', 'report'])
  expect(skipped).toEqual([
    ['cleanup', 'no_handler', '2026-01-05T08:00:10.000Z'],
    ['cleanup', 'no_handler', '2026-01-05T08:00:20.000Z'],
  ])
  // Not failed: no execution at all.
  expect(await it.listExecutions({ scheduleId: 'cleanup' })).toEqual([])
  expect((await it.getSkippedOccurrences('cleanup')).map((s) => s.reason)).toEqual(['no_handler', 'no_handler'])
  expect(await it.metrics()).toContain('tickflow_skipped_fires_total{schedule="cleanup",reason="no_handler"} 2')
  const health = await it.getScheduleHealth('cleanup')
  expect(health.status).toBe('warning')
  const issue = health.issues.find((i) => i.type === 'configuration')
  expect(issue.message).toMatch(/^undeclared: schedule\(\) created 'cleanup' on an earlier boot/)
  expect(issue.message).toContain("deleteScheduledWorkflow('cleanup')")
  expect(issue.message).toContain("{ undeclared: 'pause' }")
  expect((await it.getScheduleHealth('report')).issues).toEqual([])
  // The dashboard marks it.
  const server = http.createServer(dashboard(it))
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  try {
    const overview = await (await fetch(`http://127.0.0.1:${server.address().port}/api/overview`)).json()
    const row = (id) => overview.schedules.find((r) => r.scheduleId === id)
    expect(row('cleanup')).toMatchObject({ handled: false, undeclared: true })
    expect(row('report')).toMatchObject({ handled: true, undeclared: false })
    expect(row('s-legacy')).toMatchObject({ handled: false, undeclared: false })
  } finally {
    await new Promise((resolve) => server.close(resolve))
  }
  // A manual run of it is refused, with a code, in the caller's realm.
  const err = await rejection(it.triggerScheduledExecution('cleanup'))
  expect(err).toBeInstanceOf(Error)
  expect(err).toMatchObject({ code: 'ERR_NO_HANDLER' })
  expect(err.message).toContain("schedule 'cleanup' has no handler in this process")
  await expect(it.backfill('cleanup', START, new Date(START.getTime() + 60_000))).rejects.toMatchObject({ code: 'ERR_NO_HANDLER' })
  await it.stop()

  // The skips are kept in the store, and count again after a restart.
  const third = boot(20_000, { executor: () => 'via executor' })
  await third.initialize()
  expect((await third.getSkippedOccurrences('cleanup')).map((s) => [s.reason, s.scheduledTime.toISOString()])).toEqual([
    ['no_handler', '2026-01-05T08:00:10.000Z'],
    ['no_handler', '2026-01-05T08:00:20.000Z'],
  ])
  expect(await third.metrics()).toContain('tickflow_skipped_fires_total{schedule="cleanup",reason="no_handler"} 2')
  // With an executor every schedule has a handler: nothing is undeclared-skipped.
  expect((await third.getScheduleHealth('cleanup')).issues.some((i) => i.type === 'configuration')).toBe(false)
})

test("start({ undeclared: 'pause' }) pauses what schedule() made on an earlier boot, nothing else", async () => {
  await firstBoot()
  const it = boot()
  await it.schedule('report', '*/10 * * * * *', () => 'sent')
  const paused = []
  it.on('schedule.paused', (e) => paused.push([e.scheduleId, e.note]))
  await it.start({ undeclared: 'pause' })
  expect(paused).toEqual([['cleanup', 'undeclared: schedule() did not declare it in this process']])
  expect(await it.getScheduleStatus('cleanup')).toMatchObject({ status: 'paused', pauseNote: 'undeclared: schedule() did not declare it in this process' })
  expect((await it.getScheduleStatus('report')).status).toBe('active')
  // createScheduledWorkflow's schedule is not schedule()'s: left as it is.
  expect((await it.getScheduleStatus('s-legacy')).status).toBe('active')
  await it.advanceTime(20_000)
  expect(await it.getSkippedOccurrences('cleanup')).toEqual([])
  // Paused in the store: the next boot finds it so.
  await it.stop()
  const next = boot(20_000)
  await next.initialize()
  expect((await next.getScheduleStatus('cleanup')).status).toBe('paused')
})

test("start({ undeclared: 'delete' }) deletes what schedule() made on an earlier boot; declaring it again is fine", async () => {
  await firstBoot()
  const it = boot()
  await it.schedule('report', '*/10 * * * * *', () => 'sent')
  const deleted = []
  it.on('schedule.deleted', (e) => deleted.push(e.scheduleId))
  await it.start({ undeclared: 'delete' })
  expect(deleted).toEqual(['cleanup'])
  expect(it.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(['legacy', 'report'])
  const runs = []
  expect(await it.schedule('cleanup', '*/10 * * * * *', (r) => runs.push(r.scheduleId))).toBe('created')
  await it.advanceTime(10_000)
  expect(runs).toEqual(['cleanup'])
})

test("start({ undeclared: 'keep' }) is the default; other values are refused with a code", async () => {
  const it = boot()
  await expect(it.start({ undeclared: 'drop' })).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_OPTION_VALUE', path: 'options.undeclared', value: 'drop' })
  await expect(it.start({ undeclared: true })).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options.undeclared' })
  await expect(it.start('pause')).rejects.toMatchObject({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'options' })
  expect(it.getState()).toBe('stopped')
  await it.start({ undeclared: 'keep' })
  expect(it.getState()).toBe('running')
})

test('a second schedule() of one id in one process is refused (ERR_DUPLICATE_ID); the first stays', async () => {
  const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: START })
  current.push(it)
  const runs = []
  await it.schedule('dup', '*/10 * * * * *', () => runs.push('first'))
  const err = await rejection(it.schedule('dup', '*/5 * * * * *', () => runs.push('second')))
  expect(err).toBeInstanceOf(Error)
  expect(err).toMatchObject({ code: 'ERR_DUPLICATE_ID', path: 'id', value: 'dup' })
  expect(err.message).toContain("schedule 'dup' is already declared in this process")
  // Two at once, without awaiting the first: the second is refused too.
  const both = await Promise.allSettled([it.schedule('twice', '@daily', () => {}), it.schedule('twice', '@daily', () => {})])
  expect(both.map((r) => r.status)).toEqual(['fulfilled', 'rejected'])
  await it.start()
  await it.advanceTime(10_000)
  expect(runs).toEqual(['first'])
  expect(it.getScheduledWorkflow('dup').scheduleConfig.cronExpression).toBe('*/10 * * * * *')
  // Deleted, the id may be declared again.
  await it.deleteScheduledWorkflow('dup')
  expect(await it.schedule('dup', '*/5 * * * * *', () => runs.push('second'))).toBe('created')
  await it.advanceTime(5_000)
  expect(runs).toEqual(['first', 'second'])
})
