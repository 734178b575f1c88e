import { EventEmitter } from 'events';
import {
  ExecutionContext,
  ExecutionStatus,
  StepExecution,
  WorkflowDefinition,
  WorkflowExecution,
  WorkflowExecutionError,
  WorkflowStep,
  WorkflowStepType,
} from '../types/workflow';

/**
 * Runs one kind of step; throws (with a `code`, ideally: WorkflowStepError) when the step
 * fails. `signal` aborts when the step times out or its run is cancelled or times out.
 */
export type StepHandler = (step: WorkflowStep, context: ExecutionContext, signal: AbortSignal) => Promise<unknown>;

/** A step failure, with the code tickflow's retry policy matches on. */
export class WorkflowStepError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly stepId: string
  ) {
    super(message);
    this.name = 'WorkflowStepError';
  }
}

export type WorkflowEventType =
  | 'workflow.started'
  | 'workflow.completed'
  | 'workflow.failed'
  | 'workflow.timeout'
  | 'workflow.cancelled'
  | 'workflow.paused'
  | 'workflow.resumed'
  | 'workflow.escalated'
  | 'step.started'
  | 'step.completed'
  | 'step.failed'
  | 'step.skipped';

/** What the executor emits, under `type`. */
export interface WorkflowEvent {
  type: WorkflowEventType;
  executionId: string;
  workflowId: string;
  timestamp: Date;
  stepId?: string;
  error?: WorkflowExecutionError;
  execution: WorkflowExecution;
}

/** One run and what drives it. */
interface Run {
  readonly workflow: WorkflowDefinition;
  readonly execution: WorkflowExecution;
  /** Aborted when the run ends while a step may still be running (timeout, cancel). */
  readonly interrupt: AbortController;
  /** Running time left before the workflow timeout, ms (Infinity: none). */
  budgetMs: number;
  timer: NodeJS.Timeout | undefined;
  armedAt: number;
  /** A processing loop is going (a resume while it is does not start another). */
  processing: boolean;
}

type StepOutcome = { kind: 'completed'; output: unknown } | { kind: 'failed'; error: unknown } | { kind: 'interrupted' };

/**
 * Shaped like production-ccs's WorkflowExecutor: `executeWorkflow(definition, context)` runs
 * the enabled steps in order and resolves with the WorkflowExecution in whatever state the
 * run ended: 'completed'; 'failed' (a step failed under `fail_fast`, the cause in
 * `steps[].error`); 'paused' (under `escalate`); 'timeout' (the workflow's timeout passed);
 * 'cancelled' (cancelExecution). It throws only for a definition it cannot run. Runs that
 * are running or paused are listed by getActiveExecutions(). Step kinds are pluggable;
 * 'command' and 'wait' have default handlers.
 */
export class WorkflowExecutor extends EventEmitter {
  private readonly handlers = new Map<WorkflowStepType, StepHandler>();
  private readonly runs = new Map<string, Run>();
  private sequence = 0;

  constructor() {
    super();
    this.handlers.set('command', async (step) => {
      const command = step.parameters['command'];
      if (typeof command !== 'string' || command === '') throw new Error('Command action not defined');
      return { success: true, command, output: 'Command executed successfully' };
    });
    this.handlers.set('wait', async (step, _context, signal) => {
      const ms = step.parameters['durationMs'];
      if (typeof ms !== 'number' || !(ms >= 0)) throw new Error('Wait action not defined');
      await sleep(ms, signal);
      return { success: true, waited: ms };
    });
  }

  registerStepHandler(type: WorkflowStepType, handler: StepHandler): void {
    this.handlers.set(type, handler);
  }

  async executeWorkflow(workflow: WorkflowDefinition, context: Partial<ExecutionContext> = {}): Promise<WorkflowExecution> {
    const problems = validate(workflow);
    if (problems.length > 0) throw new Error(`Workflow validation failed: ${problems.join(', ')}`);

    const id = `wfexec-${++this.sequence}`;
    const correlationId = context.correlationId ?? id;
    const environment = context.environment ?? workflow.metadata.environment;
    const now = new Date();
    const execution: WorkflowExecution = {
      id,
      workflowId: workflow.id,
      workflowVersion: workflow.version,
      status: 'running',
      context: {
        variables: { ...context.variables },
        environment,
        userId: context.userId ?? 'scheduler',
        correlationId,
        metadata: { ...context.metadata },
      },
      steps: workflow.steps.map((step, i) => ({ id: `${id}-step-${i + 1}`, stepId: step.id, executionId: id, status: 'pending', startedAt: now })),
      startedAt: now,
      triggeredBy: context.userId ?? 'scheduler',
      metadata: { source: 'workflow-executor', correlationId, tags: [...workflow.metadata.tags], environment },
    };
    const run: Run = {
      workflow,
      execution,
      interrupt: new AbortController(),
      budgetMs: workflow.timeout > 0 ? workflow.timeout : Infinity,
      timer: undefined,
      armedAt: 0,
      processing: false,
    };
    this.runs.set(id, run);
    this.emitEvent('workflow.started', execution);
    await this.process(run);
    return execution;
  }

