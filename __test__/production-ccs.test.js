// Written the way production-ccs tests its WorkflowScheduleIntegration: create a scheduled
// workflow, trigger it, listen for schedule.triggered / workflow.completed / workflow.failed.
// No mocks of tickflow: the real addon runs, with the real (system) clock.
const {
  WorkflowScheduleIntegration,
  fromWorkflowExecutor,
  BackoffStrategy,
  SchedulePriority,
  ExecutionStatus,
} = require('..')

const mockScheduleDefinition = {
  id: 'schedule-1',
  workflowId: 'workflow-1',
  name: 'Test Schedule',
  description: 'Test schedule description',
  cronExpression: '0 9 * * *',
  timezone: 'UTC',
  enabled: true,
  retryPolicy: {
    enabled: true,
    maxRetries: 3,
    retryDelay: 1000,
    backoffStrategy: BackoffStrategy.EXPONENTIAL,
    retryableErrors: ['TIMEOUT'],
  },
  metadata: { tags: ['test'], priority: SchedulePriority.NORMAL, category: 'automation' },
  createdBy: 'test-user',
  createdAt: new Date('2026-01-01T00:00:00Z'),
  updatedAt: new Date('2026-01-01T00:00:00Z'),
}

const scheduledWorkflowConfig = {
  id: 'config-1',
  workflowId: 'workflow-1',
  scheduleId: 'schedule-1',
  name: 'Test Scheduled Workflow',
  enabled: true,
  executionConfig: {
    timeout: 30000,
    retryPolicy: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelay: 1000, maxDelay: 10000, multiplier: 2 },
    environment: 'test',
    variables: {},
    priority: 'normal',
  },
  scheduleConfig: mockScheduleDefinition,
  metadata: { test: true },
}

/** Shaped like production-ccs's WorkflowExecutor: executeWorkflow(definition, context). */
class FakeWorkflowExecutor {
  constructor() {
    this.calls = []
    this.failWith = null
  }
  async executeWorkflow(definition, context) {
    this.calls.push({ definition, context })
    if (this.failWith) throw this.failWith
    return { id: `run-${this.calls.length}`, workflowId: definition.id, status: 'completed', steps: [], context }
  }
}

describe('WorkflowScheduleIntegration, as production-ccs uses it', () => {
  let integration
  let workflowExecutor
  const definitions = { 'workflow-1': { id: 'workflow-1', name: 'Test Workflow', version: '1.0.0', steps: [] } }

  beforeEach(async () => {
    workflowExecutor = new FakeWorkflowExecutor()
    integration = new WorkflowScheduleIntegration({
      executor: fromWorkflowExecutor(workflowExecutor, (workflowId) => definitions[workflowId]),
    })
    await integration.initialize()
    await integration.start()
    await integration.createScheduledWorkflow(scheduledWorkflowConfig)
  })

  afterEach(async () => {
    await integration.stop()
  })

  test('state', () => {
    expect(integration.getState()).toBe('running')
    expect(typeof integration.getState()).toBe('string')
  })

  test('triggerScheduledExecution runs the workflow and emits triggered then completed', async () => {
    const triggered = new Promise((resolve) => integration.once('schedule.triggered', resolve))
    const completed = new Promise((resolve) => integration.once('workflow.completed', resolve))
    const result = await integration.triggerScheduledExecution('schedule-1')
    expect(typeof result).toBe('string')
    const t = await triggered
    expect(t).toMatchObject({ scheduleId: 'schedule-1', workflowId: 'workflow-1', triggerType: 'manual', executionId: result })
    expect(t.context).toMatchObject({ triggeredBy: 'manual', environment: 'test' })
    const c = await completed
    expect(c).toMatchObject({ executionId: result, scheduleId: 'schedule-1', status: ExecutionStatus.COMPLETED })
    expect(c.result).toMatchObject({ id: 'run-1', workflowId: 'workflow-1', status: 'completed' })
    expect(c.duration).toBeGreaterThanOrEqual(0)
    expect(c.endTime.getTime()).toBeGreaterThanOrEqual(c.startTime.getTime())
    expect(workflowExecutor.calls[0].definition).toBe(definitions['workflow-1'])
    expect(workflowExecutor.calls[0].context).toMatchObject({ environment: 'test', correlationId: result, metadata: { scheduleId: 'schedule-1', attempt: 1 } })
  })

  test('a failing workflow emits workflow.failed with its error', async () => {
    workflowExecutor.failWith = Object.assign(new Error('Execution failed'), { code: 'VALIDATION' })
    const failed = new Promise((resolve) => integration.once('workflow.failed', resolve))
    const id = await integration.triggerScheduledExecution('schedule-1')
    const f = await failed
    expect(f).toMatchObject({ executionId: id, status: ExecutionStatus.FAILED, error: { code: 'VALIDATION', message: 'Execution failed', retryable: true } })
    // executionConfig.retryPolicy wins over scheduleConfig's (which would retry TIMEOUT only):
    // 3 attempts in all, 1 s then 2 s apart, on the real clock.
    expect(f.attempts).toBe(3)
    expect(workflowExecutor.calls).toHaveLength(3)
    expect(f.endTime.getTime() - f.startTime.getTime()).toBeGreaterThanOrEqual(3000)
  }, 10_000)

  test('listeners register and unregister', () => {
    const listener = jest.fn()
    integration.on('schedule.triggered', listener)
    expect(integration.listenerCount('schedule.triggered')).toBe(1)
    integration.on('workflow.completed', listener)
    expect(integration.listenerCount('workflow.completed')).toBe(1)
    integration.removeListener('schedule.triggered', listener)
    integration.removeAllListeners()
    expect(integration.listenerCount('schedule.triggered')).toBe(0)
    expect(integration.listenerCount('workflow.completed')).toBe(0)
  })

  test('the schedule-workflow status reads back', async () => {
    const status = await integration.getScheduleWorkflowStatus('schedule-1')
    expect(status.scheduleId).toBe('schedule-1')
    expect(status.workflowId).toBe('workflow-1')
    expect(status.scheduleStatus.status).toBe('active')
    expect(status.nextExecution.getUTCHours()).toBe(9)
  })
})
