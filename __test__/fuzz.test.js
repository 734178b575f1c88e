// Property test: every public method, driven with random values, either works or throws
// (or rejects) a coded TypeError/RangeError/Error; nothing crashes, hangs or corrupts the
// integration, which still runs a workflow afterwards.
const fc = require('fast-check')
const { WorkflowScheduleIntegration, nextRuns, previousRuns, validateCron, describeCron, SyncCronEngine } = require('..')

const RUNS = Number(process.env.FUZZ_RUNS || 10000)

const anyValue = fc.oneof(
  fc.anything({ withDate: true, withBigInt: true, withNullPrototype: true, withTypedArray: true, withMap: true, withSet: true }),
  fc.string(),
  fc.constantFrom('* * * * *', '0 9 * * 1-5', '@daily', 's-a', 'UTC', 'Europe/Berlin', '', ' ', 'L W #'),
  fc.integer(),
  fc.double(),
  fc.date(),
  fc.constant(undefined),
)

const okError = (err) =>
  err !== null &&
  typeof err === 'object' &&
  ['TypeError', 'RangeError', 'Error'].includes(err.name) &&
  typeof err.code === 'string' &&
  err.code.length > 0 &&
  typeof err.message === 'string'

async function attempt(fn) {
  try {
    await fn()
    return true
  } catch (err) {
    if (!okError(err)) throw new Error(`uncoded error: ${err && err.stack ? err.stack : String(err)}`)
    return false
  }
}

const METHODS = [
  'createScheduledWorkflow', 'updateScheduledWorkflow', 'deleteScheduledWorkflow', 'getScheduledWorkflow',
  'pauseSchedule', 'resumeSchedule', 'enableSchedule', 'disableSchedule', 'triggerScheduledExecution',
  'cancelScheduledExecution', 'retryExecution', 'backfill', 'getExecution', 'listExecutions',
  'getExecutionHistory', 'getNextExecutionTimes', 'getScheduleWorkflowStatus', 'getScheduleStatus',
  'getScheduleHealth', 'getScheduleMetrics', 'getIntegrationMetrics', 'advanceTime',
  'upsertScheduledWorkflow', 'syncScheduledWorkflows', 'schedule', 'syncScheduleWorkflowState', 'getSkippedOccurrences',
]

test('random arguments to every integration method', async () => {
  const integration = new WorkflowScheduleIntegration({
    executor: () => 'ok',
    clock: 'manual',
    startTime: new Date('2026-01-01T00:00:00Z'),
  })
  await integration.start()
  const base = { id: 'a', workflowId: 'w', scheduleId: 's-a', scheduleConfig: { cronExpression: '* * * * *' } }
  await integration.createScheduledWorkflow(base)
  try {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), fc.array(anyValue, { maxLength: 3 }), async (method, args) => {
        if (method === 'advanceTime' && typeof args[0] === 'number') args[0] = Math.min(Math.abs(args[0]), 3_600_000)
        await attempt(() => integration[method](...args))
        // Random configs may have been accepted: keep the schedule count small.
        for (const c of integration.getScheduledWorkflows()) if (c.id !== 'a') await integration.deleteScheduledWorkflow(c.id)
        // ...and the base schedule back as it was (a random sync may have deleted it).
        await integration.upsertScheduledWorkflow(base)
      }),
      { numRuns: RUNS },
    )
    // Still works: a manual trigger runs to completion.
    await integration.resumeSchedule('s-a').catch(() => {})
    const id = await integration.triggerScheduledExecution('s-a')
    await new Promise((resolve) => setImmediate(resolve))
    expect((await integration.getExecution(id)).status).toBe('completed')
  } finally {
    // A failing property must not leave the integration (and Jest) running.
    await integration.stop({ graceMs: 0 })
  }
}, 120_000)

test('random arguments to the cron functions', () => {
  const engine = new SyncCronEngine()
  const cronCalls = [
    (a, b) => nextRuns(a, b),
    (a, b) => previousRuns(a, b),
    (a, b) => validateCron(a, b),
    (a) => describeCron(a),
    (a, b, c) => engine.getNextExecutionTime(a, b, c),
    (a, b, c, d) => engine.getNextExecutionTimes(a, b, c, d),
    (a) => engine.parseExpression(a),
    (a) => engine.analyzeScheduleFrequency(a),
    (a, b, c) => engine.detectScheduleConflicts(a, b, c),
  ]
  fc.assert(
    fc.property(fc.integer({ min: 0, max: cronCalls.length - 1 }), fc.array(anyValue, { maxLength: 4 }), (which, args) => {
      try {
        cronCalls[which](...args)
      } catch (err) {
        if (!okError(err)) throw new Error(`uncoded error: ${err && err.stack ? err.stack : String(err)}`)
      }
    }),
    { numRuns: RUNS * 4 },
  )
  // Random pattern text is refused or handled, never a crash.
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom(...'0123456789*/,-?LW#+ \tMONFRIJANDEC@'.split('')), maxLength: 40 }), (pattern) => {
      const result = validateCron(pattern)
      expect(typeof result.valid).toBe('boolean')
      if (result.valid) expect(nextRuns(pattern, { from: new Date('2026-01-01T00:00:00Z'), count: 3 }).length).toBeLessThanOrEqual(3)
      else expect(result.errors.length).toBeGreaterThan(0)
    }),
    { numRuns: RUNS * 4 },
  )
})
