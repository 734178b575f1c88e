// production-ccs's code through tickflow's seam: its WorkflowExecutor's outcomes through
// fromWorkflowExecutor, its event types on typed listeners, removeAllListeners(),
// ScheduleExecutionHandler, and tickflow's errors as this (Jest) realm's Error classes.
import {
  CronEngine,
  ExecutionStatus,
  IntegrationEvents,
  ScheduleExecutionHandler,
  WorkflowScheduleIntegration,
} from 'tickflow';
import { WorkflowEvent, WorkflowExecutor } from '../src/services/workflow-executor';
import { WorkflowSchedulingService } from '../src/services/workflow-scheduling-service';
import type * as pccs from '../src/types-check/production-ccs-types';
import { WorkflowDefinition, WorkflowExecution } from '../src/types/workflow';
import { broken, long, ok, workflow } from './fixtures';

const START = new Date('2026-01-01T00:00:00Z');
const YEARLY = '0 0 1 1 *'; // never fires in these tests: every run is triggered

const definitions: WorkflowDefinition[] = [
  workflow('report', [ok('collect'), ok('notify')]),
  workflow('broken', [ok('collect'), broken('send')]),
  workflow('escalating', [broken('send'), ok('notify')], { strategy: 'escalate' }),
  workflow('slow-inside', [long('collect'), ok('notify')], { timeout: 30 }),
  workflow('long', [long('collect'), ok('notify')]),
];

/** Resolves with the next payload of `name` for `executionId` (any, without one). */
function nextEvent<K extends keyof IntegrationEvents>(
  integration: WorkflowScheduleIntegration,
  name: K,
  executionId?: string
): Promise<IntegrationEvents[K]> {
  return new Promise((resolve) => {
    const listener = (payload: IntegrationEvents[K]): void => {
      if (executionId !== undefined && (payload as { executionId?: string }).executionId !== executionId) return;
      integration.off(name, listener);
      resolve(payload);
    };
    integration.on(name, listener);
  });
}

function executorEvent(executor: WorkflowExecutor, type: WorkflowEvent['type']): Promise<WorkflowEvent> {
  return new Promise((resolve) => executor.once(type, resolve));
}

let executor: WorkflowExecutor;
let service: WorkflowSchedulingService;
let integration: WorkflowScheduleIntegration;
/** The production-ccs runs, as the executor started them. */
let pccsRuns: WorkflowExecution[];

beforeEach(async () => {
  executor = new WorkflowExecutor();
  pccsRuns = [];
  executor.on('workflow.started', (e: WorkflowEvent) => pccsRuns.push(e.execution));
  service = new WorkflowSchedulingService(executor, { clock: 'manual', startTime: START });
  for (const definition of definitions) service.registerWorkflow(definition);
  integration = service.integration;
  await service.start();
});

afterEach(async () => {
  await service.stop(0);
});

/** Schedules `workflowId` (its schedule id is the workflow id) and runs it now. */
async function runNow(workflowId: string, timeoutMs = 60_000): Promise<string> {
  await service.scheduleWorkflow(workflowId, { id: workflowId, cronExpression: YEARLY, timeoutMs });
  return service.runNow(workflowId, 'test');
}

