// No Rust panic reaches Node: a panic in a sync export becomes a JS error, a panic in the
// engine's background task becomes an 'integration.error' event, and both leave the process
// and the integration working. The faults are injected through a test-only switch (the
// TICKFLOW_TEST_FAULTS environment variable), in a child process that must survive them.
const { spawnSync } = require('node:child_process')
const path = require('node:path')

function runWithFaults(code, env = { TICKFLOW_TEST_FAULTS: '1' }) {
  const r = spawnSync(process.execPath, ['-e', code], {
    cwd: path.join(__dirname, '..'),
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 15_000,
  })
  const last = r.stdout.trim().split('\n').pop()
  return { status: r.status, signal: r.signal, result: last ? JSON.parse(last) : null, stderr: r.stderr }
}

const PRELUDE = `
const { WorkflowScheduleIntegration } = require('./')
const config = (id, cronExpression) => ({ id, workflowId: 'w', scheduleId: id, scheduleConfig: { cronExpression, overlapPolicy: 'allow' } });
`

test('a panic in a sync export is thrown as an error; the process and the integration survive', () => {
  const r = runWithFaults(`${PRELUDE}
    ;(async () => {
      const integration = new WorkflowScheduleIntegration({ executor: () => 'ok', clock: 'manual' })
      await integration.start()
      let message = null
      try { integration._native.injectFault('panic') } catch (err) { message = err.message }
      await integration.createScheduledWorkflow(config('after', '* * * * *'))
      await integration.advanceTime(60_000)
      const completed = (await integration.listExecutions({ status: ['completed'] })).length
      await integration.stop()
      console.log(JSON.stringify({ message, completed }))
    })()`)
  expect(r.signal).toBeNull()
  expect(r.status).toBe(0)
  expect(r.result).toEqual({ message: 'injected panic in a sync export', completed: 1 })
})

test('a panic in the engine task becomes integration.error and the schedules go on', () => {
  const r = runWithFaults(`${PRELUDE}
    ;(async () => {
      const seen = []
      const errors = []
      const integration = new WorkflowScheduleIntegration({ executor: (req) => { seen.push(req.scheduledTime.getTime()) } })
      integration.on('integration.error', (e) => errors.push({ code: e.code, message: e.message }))
      await integration.start()
      await integration.createScheduledWorkflow(config('tick', '* * * * * *'))
      integration._native.injectFault('timer')
      await new Promise((resolve) => setTimeout(resolve, 3300))
      await integration.stop()
      console.log(JSON.stringify({ seen, errors }))
    })()`)
  expect(r.status).toBe(0)
  const { seen, errors } = r.result
  expect(errors).toHaveLength(1)
  expect(errors[0].code).toBe('ERR_INTERNAL')
  expect(errors[0].message).toMatch(/panic/)
  // The fire interrupted by the fault was armed again: every second still ran, once.
  expect(seen.length).toBeGreaterThanOrEqual(3)
  for (let i = 1; i < seen.length; i++) expect(seen[i] - seen[i - 1]).toBe(1000)
}, 20_000)

test('without the switch fault injection is refused', () => {
  const r = runWithFaults(
    `${PRELUDE}
    const integration = new WorkflowScheduleIntegration({ executor: () => 'ok' })
    try { integration._native.injectFault('panic') } catch (err) { console.log(JSON.stringify(err.code)) }`,
    { TICKFLOW_TEST_FAULTS: '' },
  )
  expect(r.result).toBe('ERR_INVALID_STATE')
})