  getExecutionStatus(executionId: string): WorkflowExecution | null {
    return this.runs.get(executionId)?.execution ?? null;
  }

  /** Runs that are running or paused. */
  getActiveExecutions(): WorkflowExecution[] {
    return [...this.runs.values()].map((r) => r.execution).filter((e) => e.status === 'running' || e.status === 'paused');
  }

  /**
   * Cancels a running run: it ends as 'cancelled' at once (its running step as 'cancelled',
   * that step's signal aborted) and executeWorkflow resolves. False when the run is unknown
   * or not running.
   */
  async cancelExecution(executionId: string): Promise<boolean> {
    const run = this.runs.get(executionId);
    if (!run || run.execution.status !== 'running') return false;
    const now = new Date();
    for (const step of run.execution.steps) {
      if (step.status === 'running') settleStep(step, 'cancelled', now);
    }
    this.end(run, 'cancelled');
    this.emitEvent('workflow.cancelled', run.execution);
    run.interrupt.abort(new Error('workflow execution cancelled'));
    return true;
  }

  /** Pauses a running run after its current step; executeWorkflow resolves with it 'paused'. */
  async pauseExecution(executionId: string): Promise<boolean> {
    const run = this.runs.get(executionId);
    if (!run || run.execution.status !== 'running') return false;
    run.execution.status = 'paused';
    this.emitEvent('workflow.paused', run.execution);
    return true;
  }

  /**
   * Resumes a paused run (also one paused by `escalate`) with its pending steps; resolves
   * once it has ended or paused again. False when the run is unknown or not paused.
   */
  async resumeExecution(executionId: string): Promise<boolean> {
    const run = this.runs.get(executionId);
    if (!run || run.execution.status !== 'paused') return false;
    run.execution.status = 'running';
    this.emitEvent('workflow.resumed', run.execution);
    if (!run.processing) await this.process(run);
    return true;
  }

  /** Runs the pending steps while the run is running; completes it when they are done. */
  private async process(run: Run): Promise<void> {
    const { execution, workflow } = run;
    run.processing = true;
    this.arm(run);
    try {
      for (const [i, step] of workflow.steps.entries()) {
        if (execution.status !== 'running') break;
        const record = execution.steps[i];
        if (!record || record.status !== 'pending') continue;
        if (!step.enabled) {
          settleStep(record, 'skipped', new Date());
          this.emitEvent('step.skipped', execution, { stepId: step.id });
          continue;
        }
        await this.executeStep(run, step, record);
      }
    } finally {
      run.processing = false;
      this.disarm(run);
    }
    if (execution.status === 'running') {
      this.end(run, 'completed');
      this.emitEvent('workflow.completed', execution);
    }
  }

  private async executeStep(run: Run, step: WorkflowStep, record: StepExecution): Promise<void> {
    const { execution } = run;
    record.status = 'running';
    record.startedAt = new Date();
    this.emitEvent('step.started', execution, { stepId: step.id });
    const outcome = await this.runStep(run, step);
    // The run ended (timeout, cancel) while the step ran: the step is already settled.
    if (outcome.kind === 'interrupted' || record.status !== 'running') return;
    if (outcome.kind === 'completed') {
      record.output = outcome.output;
      settleStep(record, 'completed', new Date());
      this.emitEvent('step.completed', execution, { stepId: step.id });
      return;
    }
    const error = toExecutionError(outcome.error, step.id);
    record.error = error;
    settleStep(record, 'failed', new Date());
    this.emitEvent('step.failed', execution, { stepId: step.id, error });
    if (execution.status !== 'running') return; // paused meanwhile: the failure stays on the step
    switch (run.workflow.errorHandling.strategy) {
      case 'continue':
        break;
      case 'escalate':
        execution.status = 'paused';
        this.emitEvent('workflow.escalated', execution, { stepId: step.id, error });
        break;
      case 'fail_fast':
      default:
        this.end(run, 'failed', error);
        this.emitEvent('workflow.failed', execution, { stepId: step.id, error });
        break;
    }
  }

