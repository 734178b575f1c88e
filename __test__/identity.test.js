// Identity and input: execution ids unique across stores and ordered by creation, ISO 8601
// strings wherever a Date is taken, one-off runs, user values shaped like the wire's Dates,
// and NUL characters in ids.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { WorkflowScheduleIntegration, nextRuns } = require('..')
const { START, config, manual } = require('./support')
const { rejection, thrown } = require('./helpers')

const ID = /^exec_[0-9a-hjkmnp-tv-z]{23}$/
const SECOND = 1000
const MINUTE = 60 * SECOND
const at = (ms) => new Date(START.getTime() + ms)

let dir
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-identity-'))
})
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

function sqlite(file, options = {}) {
  return new WorkflowScheduleIntegration({ executor: async () => 'ok', clock: 'manual', startTime: START, store: { type: 'sqlite', path: file }, ...options })
}

async function triggerMany(integration, count) {
  await integration.createScheduledWorkflow(config('a', '0 0 1 1 *', { scheduleConfig: { overlapPolicy: 'allow' } }))
  const ids = []
  for (let i = 0; i < count; i++) ids.push(await integration.triggerScheduledExecution('s-a'))
  return ids
}

describe('execution ids', () => {
  test('two fresh stores (SQLite files, memory) make disjoint ids', async () => {
    const memory = new WorkflowScheduleIntegration({ executor: async () => 'ok', clock: 'manual', startTime: START })
    const stores = [sqlite(path.join(dir, 'one.db')), sqlite(path.join(dir, 'two.db')), memory]
    const all = []
    for (const integration of stores) {
      await integration.start()
      all.push(...(await triggerMany(integration, 50)))
      await integration.stop()
    }
    for (const id of all) expect(id).toMatch(ID)
    expect(new Set(all).size).toBe(all.length)
  })

  test('ids sort by creation, within one integration and across integrations in one process', async () => {
    const first = (await manual(async () => 'ok')).integration
    const earlier = await triggerMany(first, 200)
    expect([...earlier].sort()).toEqual(earlier)
    // The time part is the system clock's millisecond: once it has moved on, a second
    // integration's ids sort after the first's.
    const last = Date.now()
    while (Date.now() <= last) await new Promise((resolve) => setImmediate(resolve))
    const second = (await manual(async () => 'ok')).integration
    const later = await triggerMany(second, 20)
    expect([...earlier, ...later].sort()).toEqual([...earlier, ...later])
    // A record is found by its id.
    expect((await first.getExecution(earlier[0])).id).toBe(earlier[0])
    await Promise.all([first.stop(), second.stop()])
  })
})

describe('ISO 8601 strings wherever a Date is taken', () => {
  test('config dates in create, upsert, sync and update are kept as Dates', async () => {
    const { integration } = await manual(async () => 'ok', { startTime: '2026-01-01T00:00:00Z' })
    expect(integration.now()).toEqual(START)
    const withStart = (startDate) => config('a', '0 * * * *', { scheduleConfig: { startDate } })
    await integration.createScheduledWorkflow(withStart('2026-01-01T03:30:00+01:00'))
    const stored = integration.getScheduledWorkflow('a')
    expect(stored.scheduleConfig.startDate).toEqual(at(150 * MINUTE))
    expect(integration.getNextExecutionTimes('s-a', 1)).toEqual([at(3 * 60 * MINUTE)])
    // The same instant as a Date is the same configuration.
    expect(await integration.upsertScheduledWorkflow(withStart(at(150 * MINUTE)))).toBe('unchanged')
    const synced = await integration.syncScheduledWorkflows([withStart('2026-01-01T02:30:00.000Z'), config('b', '0 * * * *', { scheduleConfig: { endDate: '2026-01-02T00:00:00Z' } })])
    expect(synced).toMatchObject({ unchanged: ['a'], created: ['b'] })
    expect(integration.getScheduledWorkflow('b').scheduleConfig.endDate).toEqual(new Date('2026-01-02T00:00:00Z'))
    await integration.updateScheduledWorkflow('b', { scheduleConfig: { endDate: '2026-01-03T00:00:00Z' } })
    expect(integration.getScheduledWorkflow('b').scheduleConfig.endDate).toEqual(new Date('2026-01-03T00:00:00Z'))
    await integration.stop()
  })

  test('backfill, filters and cron functions take ISO strings', async () => {
    const { integration } = await manual(async () => 'ok')
    await integration.createScheduledWorkflow(config('a', '*/10 * * * *', { scheduleConfig: { overlapPolicy: 'allow' } }))
    const ids = await integration.backfill('s-a', '2025-12-31T23:00:00Z', '2025-12-31T23:30:00Z')
    expect(ids).toHaveLength(3)
    // The backfilled executions were made at START.
    expect(await integration.listExecutions({ executedAfter: '2025-12-31T23:59:59Z' })).toHaveLength(3)
    expect(await integration.listExecutions({ executedAfter: '2026-01-01T01:00:00+01:00', executedBefore: '2026-01-01T00:00:01Z' })).toHaveLength(3)
    expect(await integration.listExecutions({ executedAfter: '2026-01-01T00:00:01Z' })).toHaveLength(0)
    expect(nextRuns('0 * * * *', { from: '2026-01-01T00:30:00+00:00', count: 1 })).toEqual([at(60 * MINUTE)])
    await integration.stop()
  })

  test('a bad string is a RangeError with the path and the value; one without an offset says so', async () => {
    const { integration } = await manual(async () => 'ok')
    let err = await rejection(integration.createScheduledWorkflow(config('a', '* * * * *', { scheduleConfig: { startDate: '2026-01-01T09:00:00' } })))
    expect(err).toBeInstanceOf(RangeError)
    expect(err).toMatchObject({ code: 'ERR_INVALID_DATE', path: 'config.scheduleConfig.startDate', value: '2026-01-01T09:00:00' })
    expect(err.message).toMatch(/no zone offset: add 'Z'/)
    err = await rejection(integration.syncScheduledWorkflows([config('a', '* * * * *', { scheduleConfig: { endDate: 'next tuesday' } })]))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'configs[0].scheduleConfig.endDate', value: 'next tuesday' })
    await integration.createScheduledWorkflow(config('a', '* * * * *'))
    err = await rejection(integration.backfill('s-a', '2026-02-30T00:00:00Z', '2026-03-01T00:00:00Z'))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'from', value: '2026-02-30T00:00:00Z' })
    err = thrown(() => nextRuns('* * * * *', { from: 'soon' }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'options.from', value: 'soon' })
    err = thrown(() => new WorkflowScheduleIntegration({ clock: 'manual', startTime: '2026-01-01' }))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'options.startTime' })
    await integration.stop()
  })
})