describe("production-ccs's WorkflowExecutor outcomes through fromWorkflowExecutor", () => {
  it("fail_fast: workflow.failed carries the failed step's message and code", async () => {
    const failed = nextEvent(integration, 'workflow.failed');
    const id = await runNow('broken');
    const event = await failed;
    expect(event.executionId).toBe(id);
    expect(event.status).toBe(ExecutionStatus.FAILED);
    expect(event.error).toMatchObject({ code: 'STEP_EXECUTION_ERROR', message: 'Command action not defined' });
    expect(pccsRuns.map((r) => r.status)).toEqual(['failed']);
  });

  it('its own workflow timeout: workflow.failed with code WORKFLOW_TIMEOUT', async () => {
    const failed = nextEvent(integration, 'workflow.failed');
    await runNow('slow-inside');
    const event = await failed;
    expect(event.error).toMatchObject({ code: 'WORKFLOW_TIMEOUT' });
    expect(event.error?.message).toMatch(/hit its own timeout.*Workflow execution timeout after 30ms/);
    expect(pccsRuns.map((r) => r.status)).toEqual(['timeout']);
    expect(executor.getActiveExecutions()).toEqual([]);
  });

  it("escalate: workflow.failed with code WORKFLOW_ESCALATED (the run is paused in the executor)", async () => {
    const failed = nextEvent(integration, 'workflow.failed');
    await runNow('escalating');
    const event = await failed;
    expect(event.error).toMatchObject({ code: 'WORKFLOW_ESCALATED' });
    expect(event.error?.message).toMatch(/manual intervention.*Command action not defined/);
    expect(executor.getActiveExecutions().map((r) => r.status)).toEqual(['paused']);
  });

  it("tickflow's executionConfig.timeout cancels the production-ccs run", async () => {
    const stepStarted = executorEvent(executor, 'step.started');
    const id = await runNow('long', 5_000);
    await stepStarted;
    expect(executor.getActiveExecutions()).toHaveLength(1);
    const failed = nextEvent(integration, 'workflow.failed', id);
    await integration.advanceTime(5_000);
    const event = await failed;
    expect(event).toMatchObject({ status: ExecutionStatus.TIMEOUT, error: { code: 'TIMEOUT' } });
    expect(executor.getActiveExecutions()).toEqual([]);
    expect(pccsRuns).toHaveLength(1);
    expect(pccsRuns[0]!.status).toBe('cancelled');
    expect(pccsRuns[0]!.context.correlationId).toBe(id);
    expect(pccsRuns[0]!.steps.map((s) => s.status)).toEqual(['cancelled', 'pending']);
  });

  it('cancelScheduledExecution cancels the production-ccs run', async () => {
    const stepStarted = executorEvent(executor, 'step.started');
    const id = await runNow('long');
    await stepStarted;
    expect(executor.getActiveExecutions()).toHaveLength(1);
    const cancelled = nextEvent(integration, 'workflow.cancelled', id);
    await integration.cancelScheduledExecution(id);
    expect(executor.getActiveExecutions()).toEqual([]);
    expect(pccsRuns[0]!.status).toBe('cancelled');
    await cancelled;
    expect((await integration.getExecution(id))?.status).toBe(ExecutionStatus.CANCELLED);
  });
});

describe("listeners typed with production-ccs's event types", () => {
  it('schedule.triggered, workflow.completed and workflow.failed', async () => {
    const triggered: pccs.ScheduleTriggeredEvent[] = [];
    const completed: pccs.WorkflowCompletedEvent[] = [];
    const failed: pccs.WorkflowCompletedEvent[] = [];
    integration.on('schedule.triggered', (e: pccs.ScheduleTriggeredEvent) => triggered.push(e));
    integration.on('workflow.completed', (e: pccs.WorkflowCompletedEvent) => completed.push(e));
    integration.on('workflow.failed', (e: pccs.WorkflowCompletedEvent) => failed.push(e));

    const done = nextEvent(integration, 'workflow.completed');
    const okId = await runNow('report');
    await done;
    const fails = nextEvent(integration, 'workflow.failed');
    const badId = await runNow('broken');
    await fails;

    expect(triggered.map((e) => e.scheduleId)).toEqual(['report', 'broken']);
    for (const e of [...triggered, ...completed, ...failed]) expect(e.id).toMatch(/^evt_/);
    const ids = [...triggered, ...completed, ...failed].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const e of triggered) {
      expect(typeof e.context.environment).toBe('string');
      expect(e.context.environment).toBe('production');
      expect(e.triggerType).toBe('manual');
      expect(e.triggerTime).toBeInstanceOf(Date);
    }

    expect(completed).toHaveLength(1);
    const c = completed[0]!;
    expect(c.executionId).toBe(okId);
    expect(c.metadata['correlationId']).toBe(c.executionId);
    expect(c.status).toBe(ExecutionStatus.COMPLETED);
    expect('error' in c).toBe(false);
    expect(c.result).not.toBeNull();
    // The result is what the executor returned: production-ccs's WorkflowExecution.
    expect(c.result).toMatchObject({ status: 'completed', workflowId: 'report' });

    expect(failed).toHaveLength(1);
    const f = failed[0]!;
    expect(f.executionId).toBe(badId);
    expect(f.metadata['correlationId']).toBe(badId);
    expect(f.error).not.toBeNull();
    expect(f.error).toMatchObject({ code: 'STEP_EXECUTION_ERROR', message: 'Command action not defined', retryable: expect.any(Boolean) });
    expect(f.error?.timestamp).toBeInstanceOf(Date);
    expect('result' in f).toBe(false);
  });

  it('listeners added after removeAllListeners() still receive events', async () => {
    integration.removeAllListeners();
    const heard: string[] = [];
    integration.on('schedule.triggered', (e: pccs.ScheduleTriggeredEvent) => heard.push(`triggered ${e.scheduleId}`));
    integration.on('workflow.completed', (e: pccs.WorkflowCompletedEvent) => heard.push(`completed ${e.executionId}`));
    const done = nextEvent(integration, 'workflow.completed');
    const id = await runNow('report');
    await done;
    expect(heard).toEqual(['triggered report', `completed ${id}`]);
    // The service's own listeners went with removeAllListeners().
    expect(service.counters).toEqual({ triggered: 0, successfulExecutions: 0, failedExecutions: 0, retries: 0 });
  });
});

