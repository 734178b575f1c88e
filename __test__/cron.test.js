const { execFileSync } = require('node:child_process')
const path = require('node:path')
const { nextRuns, previousRuns, validateCron, describeCron, CronEngine, SyncCronEngine } = require('..')
const { expectError, iso } = require('./helpers')

const from = new Date('2026-01-01T00:00:00Z')

describe('nextRuns', () => {
  test('returns Dates strictly after from, default count 5', () => {
    const runs = nextRuns('*/5 * * * *', { from: new Date('2026-01-01T00:05:00Z') })
    expect(runs.every((d) => Object.prototype.toString.call(d) === '[object Date]')).toBe(true)
    expect(iso(runs)).toEqual([
      '2026-01-01T00:10:00.000Z',
      '2026-01-01T00:15:00.000Z',
      '2026-01-01T00:20:00.000Z',
      '2026-01-01T00:25:00.000Z',
      '2026-01-01T00:30:00.000Z',
    ])
  })

  test('from defaults to now', () => {
    const before = Date.now()
    const [first] = nextRuns('* * * * * *', { count: 1 })
    expect(first.getTime()).toBeGreaterThan(before)
    expect(first.getTime()).toBeLessThanOrEqual(Math.ceil((Date.now() + 1) / 1000) * 1000)
  })

  test('the OCPS dialect, each feature', () => {
    const n = (p, count = 3, f = from) => iso(nextRuns(p, { from: f, count }))
    expect(n('*/20 * * * * *')).toEqual(['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z'])
    expect(n('0 0 12 1 1 * 2030', 3)).toEqual(['2030-01-01T12:00:00.000Z'])
    expect(n('0 9 * jan-MAR Mon-Fri', 2)).toEqual(['2026-01-01T09:00:00.000Z', '2026-01-02T09:00:00.000Z'])
    expect(n('0 0 * * 7', 1)).toEqual(['2026-01-04T00:00:00.000Z'])
    expect(n('0 0 * * 0', 1)).toEqual(['2026-01-04T00:00:00.000Z'])
    expect(n('@weekly', 1)).toEqual(['2026-01-04T00:00:00.000Z'])
    expect(n('@hourly', 1)).toEqual(['2026-01-01T01:00:00.000Z'])
    expect(n('0 0 L * *', 2)).toEqual(['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z'])
    expect(n('0 0 * * 5L', 2)).toEqual(['2026-01-30T00:00:00.000Z', '2026-02-27T00:00:00.000Z'])
    expect(n('0 0 15W * *', 2, new Date('2026-02-01T00:00:00Z'))).toEqual(['2026-02-16T00:00:00.000Z', '2026-03-16T00:00:00.000Z'])
    expect(n('0 0 LW * *', 1)).toEqual(['2026-01-30T00:00:00.000Z'])
    expect(n('0 0 * * 5#2', 2)).toEqual(['2026-01-09T00:00:00.000Z', '2026-02-13T00:00:00.000Z'])
    expect(n('0 0 1 * ?', 1)).toEqual(['2026-02-01T00:00:00.000Z'])
    expect(n('0 0 13 * 5', 2, new Date('2026-02-01T00:00:00Z'))).toEqual(['2026-02-06T00:00:00.000Z', '2026-02-13T00:00:00.000Z'])
    expect(n('0 12 1 * +MON', 2)).toEqual(['2026-06-01T12:00:00.000Z', '2027-02-01T12:00:00.000Z'])
    expect(n(' \t0   12 * * *\t ', 1)).toEqual(['2026-01-01T12:00:00.000Z'])
  })

  test('a pattern that runs out yields fewer results, not an error', () => {
    expect(nextRuns('0 0 0 1 1 * 2027-2028', { from, count: 10 })).toHaveLength(2)
    expect(nextRuns('0 0 30 2 *', { from, count: 10 })).toEqual([])
  })

  test('time zones and daylight saving time', () => {
    const n = (p, timezone, f, count, dstGap) => iso(nextRuns(p, { from: new Date(f), timezone, count, dstGap }))
    // US spring forward, 2026-03-08: 02:30 does not exist.
    expect(n('30 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', 3)).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ])
    expect(n('30 2 * * *', 'America/New_York', '2026-03-07T00:00:00Z', 2, 'skip')).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ])
    // US fall back, 2026-11-01: fixed hour once, `*` hour through both copies.
    expect(n('30 1 * * *', 'America/New_York', '2026-10-31T12:00:00Z', 2)).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ])
    expect(n('*/30 * * * *', 'America/New_York', '2026-11-01T04:45:00Z', 5)).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:00:00.000Z',
    ])
    // EU, 2026-03-29 and 2026-10-25.
    expect(n('30 2 * * *', 'Europe/Berlin', '2026-03-28T12:00:00Z', 1)).toEqual(['2026-03-29T01:00:00.000Z'])
    expect(n('30 2 * * *', 'Europe/Berlin', '2026-10-24T12:00:00Z', 2)).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-26T01:30:00.000Z',
    ])
    // Lord Howe moves by 30 minutes.
    expect(n('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', 1)).toEqual(['2026-10-03T15:30:00.000Z'])
    expect(n('15 2 * * *', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', 1, 'skip')).toEqual(['2026-10-04T15:15:00.000Z'])
    expect(n('45 1 * * *', 'Australia/Lord_Howe', '2026-04-04T00:00:00Z', 2)).toEqual([
      '2026-04-04T14:45:00.000Z',
      '2026-04-05T15:15:00.000Z',
    ])
  })

  test('a repeating pattern has no run inside a spring-forward gap (as in ISC cron and croner)', () => {
    // Only a fixed-time job (second, minute and hour fixed) is shifted to the end of the gap;
    // any other pattern fires at its next regular time, forward and backward, under either
    // dstGap. Every instant here agrees with croner 11.
    const cases = [
      ['@hourly', 'Australia/Lord_Howe', '2026-10-03T15:00:00Z', ['2026-10-03T16:00:00.000Z', '2026-10-03T17:00:00.000Z']],
      ['58 * 1 * 0-5', 'America/New_York', '2026-03-08T06:00:00Z', ['2026-03-08T06:58:00.000Z', '2026-03-08T07:58:00.000Z']],
      ['33 * 18-20 * */2', 'America/New_York', '2026-03-08T05:00:00Z', ['2026-03-08T05:33:00.000Z', '2026-03-08T06:33:00.000Z', '2026-03-08T07:33:00.000Z']],
      ['12 * * 11,2,3 1-7', 'America/New_York', '2026-03-08T05:00:00Z', ['2026-03-08T05:12:00.000Z', '2026-03-08T06:12:00.000Z', '2026-03-08T07:12:00.000Z']],
      ['6,24 * 5 * 0-1', 'Europe/London', '2026-03-29T00:00:00Z', ['2026-03-29T00:06:00.000Z', '2026-03-29T00:24:00.000Z', '2026-03-29T01:06:00.000Z', '2026-03-29T01:24:00.000Z']],
    ]
    for (const [pattern, timezone, start, want] of cases) {
      for (const dstGap of ['shift', 'skip']) {
        expect([pattern, dstGap, iso(nextRuns(pattern, { from: new Date(start), timezone, count: want.length, dstGap }))]).toEqual([pattern, dstGap, want])
        const afterLast = new Date(new Date(want[want.length - 1]).getTime() + 1000)
        const back = iso(previousRuns(pattern, { from: afterLast, timezone, count: want.length, dstGap })).reverse()
        expect([pattern, dstGap, back]).toEqual([pattern, dstGap, want])
      }
    }
    // The fixed-time job beside them is still shifted once (and skipped with 'skip').
    const fixed = (dstGap) => iso(previousRuns('30 2 * * *', { from: new Date('2026-03-09T06:30:01Z'), timezone: 'America/New_York', count: 2, dstGap }))
    expect(fixed('shift')).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-08T07:00:00.000Z'])
    expect(fixed('skip')).toEqual(['2026-03-09T06:30:00.000Z', '2026-03-07T07:30:00.000Z'])
  })
})