describe('one-off runs: schedule(id, when, options?, handler)', () => {
  test('fires once at the first whole second at or after the instant, and shows as upcoming', async () => {
    const { integration, events } = await manual(undefined)
    const runs = []
    expect(await integration.schedule('once', at(90 * SECOND + 250), (r) => runs.push(r))).toBe('created')
    expect(await integration.schedule('iso', '2026-01-01T01:00:30+01:00', { metadata: { kind: 'iso' } }, (r) => runs.push(r))).toBe('created')
    expect(integration.getNextExecutionTimes('once', 5)).toEqual([at(91 * SECOND)])
    expect(integration.getNextExecutionTimes('iso', 5)).toEqual([at(30 * SECOND)])
    expect(integration.getScheduledWorkflow('once').scheduleConfig).toMatchObject({ cronExpression: '31 1 0 1 1 * 2026', timezone: 'UTC', maxExecutions: 1 })
    await integration.advanceTime(10 * MINUTE)
    expect(runs.map((r) => [r.scheduleId, r.triggerType, r.scheduledTime])).toEqual([
      ['iso', 'scheduled', at(30 * SECOND)],
      ['once', 'scheduled', at(91 * SECOND)],
    ])
    expect(runs[0].metadata).toMatchObject({ kind: 'iso' })
    expect(integration.getNextExecutionTimes('once', 5)).toEqual([])
    expect(events.filter((e) => e.type === 'workflow.completed')).toHaveLength(2)
    await integration.stop()
  })

  test('an instant not after now is refused, and timing options are refused', async () => {
    const { integration } = await manual(undefined)
    let err = await rejection(integration.schedule('late', START, () => {}))
    expect(err).toBeInstanceOf(RangeError)
    expect(err).toMatchObject({ code: 'ERR_DATE_IN_PAST', path: 'when', value: START })
    err = await rejection(integration.schedule('late', '2025-12-31T23:59:59Z', () => {}))
    expect(err).toMatchObject({ code: 'ERR_DATE_IN_PAST', path: 'when', value: '2025-12-31T23:59:59Z' })
    err = await rejection(integration.schedule('tz', at(MINUTE), { timezone: 'Europe/Berlin' }, () => {}))
    expect(err).toMatchObject({ name: 'TypeError', code: 'ERR_UNKNOWN_OPTION', path: 'options.timezone' })
    err = await rejection(integration.schedule('local', '2026-01-01T10:00:00', () => {}))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_INVALID_DATE', path: 'when' })
    err = await rejection(integration.schedule('far', '2200-01-01T00:00:00Z', () => {}))
    expect(err).toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'when' })
    expect(integration.getScheduledWorkflows()).toEqual([])
    await integration.stop()
  })

  test('kept in a SQLite store: declared again at later boots, it fires once', async () => {
    const file = path.join(dir, 'once.db')
    const runs = []
    const handler = (r) => runs.push([r.scheduleId, r.triggerType, r.scheduledTime])
    const first = sqlite(file)
    await first.schedule('soon', at(10 * MINUTE), handler)
    await first.schedule('later', '2026-01-01T02:00:00Z', handler)
    await first.start()
    await first.stop()

    // Reopened before 'soon' and after 'later' was due.
    const second = sqlite(file, { startTime: at(5 * MINUTE) })
    expect(await second.schedule('soon', at(10 * MINUTE), handler)).toBe('unchanged')
    expect(await second.schedule('later', '2026-01-01T02:00:00Z', handler)).toBe('unchanged')
    expect(second.getNextExecutionTimes('soon')).toEqual([at(10 * MINUTE)])
    await second.start()
    await second.advanceTime(2 * 60 * MINUTE)
    await second.stop()

    const third = sqlite(file, { startTime: at(3 * 60 * MINUTE) })
    // Past now, but stored: a boot declaring it again is not refused, and nothing runs again.
    expect(await third.schedule('soon', at(10 * MINUTE), handler)).toBe('unchanged')
    expect(await third.schedule('later', '2026-01-01T02:00:00Z', handler)).toBe('unchanged')
    await third.start()
    await third.advanceTime(60 * MINUTE)
    expect(runs).toEqual([
      ['soon', 'scheduled', at(10 * MINUTE)],
      ['later', 'scheduled', at(2 * 60 * MINUTE)],
    ])
    await third.stop()
  })

  test('a one-off missed while stopped follows the catch-up policy', async () => {
    const file = path.join(dir, 'missed.db')
    const runs = []
    const handler = (r) => runs.push([r.scheduleId, r.triggerType, r.scheduledTime])
    const first = sqlite(file)
    await first.schedule('missed', at(10 * MINUTE), handler)
    await first.start()
    await first.stop()
    const second = sqlite(file, { startTime: at(60 * MINUTE) })
    expect(await second.schedule('missed', at(10 * MINUTE), handler)).toBe('unchanged')
    await second.start()
    await second.advanceTime(0)
    expect(runs).toEqual([['missed', 'catchup', at(10 * MINUTE)]])
    await second.stop()
  })
})