describe("tickflow's ScheduleExecutionHandler", () => {
  it('handleScheduleTrigger resolves with the WorkflowExecution as soon as the run starts', async () => {
    await service.scheduleWorkflow('long', { id: 'long', cronExpression: YEARLY });
    const handler = new ScheduleExecutionHandler(integration);
    await handler.initialize();
    await handler.start();
    expect(handler.getStatus().isRunning).toBe(true);
    const heard: string[] = [];
    handler.on('workflow.cancelled', (e) => heard.push(`cancelled ${e.executionId}`));

    // production-ccs's WorkflowExecution, while its 10 s step still runs.
    const execution: pccs.WorkflowExecution = await handler.handleScheduleTrigger({
      scheduleId: 'long',
      workflowId: 'long',
      triggerTime: new Date(),
      triggerType: 'manual',
      context: { triggeredBy: 'manual', metadata: { source: 'api' } },
    });
    expect(execution).toMatchObject({
      workflowId: 'long',
      workflowVersion: '1.0.0',
      status: 'running',
      steps: [],
      triggeredBy: 'manual',
      triggerType: 'schedule',
      context: { environment: 'production', userId: 'system', correlationId: execution.id },
      metadata: { source: 'schedule', correlationId: execution.id, priority: 'normal', environment: 'production' },
    });
    expect(execution.startedAt).toBeInstanceOf(Date);
    expect((await integration.getExecution(execution.id))!.status).toBe(ExecutionStatus.RUNNING);

    // Its events still come through the handler until it ends.
    await integration.cancelScheduledExecution(execution.id);
    expect(heard).toEqual([`cancelled ${execution.id}`]);
    await handler.stop();
    expect(handler.getStatus().isRunning).toBe(false);
  });

  it('handleScheduleTrigger of a quick run: it has started, and completes', async () => {
    await service.scheduleWorkflow('report', { id: 'report', cronExpression: YEARLY });
    const handler = new ScheduleExecutionHandler(integration);
    await handler.start();
    const completed = new Promise<string>((resolve) => handler.on('workflow.completed', (e: pccs.WorkflowCompletedEvent) => resolve(e.executionId)));
    const execution = await handler.handleScheduleTrigger({ scheduleId: 'report' });
    expect(['running', 'completed']).toContain(execution.status);
    expect(await completed).toBe(execution.id);
    expect((await integration.getExecution(execution.id))!.result?.output).toMatchObject({ status: 'completed', workflowId: 'report' });
  });

  it('accepts null as production-ccs does, and fails with a code only when used', async () => {
    const handler = new ScheduleExecutionHandler(null);
    await handler.initialize();
    await handler.start();
    expect(handler.getStatus().isRunning).toBe(true);
    await expect(handler.handleScheduleTrigger({ scheduleId: 'report' })).rejects.toMatchObject({
      code: 'ERR_NO_INTEGRATION',
      message: expect.stringContaining('without an integration'),
    });
  });

  it('start() on a running integration resolves, and emits nothing', async () => {
    const events: string[] = [];
    integration.on('event', (e) => events.push(e.type));
    expect(integration.getState()).toBe('running');
    await expect(integration.start()).resolves.toBeUndefined();
    expect(integration.getState()).toBe('running');
    expect(events).toEqual([]);
  });
});

describe("tickflow's errors are this realm's Error classes", () => {
  it('a bad cron pattern rejects with a RangeError', async () => {
    const error: unknown = await new CronEngine().getNextExecutionTime('nope', 'UTC').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toBeInstanceOf(Error);
    expect(error instanceof RangeError).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_INVALID_CRON' });
    await expect(new CronEngine().analyzeScheduleFrequency('0 25 * * *')).rejects.toBeInstanceOf(RangeError);
  });

  it('pauseSchedule of a missing schedule rejects with an Error coded ERR_NOT_FOUND', async () => {
    const error: unknown = await integration.pauseSchedule('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error instanceof Error).toBe(true);
    expect((error as NodeJS.ErrnoException).code).toBe('ERR_NOT_FOUND');
  });

  it('maxConcurrency 0 throws a RangeError', () => {
    expect(() => new WorkflowScheduleIntegration({ maxConcurrency: 0 })).toThrow(RangeError);
    let thrown: unknown;
    try {
      new WorkflowScheduleIntegration({ maxConcurrency: 0 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown instanceof RangeError && thrown instanceof Error).toBe(true);
  });
});
