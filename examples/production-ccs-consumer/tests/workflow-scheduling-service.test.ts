// The scheduling service as production-ccs would test it, against the real tickflow addon
// on a manual clock: time moves only when the test says so, so every run is deterministic.
import {
  ExecutionStatus,
  IntegrationEvents,
  SchedulePriority,
  ScheduleState,
  TriggerSource,
  WorkflowScheduleIntegration,
} from 'tickflow';
import { WorkflowExecutor, WorkflowStepError } from '../src/services/workflow-executor';
import { WorkflowSchedulingService } from '../src/services/workflow-scheduling-service';
import { ExecutionContext, WorkflowDefinition, WorkflowStep } from '../src/types/workflow';

const START = new Date('2026-01-01T07:00:00Z'); // 08:00 in Berlin
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const dailyReport: WorkflowDefinition = {
  id: 'daily-report',
  name: 'Daily device report',
  version: '1.2.0',
  description: 'Collects device stats and posts a report',
  steps: [
    { id: 'collect', name: 'Collect stats', type: 'command', parameters: { command: 'stats' }, timeout: 5000, enabled: true },
    { id: 'notify', name: 'Notify', type: 'notification', parameters: { channel: 'ops' }, timeout: 5000, enabled: true },
  ],
  errorHandling: { strategy: 'fail_fast' },
  timeout: 60_000,
  metadata: { tags: ['reports'], owner: 'ops-team', environment: 'production' },
};

/** Resolves with the next payload of `name`. */
function nextEvent<K extends keyof IntegrationEvents>(integration: WorkflowScheduleIntegration, name: K): Promise<IntegrationEvents[K]> {
  return new Promise((resolve) => integration.once(name, resolve));
}

