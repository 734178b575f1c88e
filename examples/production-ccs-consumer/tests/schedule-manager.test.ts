// production-ccs's schedule-manager tests (src/tests/schedule-manager.test.ts), restated
// against tickflow's ScheduleManager: the same constructor call (its mocked CronEngine and
// WorkflowPersistenceService) with a manual clock and an executor added, the same calls.
// Where tickflow's contract differs, the assertion says tickflow's and a comment says why:
// execution ids are tickflow's (`exec_…`, a retry too), a missing schedule is refused with
// code ERR_NOT_FOUND, cancel and retry act on real executions. Then what production-ccs's
// manager did not do: scheduled fires, and ScheduleFilters with each sort field.
import {
  DEFAULT_RETRY_POLICY,
  ExecutionRequest,
  ExecutionStatus,
  ScheduleManager,
  SchedulePriority,
  ScheduleSortField,
  ScheduleState,
} from 'tickflow';

const START = new Date('2026-01-01T00:00:00Z');

/** What the executor does with each run: complete, fail, or wait until aborted. */
let behaviour: 'complete' | 'fail' | 'wait' = 'complete';
const runs: ExecutionRequest[] = [];
async function executor(request: ExecutionRequest): Promise<string> {
  runs.push(request);
  if (behaviour === 'fail') throw Object.assign(new Error('device did not answer'), { code: 'DEVICE_OFFLINE' });
  if (behaviour === 'wait') {
    await new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }));
    throw request.signal.reason;
  }
  return `ran ${request.workflowId}`;
}

const validation = (description: string, perDay: number) => ({
  valid: true,
  errors: [],
  warnings: [],
  description,
  frequency: { type: 'hourly' as const, interval: 1, description, estimatedExecutionsPerDay: perDay },
  nextExecutions: [new Date(START.getTime() + 3600000)],
});