describe('user values shaped like a Date on the wire', () => {
  const shaped = { lone: { $date: 5 }, esc: { $esc: { $date: 6 } }, pair: { $date: 1, x: 2 }, list: [{ $date: 3 }], real: new Date(7) }

  test('metadata, variables, context and results come back exactly, from memory and from SQLite', async () => {
    const file = path.join(dir, 'values.db')
    const seen = []
    const integration = sqlite(file, {
      executor: (r) => {
        seen.push(r)
        return { $date: 9 }
      },
    })
    await integration.start()
    await integration.createScheduledWorkflow(config('a', '0 0 1 1 *', { metadata: { ...shaped }, executionConfig: { variables: { $date: 8 } } }))
    const completed = new Promise((resolve) => integration.once('workflow.completed', resolve))
    const id = await integration.triggerScheduledExecution('s-a', { $date: 4 })
    const event = await completed
    expect(seen[0].metadata).toEqual(shaped)
    expect(seen[0].metadata.real).toBeInstanceOf(Date)
    expect(seen[0].variables).toEqual({ $date: 8 })
    expect(seen[0].context).toEqual({ $date: 4 })
    expect(event.result).toEqual({ $date: 9 })
    expect(event.result).not.toBeInstanceOf(Date)
    expect(integration.getScheduledWorkflow('a').metadata).toEqual(shaped)
    expect((await integration.getExecution(id)).result.output).toEqual({ $date: 9 })
    await integration.stop()

    const reopened = sqlite(file)
    await reopened.initialize()
    const record = await reopened.getExecution(id)
    expect(record.result.output).toEqual({ $date: 9 })
    expect(reopened.getScheduledWorkflow('a').metadata).toEqual(shaped)
    await reopened.stop()
  })
})

describe('a NUL character in an id', () => {
  const expectNul = (err, where) => {
    expect(err).toBeInstanceOf(RangeError)
    expect(err).toMatchObject({ code: 'ERR_INVALID_ID', path: where })
    expect(err.value).toContain('\0')
  }

  test('is refused at the check, with the path', async () => {
    const { integration } = await manual(async () => 'ok')
    expectNul(await rejection(integration.createScheduledWorkflow(config('a\0b', '* * * * *'))), 'config.id')
    expectNul(await rejection(integration.createScheduledWorkflow(config('a', '* * * * *', { scheduleId: 's\0' }))), 'config.scheduleId')
    expectNul(await rejection(integration.upsertScheduledWorkflow(config('a', '* * * * *', { workflowId: 'w\0' }))), 'config.workflowId')
    expectNul(await rejection(integration.syncScheduledWorkflows([config('a', '* * * * *'), config('b\0', '* * * * *')])), 'configs[1].id')
    expectNul(await rejection(integration.schedule('x\0', '* * * * *', () => {})), 'id')
    expectNul(await rejection(integration.triggerScheduledExecution('s\0a')), 'scheduleId')
    expectNul(await rejection(integration.cancelScheduledExecution('exec_\0')), 'executionId')
    expectNul(await rejection(integration.retryExecution('exec_\0')), 'executionId')
    expectNul(await rejection(integration.getExecution('exec_\0')), 'executionId')
    expect(integration.getScheduledWorkflows()).toEqual([])
    await integration.stop()
    const store = { type: 'postgres', connectionString: 'postgres://tickflow@127.0.0.1:1/none' }
    expectNul(thrown(() => new WorkflowScheduleIntegration({ store, nodeId: 'node\0' })), 'options.nodeId')
  })
})
