// fromWorkflowExecutor against an executor that behaves as production-ccs's WorkflowExecutor
// does: it returns executions whose status may be failed (fail_fast, the cause in
// steps[].error), timeout (its own workflow timeout) or paused (errorHandling 'escalate'),
// and it can list and cancel its active runs.
const { WorkflowScheduleIntegration, fromWorkflowExecutor } = require('..')
const { config } = require('./support')

class LikeProductionCcs {
  constructor() {
    this.executions = new Map()
    this.seq = 0
  }

  /** `plan.steps`: [{ id, fails?: message, waitMs? }]; `plan.errorHandling`, `plan.timeoutMs`. */
  async executeWorkflow(plan, context = {}) {
    const execution = {
      id: `exec-${++this.seq}`,
      workflowId: plan.id,
      status: 'running',
      startedAt: new Date(),
      context: { correlationId: context.correlationId, environment: context.environment || 'development', variables: context.variables },
      steps: plan.steps.map((s) => ({ stepId: s.id, status: 'pending' })),
    }
    this.executions.set(execution.id, execution)
    let timer
    if (plan.timeoutMs) timer = setTimeout(() => execution.status === 'running' && (execution.status = 'timeout'), plan.timeoutMs)
    for (const [i, step] of plan.steps.entries()) {
      if (execution.status !== 'running') break
      const record = execution.steps[i]
      record.status = 'running'
      if (step.waitMs) await new Promise((resolve) => setTimeout(resolve, step.waitMs))
      if (execution.status !== 'running') break
      if (step.fails) {
        record.status = 'failed'
        record.error = { code: 'STEP_EXECUTION_ERROR', message: step.fails, stepId: step.id, timestamp: new Date(), recoverable: false }
        execution.status = plan.errorHandling === 'escalate' ? 'paused' : 'failed'
        break
      }
      record.status = 'completed'
    }
    clearTimeout(timer)
    if (execution.status === 'running') execution.status = 'completed'
    execution.completedAt = new Date()
    return execution
  }

  getActiveExecutions() {
    return [...this.executions.values()].filter((e) => e.status === 'running' || e.status === 'paused')
  }

  async cancelExecution(id) {
    const execution = this.executions.get(id)
    if (!execution || execution.status !== 'running') return false
    execution.status = 'cancelled'
    return true
  }
}

const plans = {
  ok: { id: 'ok', steps: [{ id: 'a' }] },
  broken: { id: 'broken', steps: [{ id: 'a' }, { id: 'b', fails: 'Command action not defined' }] },
  escalating: { id: 'escalating', errorHandling: 'escalate', steps: [{ id: 'a', fails: 'disk full' }] },
  slowInside: { id: 'slowInside', timeoutMs: 20, steps: [{ id: 'a', waitMs: 60 }, { id: 'b' }] },
  long: { id: 'long', steps: [{ id: 'a', waitMs: 400 }, { id: 'b' }] },
}

let current
afterEach(async () => {
  if (current) await current.stop({ graceMs: 0 })
  current = undefined
})

async function run(workflowId, executionConfig = {}) {
  const pccs = new LikeProductionCcs()
  const integration = new WorkflowScheduleIntegration({ executor: fromWorkflowExecutor(pccs, (id) => plans[id]) })
  current = integration
  const events = []
  integration.on('event', (e) => events.push(e))
  await integration.start()
  await integration.createScheduledWorkflow(config(workflowId, '0 0 1 1 *', { workflowId, executionConfig }))
  const id = await integration.triggerScheduledExecution(`s-${workflowId}`)
  const end = await new Promise((resolve) => integration.on('event', (e) => ['workflow.completed', 'workflow.failed', 'workflow.cancelled'].includes(e.type) && e.executionId === id && resolve(e)))
  return { pccs, integration, events, id, end }
}

test('a completed run completes', async () => {
  const { end } = await run('ok')
  expect(end).toMatchObject({ type: 'workflow.completed', status: 'completed' })
})

test("fail_fast: the failed step's error is the attempt's error", async () => {
  const { end } = await run('broken')
  expect(end).toMatchObject({ type: 'workflow.failed', error: { code: 'STEP_EXECUTION_ERROR', message: 'Command action not defined' } })
})

test("its own timeout and 'escalate' are failures with their codes, not completions", async () => {
  const timeout = await run('slowInside')
  expect(timeout.end).toMatchObject({ type: 'workflow.failed', error: { code: 'WORKFLOW_TIMEOUT' } })
  await current.stop()
  const escalated = await run('escalating')
  expect(escalated.end).toMatchObject({ type: 'workflow.failed', error: { code: 'WORKFLOW_ESCALATED' } })
  expect(escalated.end.error.message).toMatch(/manual intervention.*disk full/)
})

test("tickflow's timeout cancels the production-ccs run: it is no longer active and never finishes unseen", async () => {
  const { pccs, end } = await run('long', { timeout: 50 })
  expect(end).toMatchObject({ type: 'workflow.failed', status: 'timeout', error: { code: 'TIMEOUT' } })
  // The run was cancelled in the executor, at once, not left to finish 350 ms later.
  expect(pccs.getActiveExecutions()).toEqual([])
  const [execution] = pccs.executions.values()
  expect(execution.status).toBe('cancelled')
  expect(execution.steps.map((s) => s.status)).toEqual(['running', 'pending'])
  // When the run returns, what the executor did is recorded on the attempt, not applied.
  const record = () => current.getExecution(end.executionId)
  while (!(await record()).attempts[0].lateOutcome) await new Promise((resolve) => setTimeout(resolve, 20))
  expect((await record()).status).toBe('timeout')
  expect((await record()).attempts[0].lateOutcome).toMatchObject({ completed: false, code: 'TIMEOUT' })
  expect((await record()).attempts[0].lateOutcome.message).toMatch(/the workflow executor's run exec-1 was cancelled/)
})

test('a cancel from tickflow cancels the production-ccs run', async () => {
  const pccs = new LikeProductionCcs()
  const integration = new WorkflowScheduleIntegration({ executor: fromWorkflowExecutor(pccs, (id) => plans[id]) })
  current = integration
  await integration.start()
  await integration.createScheduledWorkflow(config('long', '0 0 1 1 *', { workflowId: 'long' }))
  const id = await integration.triggerScheduledExecution('s-long')
  await new Promise((resolve) => setTimeout(resolve, 20))
  expect(pccs.getActiveExecutions()).toHaveLength(1)
  await integration.cancelScheduledExecution(id)
  await new Promise((resolve) => setTimeout(resolve, 10))
  expect(pccs.getActiveExecutions()).toEqual([])
  expect((await integration.getExecution(id)).status).toBe('cancelled')
})