describe('ScheduleManager (production-ccs ScheduleManagerService tests)', () => {
  let scheduleManager: ScheduleManager;
  let mockCronEngine: {
    validateExpression: jest.Mock;
    getNextExecutionTime: jest.Mock;
    getNextExecutionTimes: jest.Mock;
  };

  beforeEach(() => {
    behaviour = 'complete';
    runs.length = 0;
    mockCronEngine = {
      validateExpression: jest.fn(),
      getNextExecutionTime: jest.fn(),
      getNextExecutionTimes: jest.fn(),
    };
    const mockWorkflowPersistence = {};
    scheduleManager = new ScheduleManager(mockCronEngine as any, mockWorkflowPersistence, {
      clock: 'manual',
      startTime: START,
      executor,
    });
  });

  afterEach(async () => {
    await scheduleManager.stop();
    jest.clearAllMocks();
  });

  const hourly = (name: string, tags: string[] = ['test']) => ({
    workflowId: 'workflow-123',
    name,
    cronExpression: '0 * * * *',
    timezone: 'UTC',
    enabled: true,
    retryPolicy: DEFAULT_RETRY_POLICY,
    metadata: { tags, priority: SchedulePriority.NORMAL },
    createdBy: 'test-user',
  });

  describe('Service Lifecycle', () => {
    test('should start service successfully', async () => {
      await expect(scheduleManager.start()).resolves.toBeUndefined();
      expect(scheduleManager.integration.getState()).toBe('running');
    });

    test('should stop service successfully', async () => {
      await scheduleManager.start();
      await expect(scheduleManager.stop()).resolves.toBeUndefined();
      expect(scheduleManager.integration.getState()).toBe('stopped');
    });

    test('should handle multiple start calls gracefully', async () => {
      await scheduleManager.start();
      await expect(scheduleManager.start()).resolves.toBeUndefined();
      expect(scheduleManager.integration.getState()).toBe('running');
    });

    test('should handle stop when not running', async () => {
      await expect(scheduleManager.stop()).resolves.toBeUndefined();
    });
  });

  describe('Schedule Creation', () => {
    beforeEach(async () => {
      await scheduleManager.start();
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every minute', 1440));
    });

    test('should create schedule with valid configuration', async () => {
      const scheduleId = await scheduleManager.createSchedule({ ...hourly('Test Schedule'), description: 'A test schedule' });
      expect(scheduleId).toMatch(/^schedule_\d+_[a-z0-9]+$/);
      expect(mockCronEngine.validateExpression).toHaveBeenCalledWith('0 * * * *');
      // tickflow's engine holds it: it is a scheduled workflow config with the schedule's id.
      expect(scheduleManager.integration.getScheduledWorkflow(scheduleId)).toMatchObject({
        id: scheduleId,
        scheduleId,
        workflowId: 'workflow-123',
        name: 'Test Schedule',
      });
    });

    test('should reject schedule with invalid cron expression', async () => {
      mockCronEngine.validateExpression.mockResolvedValue({
        ...validation('', 0),
        valid: false,
        errors: ['Invalid cron expression'],
        nextExecutions: [],
      });
      const created = scheduleManager.createSchedule({ ...hourly('Invalid Schedule'), cronExpression: 'invalid-cron' });
      await expect(created).rejects.toThrow('Invalid cron expression: Invalid cron expression');
      await expect(created).rejects.toMatchObject({ code: 'ERR_INVALID_CRON', path: 'schedule.cronExpression' });
      expect(await scheduleManager.listSchedules()).toEqual([]);
    });

    test('should create schedule with default values', async () => {
      const scheduleId = await scheduleManager.createSchedule(hourly('Minimal Schedule', []));
      const schedule = await scheduleManager.getSchedule(scheduleId);
      expect(schedule!.timezone).toBe('UTC');
      expect(schedule!.enabled).toBe(true);
      expect(schedule!.retryPolicy).toEqual(DEFAULT_RETRY_POLICY);
    });
  });

  describe('Schedule Management', () => {
    let scheduleId: string;

    beforeEach(async () => {
      await scheduleManager.start();
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every hour', 24));
      scheduleId = await scheduleManager.createSchedule(hourly('Test Schedule'));
    });

    test('should retrieve schedule by ID', async () => {
      const schedule = await scheduleManager.getSchedule(scheduleId);
      expect(schedule!.id).toBe(scheduleId);
      expect(schedule!.workflowId).toBe('workflow-123');
      expect(schedule!.name).toBe('Test Schedule');
      expect(schedule!.createdBy).toBe('test-user');
    });

    test('should return null for non-existent schedule', async () => {
      expect(await scheduleManager.getSchedule('non-existent-id')).toBeNull();
    });

    test('should update schedule successfully', async () => {
      await scheduleManager.updateSchedule(scheduleId, {
        name: 'Updated Schedule',
        description: 'Updated description',
        cronExpression: '0 0 * * *',
      });
      const updatedSchedule = await scheduleManager.getSchedule(scheduleId);
      expect(updatedSchedule!.name).toBe('Updated Schedule');
      expect(updatedSchedule!.description).toBe('Updated description');
      expect(updatedSchedule!.cronExpression).toBe('0 0 * * *');
      // The engine fires on the new pattern (the next midnight, not the next hour).
      expect(await scheduleManager.getNextExecutionTimes(scheduleId, 1)).toEqual([new Date('2026-01-02T00:00:00Z')]);
    });

    test('should delete schedule successfully', async () => {
      await scheduleManager.deleteSchedule(scheduleId);
      expect(await scheduleManager.getSchedule(scheduleId)).toBeNull();
    });
  });

  describe('Schedule Control', () => {
    let scheduleId: string;

    beforeEach(async () => {
      await scheduleManager.start();
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every hour', 24));
      scheduleId = await scheduleManager.createSchedule(hourly('Control Test Schedule', ['control-test']));
    });

    test('should pause schedule', async () => {
      await scheduleManager.pause(scheduleId);
      expect((await scheduleManager.getSchedule(scheduleId))!.enabled).toBe(false);
      expect((await scheduleManager.getScheduleStatus(scheduleId)).status).toBe(ScheduleState.PAUSED);
      await scheduleManager.integration.advanceTime(2 * 3600000);
      expect(runs).toHaveLength(0);
    });

    test('should resume schedule', async () => {
      await scheduleManager.pause(scheduleId);
      await scheduleManager.resume(scheduleId);
      expect((await scheduleManager.getSchedule(scheduleId))!.enabled).toBe(true);
    });

    test('should enable schedule', async () => {
      await scheduleManager.disableSchedule(scheduleId);
      await scheduleManager.enableSchedule(scheduleId);
      expect((await scheduleManager.getSchedule(scheduleId))!.enabled).toBe(true);
    });

    test('should disable schedule', async () => {
      await scheduleManager.disableSchedule(scheduleId);
      expect((await scheduleManager.getSchedule(scheduleId))!.enabled).toBe(false);
      expect((await scheduleManager.getScheduleStatus(scheduleId)).status).toBe(ScheduleState.DISABLED);
    });
  });

  describe('Schedule Execution', () => {
    let scheduleId: string;

    beforeEach(async () => {
      await scheduleManager.start();
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every minute', 1440));
      scheduleId = await scheduleManager.createSchedule({ ...hourly('Execution Test Schedule', ['execution-test']), cronExpression: '* * * * *' });
    });

    test('should trigger schedule manually', async () => {
      const executionId = await scheduleManager.triggerSchedule(scheduleId);
      // tickflow's execution ids.
      expect(executionId).toMatch(/^exec_/);
      expect(runs.map((r) => [r.executionId, r.triggerType, r.workflowId])).toEqual([[executionId, 'manual', 'workflow-123']]);
    });

    test('should trigger schedule with custom context', async () => {
      const context = { environment: 'staging', userId: 'user-123', metadata: { source: 'manual-trigger' } };
      const executionId = await scheduleManager.triggerSchedule(scheduleId, context);
      const execution = await scheduleManager.getExecution(executionId);
      expect(execution!.context.triggerData).toEqual(context);
    });

    test('should reject trigger for non-existent schedule', async () => {
      // tickflow's message and code for a missing schedule.
      await expect(scheduleManager.triggerSchedule('non-existent')).rejects.toMatchObject({
        code: 'ERR_NOT_FOUND',
        message: expect.stringContaining("'non-existent'"),
      });
    });

    test('should cancel execution', async () => {
      behaviour = 'wait';
      const executionId = await scheduleManager.triggerSchedule(scheduleId);
      await expect(scheduleManager.cancelExecution(executionId)).resolves.toBeUndefined();
      expect((await scheduleManager.getExecution(executionId))!.status).toBe(ExecutionStatus.CANCELLED);
    });

    test('should retry execution', async () => {
      // tickflow retries a finished execution that did not complete: a new one, linked to it.
      behaviour = 'fail';
      const executionId = await scheduleManager.triggerSchedule(scheduleId);
      await waitFor(async () => (await scheduleManager.getExecution(executionId))!.status === ExecutionStatus.FAILED);
      behaviour = 'complete';
      const retryExecutionId = await scheduleManager.retryExecution(executionId);
      expect(retryExecutionId).toMatch(/^exec_/);
      expect(retryExecutionId).not.toBe(executionId);
      expect((await scheduleManager.getExecution(retryExecutionId))!.retryOf).toBe(executionId);
    });
  });

  describe('Schedule Status and Metrics', () => {
    let scheduleId: string;

    beforeEach(async () => {
      await scheduleManager.start();
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every hour', 24));
      scheduleId = await scheduleManager.createSchedule(hourly('Status Test Schedule', ['status-test']));
    });

    test('should get schedule status', async () => {
      const status = await scheduleManager.getScheduleStatus(scheduleId);
      expect(status.id).toBe(scheduleId);
      expect(status.status).toBe(ScheduleState.ACTIVE);
      expect(status.enabled).toBe(true);
      expect(status.nextExecution).toEqual(new Date('2026-01-01T01:00:00Z'));
    });

    test('should get schedule metrics', async () => {
      const metrics = await scheduleManager.getScheduleMetrics(scheduleId);
      expect(metrics.totalExecutions).toBe(0);
      expect(metrics.successfulExecutions).toBe(0);
      expect(metrics.failedExecutions).toBe(0);
    });

    test('should get system metrics', async () => {
      const systemMetrics = await scheduleManager.getSystemMetrics();
      expect(systemMetrics.totalSchedules).toBe(1);
      expect(systemMetrics.activeSchedules).toBe(1);
    });
  });

  describe('Schedule Validation and Testing', () => {
    beforeEach(async () => {
      await scheduleManager.start();
    });

    test('should validate cron expression', async () => {
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every hour', 24));
      const result = await scheduleManager.validateCronExpression('0 * * * *');
      expect(result.valid).toBe(true);
      expect(result.errors).toHaveLength(0);
    });

    test('should get next execution times', async () => {
      mockCronEngine.getNextExecutionTimes.mockResolvedValue([new Date(), new Date(), new Date()]);
      // Returns empty array for non-existent schedule
      expect(await scheduleManager.getNextExecutionTimes('test-schedule', 3)).toHaveLength(0);
    });

    test('should test schedule configuration', async () => {
      mockCronEngine.validateExpression.mockResolvedValue(validation('Every hour', 24));
      mockCronEngine.getNextExecutionTimes.mockResolvedValue([new Date(START.getTime() + 3600000), new Date(START.getTime() + 7200000)]);
      const result = await scheduleManager.testSchedule(hourly('Test Schedule'));
      expect(result.valid).toBe(true);
      expect(result.nextExecutions).toHaveLength(2);
      expect(mockCronEngine.getNextExecutionTimes).toHaveBeenCalledWith('0 * * * *', 'UTC', 5, START);
    });
  });
});