describe('previousRuns', () => {
  test('strictly before from, latest first', () => {
    expect(iso(previousRuns('*/5 * * * *', { from: new Date('2026-01-01T00:10:00Z'), count: 2 }))).toEqual([
      '2026-01-01T00:05:00.000Z',
      '2026-01-01T00:00:00.000Z',
    ])
    expect(iso(previousRuns('*/30 * * * *', { from: new Date('2026-11-01T07:00:00Z'), count: 3, timezone: 'America/New_York' }))).toEqual([
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
    ])
  })
})

describe('validateCron', () => {
  test('a valid pattern: description, frequency, next executions', () => {
    const r = validateCron('0 9 * * 1-5', 'Europe/Berlin')
    expect(r.valid).toBe(true)
    expect(r.errors).toEqual([])
    expect(r.warnings).toEqual([])
    expect(r.description).toBe('At 09:00, Monday through Friday')
    expect(r.frequency).toEqual({
      type: 'custom',
      interval: 86400,
      description: 'At 09:00, Monday through Friday',
      estimatedExecutionsPerDay: 5 / 7,
    })
    expect(r.nextExecutions).toHaveLength(5)
    expect(r.nextExecutions[0].getTime()).toBeGreaterThan(Date.now() - 1000)
    for (const d of r.nextExecutions) {
      const local = d.toLocaleString('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short', hour: '2-digit', minute: '2-digit' })
      expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/)
    }
  })

  test('never throws for a bad pattern: each error names field, token and rule', () => {
    const r = validateCron('0 0 * 13 8')
    expect(r.valid).toBe(false)
    expect(r.errors).toEqual(["month: '13' is out of range 1-12", "day-of-week: '8' is out of range 0-7"])
    expect(r.nextExecutions).toEqual([])
    expect(validateCron('').errors).toEqual(['pattern is empty'])
    expect(validateCron('* * *').errors).toEqual(['expected 5, 6 or 7 fields separated by spaces, found 3'])
    expect(validateCron('x'.repeat(1_000_000)).errors[0]).toMatch(/at most 1024/)
  })

  test('an unknown time zone is reported, not thrown', () => {
    const r = validateCron('0 9 * * *', 'Mars/Olympus')
    expect(r.valid).toBe(false)
    expect(r.errors).toEqual(["timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as 'UTC' or 'Europe/Berlin'"])
  })

  test('L alone in day-of-week is explained, not reported as an empty token', () => {
    expect(validateCron('0 0 * * L').errors).toEqual([
      "day-of-week: 'L' needs a weekday before it, such as 5L (the last Friday of the month); for the last day of the month, put L in day-of-month",
    ])
  })

  test('warns about patterns that never or rarely fire', () => {
    expect(validateCron('0 0 30 2 *').warnings).toEqual(['never fires: no date between 1970 and 2199 matches'])
    expect(validateCron('0 0 29 2 *').warnings[0]).toMatch(/^rarely fires: the next two runs are 14(60|61) days apart$/)
    expect(validateCron('0 0 13 * 5').warnings[0]).toMatch(/either matches/)
  })
})