  /** The step's handler, bounded by the step's timeout and by the run's end. */
  private runStep(run: Run, step: WorkflowStep): Promise<StepOutcome> {
    const handler = this.handlers.get(step.type);
    if (!handler) {
      const error = new WorkflowStepError('NO_STEP_HANDLER', `No executor found for step type: ${step.type}`, step.id);
      return Promise.resolve({ kind: 'failed', error });
    }
    const stepAbort = new AbortController();
    const interrupt = run.interrupt.signal;
    return new Promise<StepOutcome>((resolve) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: StepOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        interrupt.removeEventListener('abort', onInterrupt);
        resolve(outcome);
      };
      const onInterrupt = (): void => {
        stepAbort.abort(interrupt.reason);
        finish({ kind: 'interrupted' });
      };
      if (interrupt.aborted) {
        onInterrupt();
        return;
      }
      interrupt.addEventListener('abort', onInterrupt, { once: true });
      if (step.timeout > 0) {
        timer = setTimeout(() => {
          const error = new WorkflowStepError('STEP_TIMEOUT', `Step execution timeout after ${step.timeout}ms`, step.id);
          stepAbort.abort(error);
          finish({ kind: 'failed', error });
        }, step.timeout);
      }
      Promise.resolve()
        .then(() => handler(step, run.execution.context, stepAbort.signal))
        .then(
          (output) => finish({ kind: 'completed', output }),
          (error: unknown) => finish({ kind: 'failed', error })
        );
    });
  }

  /** Starts the workflow timeout on the running time left. */
  private arm(run: Run): void {
    if (!Number.isFinite(run.budgetMs)) return;
    run.armedAt = Date.now();
    run.timer = setTimeout(() => this.timeOut(run), Math.max(0, run.budgetMs));
  }

  private disarm(run: Run): void {
    if (run.timer === undefined) return;
    clearTimeout(run.timer);
    run.timer = undefined;
    run.budgetMs -= Date.now() - run.armedAt;
  }

  private timeOut(run: Run): void {
    run.timer = undefined;
    const { execution, workflow } = run;
    if (execution.status !== 'running') return;
    const now = new Date();
    const error: WorkflowExecutionError = {
      code: 'WORKFLOW_TIMEOUT',
      message: `Workflow execution timeout after ${workflow.timeout}ms`,
      timestamp: now,
      recoverable: true,
    };
    for (const step of execution.steps) {
      if (step.status === 'running') settleStep(step, 'timeout', now);
    }
    this.end(run, 'timeout', error);
    this.emitEvent('workflow.timeout', execution, { error });
    run.interrupt.abort(new Error(error.message));
  }

  private end(run: Run, status: ExecutionStatus, error?: WorkflowExecutionError): void {
    const { execution } = run;
    execution.status = status;
    execution.completedAt = new Date();
    execution.duration = execution.completedAt.getTime() - execution.startedAt.getTime();
    const count = (s: StepExecution['status']): number => execution.steps.filter((x) => x.status === s).length;
    execution.result = {
      status,
      output: execution.steps.filter((s) => s.status === 'completed').map((s) => s.output),
      ...(error !== undefined && { error }),
      summary: {
        totalSteps: execution.steps.length,
        successfulSteps: count('completed'),
        failedSteps: count('failed'),
        skippedSteps: count('skipped'),
      },
    };
  }

  private emitEvent(
    type: WorkflowEventType,
    execution: WorkflowExecution,
    extra: { stepId?: string; error?: WorkflowExecutionError } = {}
  ): void {
    const event: WorkflowEvent = { type, executionId: execution.id, workflowId: execution.workflowId, timestamp: new Date(), ...extra, execution };
    this.emit(type, event);
  }
}

function settleStep(step: StepExecution, status: StepExecution['status'], at: Date): void {
  step.status = status;
  step.completedAt = at;
  step.duration = at.getTime() - step.startedAt.getTime();
}

function validate(workflow: WorkflowDefinition): string[] {
  const problems: string[] = [];
  if (workflow.steps.length === 0) problems.push('a workflow needs at least one step');
  const seen = new Set<string>();
  for (const step of workflow.steps) {
    if (seen.has(step.id)) problems.push(`step id '${step.id}' is used twice`);
    seen.add(step.id);
  }
  if (!['fail_fast', 'continue', 'escalate'].includes(workflow.errorHandling.strategy)) {
    problems.push(`unknown error handling strategy '${String(workflow.errorHandling.strategy)}'`);
  }
  return problems;
}

function toExecutionError(error: unknown, stepId: string): WorkflowExecutionError {
  const code = error instanceof WorkflowStepError ? error.code : 'STEP_EXECUTION_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  const stack = error instanceof Error ? error.stack : undefined;
  return { code, message, stepId, timestamp: new Date(), recoverable: false, ...(stack !== undefined && { stack }) };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
