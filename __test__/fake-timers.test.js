// A test file that fakes timers (jest.useFakeTimers(): setTimeout, setImmediate, nextTick and
// queueMicrotask all replaced) still gets answers from tickflow: its JavaScript uses Node's
// own timers and promise reactions, which Jest leaves alone.
const { WorkflowScheduleIntegration } = require('..')
const { config } = require('./support')

beforeEach(() => jest.useFakeTimers())
afterEach(() => jest.useRealTimers())

test('a manual-clock integration works under fake timers: triggers, advances, stops', async () => {
  const seen = []
  const integration = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z'), executor: async (r) => seen.push(r.triggerType) })
  await integration.start()
  await integration.createScheduledWorkflow(config('f', '0 * * * *'))
  await integration.triggerScheduledExecution('s-f')
  await integration.advanceTime(3_600_000)
  await integration.advanceTime(3_600_000, { jump: true })
  expect(seen).toEqual(['manual', 'scheduled', 'scheduled'])
  expect((await integration.listExecutions()).map((e) => e.status)).toEqual(['completed', 'completed', 'completed'])
  await integration.stop({ graceMs: 1_000 })
  expect(integration.getState()).toBe('stopped')
})

test('schedule() and a stop with work still running end under fake timers', async () => {
  const integration = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z') })
  await integration.start()
  let aborted = null
  await integration.schedule('hang', '0 0 1 1 *', (request) => new Promise((resolve) => request.signal.addEventListener('abort', () => resolve((aborted = request.signal.reason)))))
  await integration.triggerScheduledExecution('hang')
  // The grace period runs on Node's own timer: it ends although Jest's clock stands still.
  await integration.stop({ graceMs: 10 })
  expect(aborted).not.toBeNull()
  expect(integration.getState()).toBe('stopped')
})
