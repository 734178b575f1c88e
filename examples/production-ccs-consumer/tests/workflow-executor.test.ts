// The production-ccs-shaped WorkflowExecutor on its own: statuses, error handling
// strategies, its workflow timeout, active runs, cancel, pause and resume.
import { WorkflowEvent, WorkflowExecutor, WorkflowStepError } from '../src/services/workflow-executor';
import { WorkflowExecution } from '../src/types/workflow';
import { broken, long, ok, step, workflow } from './fixtures';

function nextEvent(executor: WorkflowExecutor, type: WorkflowEvent['type']): Promise<WorkflowEvent> {
  return new Promise((resolve) => executor.once(type, resolve));
}

const statuses = (e: WorkflowExecution): string[] => e.steps.map((s) => s.status);

describe('WorkflowExecutor (production-ccs-like)', () => {
  let executor: WorkflowExecutor;
  beforeEach(() => {
    executor = new WorkflowExecutor();
  });

  it('completes a run, its steps and result recorded', async () => {
    const execution = await executor.executeWorkflow(workflow('wf', [ok('a'), ok('b')]), { correlationId: 'corr-1' });
    expect(execution.status).toBe('completed');
    expect(statuses(execution)).toEqual(['completed', 'completed']);
    expect(execution.context.correlationId).toBe('corr-1');
    expect(execution.result).toMatchObject({ status: 'completed', summary: { totalSteps: 2, successfulSteps: 2, failedSteps: 0 } });
    expect(executor.getActiveExecutions()).toEqual([]);
    expect(executor.getExecutionStatus(execution.id)).toBe(execution);
  });

  it("fail_fast returns the run as 'failed' (no throw), the cause in steps[].error", async () => {
    const failed = nextEvent(executor, 'workflow.failed');
    const execution = await executor.executeWorkflow(workflow('wf', [ok('a'), broken('b'), ok('c')]));
    expect(execution.status).toBe('failed');
    expect(statuses(execution)).toEqual(['completed', 'failed', 'pending']);
    expect(execution.steps[1]!.error).toMatchObject({ code: 'STEP_EXECUTION_ERROR', message: 'Command action not defined', stepId: 'b' });
    expect(execution.result?.error).toEqual(execution.steps[1]!.error);
    expect((await failed).stepId).toBe('b');
    expect(executor.getActiveExecutions()).toEqual([]);
  });

  it("a WorkflowStepError's code is the step error's code", async () => {
    executor.registerStepHandler('webhook', async (s) => {
      throw new WorkflowStepError('DEVICE_OFFLINE', 'device did not answer', s.id);
    });
    const execution = await executor.executeWorkflow(workflow('wf', [step('hook', 'webhook')]));
    expect(execution.steps[0]!.error).toMatchObject({ code: 'DEVICE_OFFLINE', message: 'device did not answer' });
  });

  it("continue runs the remaining steps; the run completes with the failure on its step", async () => {
    const execution = await executor.executeWorkflow(workflow('wf', [ok('a'), broken('b'), ok('c')], { strategy: 'continue' }));
    expect(execution.status).toBe('completed');
    expect(statuses(execution)).toEqual(['completed', 'failed', 'completed']);
    expect(execution.result?.summary).toEqual({ totalSteps: 3, successfulSteps: 2, failedSteps: 1, skippedSteps: 0 });
  });

  it("escalate pauses the run ('paused', still active); resumeExecution runs the rest", async () => {
    const escalated = nextEvent(executor, 'workflow.escalated');
    const execution = await executor.executeWorkflow(workflow('wf', [broken('a'), ok('b')], { strategy: 'escalate' }));
    expect(execution.status).toBe('paused');
    expect((await escalated).error?.message).toBe('Command action not defined');
    expect(executor.getActiveExecutions()).toEqual([execution]);
    // production-ccs cancels running runs only.
    await expect(executor.cancelExecution(execution.id)).resolves.toBe(false);
    await expect(executor.resumeExecution(execution.id)).resolves.toBe(true);
    expect(execution.status).toBe('completed');
    expect(statuses(execution)).toEqual(['failed', 'completed']);
    expect(executor.getActiveExecutions()).toEqual([]);
  });

  it("its workflow timeout ends the run as 'timeout' at once, the running step aborted", async () => {
    const started = Date.now();
    let aborted = false;
    executor.registerStepHandler(
      'script',
      (_step, _context, signal) =>
        new Promise((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        })
    );
    const execution = await executor.executeWorkflow(workflow('wf', [step('a', 'script', {}, 0), ok('b')], { timeout: 30 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(execution.status).toBe('timeout');
    expect(statuses(execution)).toEqual(['timeout', 'pending']);
    expect(execution.result?.error).toMatchObject({ code: 'WORKFLOW_TIMEOUT', message: 'Workflow execution timeout after 30ms' });
    expect(aborted).toBe(true);
    expect(executor.getActiveExecutions()).toEqual([]);
  });

  it("a step's own timeout fails the step with STEP_TIMEOUT", async () => {
    const execution = await executor.executeWorkflow(workflow('wf', [step('a', 'wait', { durationMs: 10_000 }, 20)]));
    expect(execution.status).toBe('failed');
    expect(execution.steps[0]!.error).toMatchObject({ code: 'STEP_TIMEOUT', message: 'Step execution timeout after 20ms' });
  });

  it('cancelExecution cancels a running run: it is no longer active and executeWorkflow resolves', async () => {
    const stepStarted = nextEvent(executor, 'step.started');
    const pending = executor.executeWorkflow(workflow('wf', [long('a'), ok('b')]), { correlationId: 'corr-9' });
    await stepStarted;
    const [active] = executor.getActiveExecutions();
    expect(active).toMatchObject({ status: 'running', context: { correlationId: 'corr-9' } });
    await expect(executor.cancelExecution(active!.id)).resolves.toBe(true);
    expect(executor.getActiveExecutions()).toEqual([]);
    const execution = await pending;
    expect(execution.status).toBe('cancelled');
    expect(statuses(execution)).toEqual(['cancelled', 'pending']);
    await expect(executor.cancelExecution(active!.id)).resolves.toBe(false);
    await expect(executor.cancelExecution('no-such-run')).resolves.toBe(false);
  });

  it('skips disabled steps; a step kind with no handler fails with NO_STEP_HANDLER', async () => {
    const execution = await executor.executeWorkflow(workflow('wf', [{ ...broken('off'), enabled: false }, step('s', 'script')]));
    expect(statuses(execution)).toEqual(['skipped', 'failed']);
    expect(execution.steps[1]!.error?.code).toBe('NO_STEP_HANDLER');
  });

  it('throws for a definition it cannot run', async () => {
    await expect(executor.executeWorkflow(workflow('wf', []))).rejects.toThrow('Workflow validation failed: a workflow needs at least one step');
  });
});