describe('describeCron', () => {
  test('readable English', () => {
    expect(describeCron('0 9 * * 1-5')).toBe('At 09:00, Monday through Friday')
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes')
    expect(describeCron('0 0 L * *')).toBe('At 00:00, on the last day of the month')
  })

  test('throws ERR_INVALID_CRON with every error', () => {
    const err = expectError(() => describeCron('61 * * * 9'), { name: 'RangeError', code: 'ERR_INVALID_CRON', path: 'pattern' })
    expect(err.errors).toEqual(["minute: '61' is out of range 0-59", "day-of-week: '9' is out of range 0-7"])
    expect(err.value).toBe('61 * * * 9')
  })
})

describe('CronEngine (production-ccs interface: every method returns a Promise)', () => {
  const engine = new CronEngine()

  test('next, next n, previous', async () => {
    const pending = engine.getNextExecutionTime('0 9 * * *', 'Asia/Tokyo', from)
    expect(pending).toBeInstanceOf(Promise)
    expect((await pending).toISOString()).toBe('2026-01-02T00:00:00.000Z')
    expect((await engine.getNextExecutionTime('0 9 * * *', 'UTC', from)).toISOString()).toBe('2026-01-01T09:00:00.000Z')
    expect(iso(await engine.getNextExecutionTimes('0 */6 * * *', 'UTC', 3, from))).toEqual([
      '2026-01-01T06:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T18:00:00.000Z',
    ])
    expect((await engine.getPreviousExecutionTime('0 0 1 1 *', 'UTC', from)).toISOString()).toBe('2025-01-01T00:00:00.000Z')
    expect(await engine.getNextExecutionTime('0 0 0 1 1 * 2020', 'UTC', from)).toBeNull()
    expect(await engine.getPreviousExecutionTime('0 0 0 1 1 * 2030', 'UTC', from)).toBeNull()
    // A bad argument rejects, with the same coded error the sync engine throws.
    await expect(engine.getNextExecutionTimes('* * * * *', 'UTC', 0)).rejects.toMatchObject({ name: 'RangeError', code: 'ERR_OUT_OF_RANGE', path: 'count' })
    // SyncCronEngine answers at once.
    expect(new SyncCronEngine().getNextExecutionTime('0 9 * * *', 'UTC', from).toISOString()).toBe('2026-01-01T09:00:00.000Z')
  })

  test('parseExpression splits fields', async () => {
    expect(await engine.parseExpression('30 0 9 * * +MON')).toEqual({
      original: '30 0 9 * * +MON',
      fields: { second: '30', minute: '0', hour: '9', dayOfMonth: '*', month: '*', dayOfWeek: '+MON' },
      timezone: 'UTC',
      description: 'At 09:00:30, on Monday',
      frequency: { type: 'weekly', interval: 1, description: 'At 09:00:30, on Monday', estimatedExecutionsPerDay: 1 / 7 },
      valid: true,
      errors: [],
    })
    const bad = await engine.parseExpression('* * * * * * 1900')
    expect(bad.valid).toBe(false)
    expect(bad.errors).toEqual(["year: '1900' is out of range 1970-2199"])
  })

  test('validateExpression is validateCron', async () => {
    expect((await engine.validateExpression('0 25 * * *')).errors).toEqual(["hour: '25' is out of range 0-23"])
  })

  test('analyzeScheduleFrequency', async () => {
    const a = await engine.analyzeScheduleFrequency('*/5 * * * *')
    expect(a.frequency).toEqual({ type: 'minutely', interval: 5, description: 'Every 5 minutes', estimatedExecutionsPerDay: 288 })
    expect(a.peakHours).toEqual([])
    expect(a.distributionScore).toBe(1)
    expect(a.resourceImpact.overallImpact).toBe('medium')
    const daily = await engine.analyzeScheduleFrequency('0 9,17 * * *')
    expect(daily.frequency).toEqual({ type: 'daily', interval: 1, description: 'At 09:00 and 17:00', estimatedExecutionsPerDay: 2 })
    expect(daily.peakHours).toEqual([9, 17])
    expect(daily.resourceImpact.overallImpact).toBe('low')
  })

  test('detectScheduleConflicts over a stated horizon', async () => {
    const conflicts = await engine.detectScheduleConflicts(['0 9 * * *', '0 9 * * 1-5', '0 10 * * *'], 'UTC', {
      from: new Date('2026-01-02T00:00:00Z'),
      horizonMs: 2 * 86400000,
    })
    expect(conflicts).toHaveLength(1)
    expect(conflicts[0].scheduleIds).toEqual(['0 9 * * *', '0 9 * * 1-5'])
    expect(conflicts[0].conflictTime.toISOString()).toBe('2026-01-02T09:00:00.000Z')
    expect(conflicts[0].severity).toBe('low')
    expect(conflicts[0].description).toMatch(/within the 2 days after 2026-01-02T00:00:00Z/)
    const sync = new SyncCronEngine()
    expectError(() => sync.detectScheduleConflicts(['0 9 * * *', 'nope'], 'UTC'), {
      name: 'RangeError',
      code: 'ERR_INVALID_CRON',
      path: 'expressions[1]',
    })
    expectError(() => sync.detectScheduleConflicts('0 9 * * *', 'UTC'), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', path: 'expressions' })
  })

  test('optimizeScheduleDistribution moves all but one of each group to a minute that meets no one', async () => {
    const options = { from: new Date('2026-01-02T00:00:00Z'), horizonMs: 2 * 86400000 }
    const suggestions = await engine.optimizeScheduleDistribution(['0 9 * * *', '0 9 * * 1-5', '*/5 * * * *'], 'UTC', options)
    expect(suggestions.map((s) => [s.type, s.scheduleId, s.suggestedExpression, s.riskLevel])).toEqual([
      ['time_adjustment', '0 9 * * 1-5', '1 9 * * 1-5', 'low'],
      ['load_balancing', '*/5 * * * *', '*/5 * * * *', 'medium'],
    ])
    // The moved pattern indeed meets none of the others.
    expect(await engine.detectScheduleConflicts(['1 9 * * 1-5', '0 9 * * *', '*/5 * * * *'], 'UTC', options)).toEqual(
      expect.not.arrayContaining([expect.objectContaining({ scheduleIds: expect.arrayContaining(['1 9 * * 1-5']) })]),
    )
    expect(await engine.optimizeScheduleDistribution(['0 9 * * *', '0 10 * * *'], 'UTC', options)).toEqual([])
  })

  test('detectScheduleConflicts on 10,000 every-second patterns stops at its bound and says where', async () => {
    // Identical patterns are searched once; each conflict names all 10,000, so the bound of
    // 100,000 schedule references returned ends the scan after 10 conflicts (this took
    // 327 s and 23 GB before the bound).
    const from = new Date('2026-01-01T00:00:00Z')
    const conflicts = await engine.detectScheduleConflicts(Array(10_000).fill('* * * * * *'), 'UTC', { from })
    expect(conflicts).toHaveLength(10)
    expect(conflicts[9].conflictTime.toISOString()).toBe('2026-01-01T00:00:10.000Z')
    expect(conflicts[9].scheduleIds).toHaveLength(10_000)
    expect(conflicts[9].severity).toBe('high')
    expect(conflicts[9].description).toBe(
      "10000 schedules fire together at 2026-01-01T00:00:10Z (within the 7 days after 2026-01-01T00:00:00Z; searched up to 2026-01-01T00:00:10Z only, where the conflicts found name 100000 schedules in all): '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *', '* * * * * *' and 9990 more",
    )
    // Distinct patterns that never meet: the bound on occurrences examined ends the search.
    const distinct = Array.from({ length: 60 }, (_, s) => `${s} * * * * *`)
    expect(await engine.detectScheduleConflicts(distinct, 'UTC', { from, horizonMs: 366 * 86400000 })).toEqual([])
    // One pattern more than the cap is refused at once.
    expectError(() => new SyncCronEngine().detectScheduleConflicts(Array(10_001).fill('* * * * *'), 'UTC'), {
      name: 'RangeError',
      code: 'ERR_OUT_OF_RANGE',
      path: 'expressions',
    })
  })
})

describe('bad arguments throw TypeError/RangeError with a code, path and value', () => {
  const cases = [
    [() => nextRuns(42), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'pattern', 42],
    [() => nextRuns(undefined), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'pattern', undefined],
    [() => nextRuns('* * * * *', 'UTC'), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options', 'UTC'],
    [() => nextRuns('* * * * *', { timezone: 'Nowhere/City' }), 'RangeError', 'ERR_UNKNOWN_TIMEZONE', 'options.timezone', 'Nowhere/City'],
    [() => nextRuns('* * * * *', { timezone: 3 }), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.timezone', 3],
    [() => nextRuns('* * * * *', { count: 0 }), 'RangeError', 'ERR_OUT_OF_RANGE', 'options.count', 0],
    [() => nextRuns('* * * * *', { count: -1 }), 'RangeError', 'ERR_OUT_OF_RANGE', 'options.count', -1],
    [() => nextRuns('* * * * *', { count: 2.5 }), 'RangeError', 'ERR_OUT_OF_RANGE', 'options.count', 2.5],
    [() => nextRuns('* * * * *', { count: NaN }), 'RangeError', 'ERR_OUT_OF_RANGE', 'options.count', NaN],
    [() => nextRuns('* * * * *', { count: Infinity }), 'RangeError', 'ERR_OUT_OF_RANGE', 'options.count', Infinity],
    [() => nextRuns('* * * * *', { count: 100001 }), 'RangeError', 'ERR_OUT_OF_RANGE', 'options.count', 100001],
    [() => nextRuns('* * * * *', { count: '5' }), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.count', '5'],
    [() => nextRuns('* * * * *', { from: new Date('nope') }), 'RangeError', 'ERR_INVALID_DATE', 'options.from', undefined],
    [() => nextRuns('* * * * *', { from: '2026-01-01' }), 'RangeError', 'ERR_INVALID_DATE', 'options.from', '2026-01-01'],
    [() => nextRuns('* * * * *', { from: 1767225600000 }), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'options.from', 1767225600000],
    [() => nextRuns('* * * * *', { dstGap: 'later' }), 'RangeError', 'ERR_INVALID_OPTION_VALUE', 'options.dstGap', 'later'],
    [() => nextRuns('* * * * *', { tz: 'UTC' }), 'TypeError', 'ERR_UNKNOWN_OPTION', 'options.tz', undefined],
    [() => previousRuns('* * * * 8'), 'RangeError', 'ERR_INVALID_CRON', 'pattern', '* * * * 8'],
    [() => validateCron(null), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'pattern', null],
    [() => validateCron('* * * * *', 5), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'timezone', 5],
    [() => new SyncCronEngine().getNextExecutionTimes('* * * * *', 'UTC', 0), 'RangeError', 'ERR_OUT_OF_RANGE', 'count', 0],
    [() => new SyncCronEngine().getNextExecutionTime('* * * * *', 'UTC', 12), 'TypeError', 'ERR_INVALID_ARG_TYPE', 'fromDate', 12],
  ]
  test.each(cases.map((c, i) => [i, ...c]))('case %i', (_i, fn, name, code, path, value) => {
    const err = expectError(fn, { name, code, path })
    expect(err.message.startsWith(`${path}: `)).toBe(true)
    if (value !== undefined) expect(err.value).toEqual(value)
  })

  test('the bad Date itself is attached', () => {
    const bad = new Date('nope')
    const err = expectError(() => nextRuns('* * * * *', { from: bad }), { name: 'RangeError', code: 'ERR_INVALID_DATE' })
    expect(err.value).toBe(bad)
  })
})

describe('module formats', () => {
  test('ESM import works (named and default)', () => {
    const root = path.join(__dirname, '..')
    const out = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { nextRuns } from ${JSON.stringify(path.join(root, 'index.js'))};
         import tf from ${JSON.stringify(path.join(root, 'index.js'))};
         console.log(nextRuns('0 0 1 1 *', { from: new Date('2026-06-01T00:00:00Z'), count: 1 })[0].toISOString(), typeof tf.CronEngine)`,
      ],
      { encoding: 'utf8' },
    )
    expect(out.trim()).toBe('2027-01-01T00:00:00.000Z function')
  })
})

test("the cron API's Dates are Dates of the test's own realm (Jest runs each file in a vm context)", async () => {
  expect(nextRuns('0 9 * * *', { from, count: 1 })[0]).toBeInstanceOf(Date)
  expect(previousRuns('0 9 * * *', { from, count: 1 })[0]).toBeInstanceOf(Date)
  expect(validateCron('0 9 * * *').nextExecutions[0]).toBeInstanceOf(Date)
  const sync = new SyncCronEngine()
  expect(sync.getNextExecutionTime('0 9 * * *', 'UTC', from)).toBeInstanceOf(Date)
  expect(sync.getNextExecutionTimes('0 9 * * *', 'UTC', 2, from)[1]).toBeInstanceOf(Date)
  const [conflict] = sync.detectScheduleConflicts(['0 9 * * *', '0 9 * * *'], 'UTC')
  expect(conflict.conflictTime).toBeInstanceOf(Date)
  expect(await new CronEngine().getPreviousExecutionTime('0 9 * * *', 'UTC', from)).toBeInstanceOf(Date)
})
