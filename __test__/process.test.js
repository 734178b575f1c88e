// Process behaviour, each in a child node: exit after stop, exit with unref, stay with ref,
// and real firing on the system clock.
const { spawn } = require('node:child_process')
const path = require('node:path')

const ROOT = path.join(__dirname, '..')

/** Runs `code` in a child node; resolves with its exit code, output and run time. */
function run(code, { killAfterMs = 8000 } = {}) {
  return new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, ['-e', code], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer)
      resolve({ exitCode, signal, out, ms: Date.now() - started, exitedAt: Date.now() })
    })
  })
}

const PRELUDE = `
const { WorkflowScheduleIntegration } = require('./')
const integration = new WorkflowScheduleIntegration({ executor: async () => 'ok' })
const schedule = (id) => integration.createScheduledWorkflow({ id, workflowId: 'w', scheduleConfig: { cronExpression: '* * * * * *' } });
`

test('the process exits by itself once stop() resolves', async () => {
  const r = await run(`${PRELUDE}
    (async () => {
      await integration.start()
      for (let i = 0; i < 50; i++) await schedule('c' + i)
      await new Promise((ok) => setTimeout(ok, 1500))
      await integration.stop()
      console.log('stopped at', Date.now())
    })()`)
  expect(r.signal).toBeNull()
  expect(r.exitCode).toBe(0)
  const stoppedAt = Number(r.out.match(/stopped at (\d+)/)[1])
  // The child exits within a second of stop() resolving (same machine clock).
  expect(r.exitedAt - stoppedAt).toBeLessThan(1000)
}, 15_000)

test('with unref() the process exits while schedules are active, without stop()', async () => {
  const r = await run(`${PRELUDE}
    (async () => {
      await integration.start()
      await schedule('c')
      integration.unref()
      console.log('unref done')
    })()`)
  expect(r.out).toMatch(/unref done/)
  expect(r.signal).toBeNull()
  expect(r.exitCode).toBe(0)
  expect(r.ms).toBeLessThan(5000)
}, 15_000)

test('with ref() (the default) the process stays alive while started', async () => {
  const r = await run(
    `${PRELUDE}
    (async () => {
      await integration.start()
      await schedule('c')
      integration.unref().ref()
      console.log('running')
    })()`,
    { killAfterMs: 2500 },
  )
  expect(r.out).toMatch(/running/)
  expect(r.signal).toBe('SIGKILL')
}, 15_000)

test('schedules fire on the real clock and the executor sees each second', async () => {
  const r = await run(`${PRELUDE}
    const seen = []
    const live = new WorkflowScheduleIntegration({ executor: (req) => { seen.push(req.scheduledTime.getTime()); return 'ok' } })
    live.on('workflow.completed', () => {})
    ;(async () => {
      await live.start()
      await live.createScheduledWorkflow({ id: 'tick', workflowId: 'w', scheduleConfig: { cronExpression: '* * * * * *' } })
      await new Promise((ok) => setTimeout(ok, 3200))
      // After the stop: a fire due just before the timer may still be on its way to the
      // executor while the timer's callback runs.
      await live.stop()
      const metrics = await live.getSystemMetrics()
      console.log(JSON.stringify({ seen, latency: metrics.triggerLatency, completed: metrics.successfulExecutions }))
    })()`)
  expect(r.exitCode).toBe(0)
  const { seen, latency, completed } = JSON.parse(r.out.trim().split('\n').pop())
  expect(seen.length).toBeGreaterThanOrEqual(2)
  for (const t of seen) expect(t % 1000).toBe(0)
  for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBe(1000)
  expect(completed).toBe(seen.length)
  expect(latency.samples).toBe(seen.length)
}, 15_000)

test('no fire and no event is lost while the JS thread is blocked', async () => {
  const r = await run(`
    const { WorkflowScheduleIntegration } = require('./')
    const seen = []
    const events = { triggered: 0, completed: 0 }
    const live = new WorkflowScheduleIntegration({ executor: (req) => { seen.push(req.scheduledTime.getTime()); return 'ok' } })
    live.on('schedule.triggered', () => events.triggered++)
    live.on('workflow.completed', () => events.completed++)
    ;(async () => {
      await live.start()
      await live.createScheduledWorkflow({ id: 'tick', workflowId: 'w', scheduleConfig: { cronExpression: '* * * * * *', overlapPolicy: 'allow' } })
      await new Promise((ok) => setTimeout(ok, 1100))
      const blockedUntil = Date.now() + 3000
      while (Date.now() < blockedUntil) {} // a listener or request handler hogging the thread
      await new Promise((ok) => setTimeout(ok, 1200))
      await live.stop()
      console.log(JSON.stringify({ seen, events }))
    })()`)
  expect(r.exitCode).toBe(0)
  const { seen, events } = JSON.parse(r.out.trim().split('\n').pop())
  // Every second between the first and the last run was fired, once, in order.
  expect(seen.length).toBeGreaterThanOrEqual(5)
  for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBe(1000)
  expect(events).toEqual({ triggered: seen.length, completed: seen.length })
}, 20_000)

test('repeated start and stop leave no driver behind: one run per second, and the process exits', async () => {
  const r = await run(`
    const { WorkflowScheduleIntegration } = require('./')
    const seen = []
    const live = new WorkflowScheduleIntegration({ executor: (req) => { seen.push(req.scheduledTime.getTime()) } })
    ;(async () => {
      await live.createScheduledWorkflow({ id: 'a', workflowId: 'w', scheduleConfig: { cronExpression: '* * * * * *', overlapPolicy: 'allow' } })
      for (let i = 0; i < 20; i++) { await live.start(); await live.stop() }
      await live.start()
      await new Promise((ok) => setTimeout(ok, 2200))
      await live.stop()
      console.log(JSON.stringify(seen))
    })()`)
  expect(r.signal).toBeNull()
  expect(r.exitCode).toBe(0)
  const seen = JSON.parse(r.out.trim().split('\n').pop())
  expect(seen.length).toBeGreaterThanOrEqual(2)
  expect(new Set(seen).size).toBe(seen.length)
}, 15_000)