describe('WorkflowSchedulingService on tickflow', () => {
  let executor: WorkflowExecutor;
  let service: WorkflowSchedulingService;
  let stepCalls: Array<{ step: WorkflowStep; context: ExecutionContext }>;

  beforeEach(async () => {
    stepCalls = [];
    executor = new WorkflowExecutor();
    const record = async (step: WorkflowStep, context: ExecutionContext): Promise<unknown> => {
      stepCalls.push({ step, context });
      return { step: step.id, ok: true };
    };
    executor.registerStepHandler('command', record);
    executor.registerStepHandler('notification', record);
    service = new WorkflowSchedulingService(executor, { clock: 'manual', startTime: START, defaultTimezone: 'UTC' });
    service.registerWorkflow(dailyReport);
    await service.start();
  });

  afterEach(async () => {
    await service.stop();
  });

  it('runs the workflow when its schedule fires, in the schedule time zone', async () => {
    await service.scheduleWorkflow('daily-report', {
      id: 'report-9am',
      cronExpression: '0 9 * * *',
      timezone: 'Europe/Berlin',
      priority: SchedulePriority.HIGH,
      variables: { recipients: ['ops@example.com'] },
    });
    expect(service.getNextRuns('report-9am', 2)).toEqual([new Date('2026-01-01T08:00:00Z'), new Date('2026-01-02T08:00:00Z')]);

    await service.integration.advanceTime(59 * MINUTE);
    expect(stepCalls).toHaveLength(0);

    const completed = nextEvent(service.integration, 'workflow.completed');
    await service.integration.advanceTime(MINUTE);
    const event = await completed;

    expect(event.scheduleId).toBe('report-9am');
    expect(event.status).toBe('completed');
    expect(stepCalls.map((c) => c.step.id)).toEqual(['collect', 'notify']);
    // fromWorkflowExecutor hands the executor the schedule's variables and a correlation id.
    const context = stepCalls[0]!.context;
    expect(context.variables).toEqual({ recipients: ['ops@example.com'] });
    expect(context.correlationId).toBe(event.executionId);
    expect(context.environment).toBe('production');
    expect(context.metadata).toMatchObject({ scheduleId: 'report-9am', attempt: 1, triggerType: 'scheduled' });

    const status = await service.getStatus('report-9am');
    expect(status.scheduleStatus.status).toBe(ScheduleState.ACTIVE);
    expect(status.scheduleStatus.lastExecutionStatus).toBe(ExecutionStatus.COMPLETED);
    expect(status.nextExecution).toEqual(new Date('2026-01-02T08:00:00Z'));
    expect(await service.getHistory('report-9am')).toMatchObject({ totalCount: 1, successCount: 1, failureCount: 0 });
    expect(service.log.map((l) => l.event)).toEqual(['schedule.triggered', 'workflow.completed']);
    expect(service.log[0]!.detail).toBe(`scheduled by ${TriggerSource.SCHEDULE}`);
  });

  it('retries a failing step by the retry policy, then records the failure with its code', async () => {
    let attempts = 0;
    executor.registerStepHandler('command', async (step) => {
      attempts++;
      throw new WorkflowStepError('DEVICE_OFFLINE', 'device did not answer', step.id);
    });
    await service.scheduleWorkflow('daily-report', { id: 'hourly', cronExpression: '0 * * * *', maxAttempts: 3 });

    const failed = nextEvent(service.integration, 'workflow.failed');
    await service.integration.advanceTime(HOUR); // the fire; attempt 1 fails
    await service.integration.advanceTime(1000); // retry after 1 s; attempt 2 fails
    await service.integration.advanceTime(2000); // exponential backoff: 2 s; attempt 3 fails
    const event = await failed;

    expect(attempts).toBe(3);
    expect(event.attempts).toBe(3);
    expect(event.error).toMatchObject({ code: 'DEVICE_OFFLINE', message: 'device did not answer' });
    expect(service.counters).toEqual({ triggered: 1, successfulExecutions: 0, failedExecutions: 1, retries: 2 });
    expect(service.log.filter((l) => l.event === 'workflow.retrying').map((l) => l.detail)).toEqual([
      'attempt 2 after DEVICE_OFFLINE',
      'attempt 3 after DEVICE_OFFLINE',
    ]);

    const [execution] = await service.integration.listExecutions({ scheduleId: 'hourly' });
    expect(execution!.status).toBe(ExecutionStatus.FAILED);
    expect(execution!.attempts!.map((a) => a.error?.code)).toEqual(['DEVICE_OFFLINE', 'DEVICE_OFFLINE', 'DEVICE_OFFLINE']);
    expect((await service.getStatus('hourly')).scheduleStatus.lastError).toBe('device did not answer');
  });

  it('runs a paused schedule on demand, with the manual trigger in the context', async () => {
    await service.scheduleWorkflow('daily-report', { id: 'on-demand', cronExpression: '0 0 1 * *' });
    await service.integration.pauseSchedule('on-demand', 'maintenance window');
    expect((await service.getStatus('on-demand')).scheduleStatus.status).toBe(ScheduleState.PAUSED);

    const completed = nextEvent(service.integration, 'workflow.completed');
    const executionId = await service.runNow('on-demand', 'requested by ops');
    expect((await completed).executionId).toBe(executionId);
    expect(service.log[0]!.detail).toBe(`manual by ${TriggerSource.MANUAL}`);
    expect(await service.integration.getExecution(executionId)).toMatchObject({ status: ExecutionStatus.COMPLETED, triggerType: 'manual' });
  });

  it('refuses a bad cron pattern, naming the field', async () => {
    await expect(service.scheduleWorkflow('daily-report', { id: 'bad', cronExpression: '0 25 * * *' })).rejects.toThrow(
      "invalid schedule 'bad': hour: '25' is out of range 0-23"
    );
  });

  it('fails a run whose workflow is not registered with WORKFLOW_NOT_FOUND', async () => {
    service.registerWorkflow({ ...dailyReport, id: 'temporary' });
    await service.scheduleWorkflow('temporary', { id: 'orphan', cronExpression: '*/5 * * * *' });
    // A definition that goes away (a redeploy dropped it): the next fire fails, nothing throws.
    service.unregisterWorkflow('temporary');

    const failed = nextEvent(service.integration, 'workflow.failed');
    await service.integration.advanceTime(5 * MINUTE);
    expect((await failed).error?.code).toBe('WORKFLOW_NOT_FOUND');
  });
});