describe('ScheduleManager with tickflow’s CronEngine', () => {
  let manager: ScheduleManager;

  beforeEach(async () => {
    behaviour = 'complete';
    runs.length = 0;
    manager = new ScheduleManager({ clock: 'manual', startTime: START, executor });
    await manager.start();
  });

  afterEach(() => manager.stop());

  const schedule = (name: string, cronExpression: string, extra: Record<string, unknown> = {}) => ({
    workflowId: `wf-${name}`,
    name,
    cronExpression,
    timezone: 'UTC',
    enabled: true,
    retryPolicy: DEFAULT_RETRY_POLICY,
    metadata: { tags: [], priority: SchedulePriority.NORMAL },
    createdBy: 'ops',
    ...extra,
  });

  it('fires each schedule on the engine and runs its workflow', async () => {
    const id = await manager.createSchedule(schedule('quarter', '*/15 * * * *'));
    await manager.integration.advanceTime(3600000);
    expect(runs.map((r) => [r.scheduleId, r.workflowId, r.scheduledTime.toISOString()])).toEqual([
      [id, 'wf-quarter', '2026-01-01T00:15:00.000Z'],
      [id, 'wf-quarter', '2026-01-01T00:30:00.000Z'],
      [id, 'wf-quarter', '2026-01-01T00:45:00.000Z'],
      [id, 'wf-quarter', '2026-01-01T01:00:00.000Z'],
    ]);
    expect((await manager.getExecutionHistory(id)).successCount).toBe(4);
  });

  it('refuses a bad pattern with tickflow’s message, and a bad time zone at its path', async () => {
    await expect(manager.createSchedule(schedule('bad', '61 * * * *'))).rejects.toMatchObject({ code: 'ERR_INVALID_CRON' });
    await expect(manager.createSchedule(schedule('tz', '0 * * * *', { timezone: 'Mars/Base' }))).rejects.toMatchObject({
      path: 'schedule.timezone',
    });
    expect(await manager.listSchedules()).toEqual([]);
  });

  it('filters and sorts as ScheduleFilters says', async () => {
    // Each created in a later millisecond than the one before: createdAt tells them apart.
    const a = await manager.createSchedule(schedule('alpha', '0 3 * * *', { metadata: { tags: ['nightly', 'db'], priority: SchedulePriority.HIGH, category: 'backup' } }));
    await nextMillisecond();
    const b = await manager.createSchedule(schedule('bravo', '*/5 * * * *', { createdBy: 'dev', metadata: { tags: ['nightly'], priority: SchedulePriority.LOW } }));
    await nextMillisecond();
    const c = await manager.createSchedule(schedule('charlie', '0 * * * *', { workflowId: 'wf-x', description: 'Reports' }));
    await manager.pause(c);
    const ids = async (filters: Parameters<ScheduleManager['listSchedules']>[0]) => (await manager.listSchedules(filters)).map((s) => s.id);

    expect(await ids({})).toEqual([a, b, c]);
    expect(await ids({ enabled: false })).toEqual([c]);
    expect(await ids({ status: [ScheduleState.ACTIVE] })).toEqual([a, b]);
    expect(await ids({ priority: [SchedulePriority.HIGH, SchedulePriority.LOW] })).toEqual([a, b]);
    expect(await ids({ tags: ['nightly', 'db'] })).toEqual([a]);
    expect(await ids({ category: 'backup' })).toEqual([a]);
    expect(await ids({ createdBy: 'dev' })).toEqual([b]);
    expect(await ids({ workflowId: 'wf-x' })).toEqual([c]);
    expect(await ids({ cronExpression: '*/5 * * * *' })).toEqual([b]);
    expect(await ids({ search: 'REPORT' })).toEqual([c]);
    expect(await ids({ search: 'alpha' })).toEqual([a]);
    expect(await ids({ createdAfter: new Date('2000-01-01T00:00:00Z'), updatedBefore: new Date('2999-01-01T00:00:00Z') })).toEqual([a, b, c]);

    expect(await ids({ sortBy: ScheduleSortField.NAME, sortOrder: 'desc' })).toEqual([c, b, a]);
    expect(await ids({ sortBy: ScheduleSortField.PRIORITY })).toEqual([b, c, a]);
    // Next fires: bravo 00:05, alpha 03:00; charlie, paused, has none and goes last.
    expect(await ids({ sortBy: ScheduleSortField.NEXT_EXECUTION })).toEqual([b, a, c]);
    expect(await ids({ sortBy: ScheduleSortField.STATUS, sortOrder: 'desc' })).toEqual([c, a, b]);
    expect(await ids({ sortBy: ScheduleSortField.CREATED_AT, offset: 1, limit: 1 })).toEqual([b]);

    await manager.integration.advanceTime(10 * 60000);
    // Only bravo has run: the others have no last execution and go last, either order.
    expect((await ids({ sortBy: ScheduleSortField.LAST_EXECUTION, sortOrder: 'desc' }))[0]).toBe(b);
    await nextMillisecond();
    await manager.updateSchedule(a, { name: 'alpha 2' });
    expect((await ids({ sortBy: ScheduleSortField.UPDATED_AT, sortOrder: 'desc' }))[0]).toBe(a);
  });

  it('refuses filters it does not know, with a code and the path', async () => {
    await expect(manager.listSchedules({ limit: -1 })).rejects.toMatchObject({ code: 'ERR_OUT_OF_RANGE', path: 'filters.limit' });
    await expect(manager.listSchedules({ sortBy: 'size' as ScheduleSortField })).rejects.toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', path: 'filters.sortBy' });
    await expect(manager.listSchedules({ status: ['sleeping' as ScheduleState] })).rejects.toBeInstanceOf(TypeError);
    await expect(manager.listSchedules({ nmae: 'x' } as object)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_OPTION', path: 'filters.nmae' });
  });
});

async function waitFor(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}

async function nextMillisecond(): Promise<void> {
  const now = Date.now();
  while (Date.now() === now) await new Promise((resolve) => setImmediate(resolve));
}
