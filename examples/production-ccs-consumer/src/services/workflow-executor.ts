import { EventEmitter } from 'events';
import {
  ExecutionContext,
  StepExecution,
  WorkflowDefinition,
  WorkflowExecution,
  WorkflowExecutionError,
  WorkflowStep,
  WorkflowStepType,
} from '../types/workflow';

/** Runs one kind of step; throws (with a `code`, ideally) when the step fails. */
export type StepHandler = (step: WorkflowStep, context: ExecutionContext) => Promise<unknown>;

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

/**
 * Shaped like production-ccs's WorkflowExecutor: `executeWorkflow(definition, context)`
 * runs the enabled steps in order and resolves with the WorkflowExecution, or throws when a
 * step fails (after emitting 'workflow.failed'). Step kinds are pluggable.
 */
export class WorkflowExecutor extends EventEmitter {
  private readonly handlers = new Map<WorkflowStepType, StepHandler>();
  private readonly executions = new Map<string, WorkflowExecution>();
  private sequence = 0;

  registerStepHandler(type: WorkflowStepType, handler: StepHandler): void {
    this.handlers.set(type, handler);
  }

  async executeWorkflow(
    workflow: WorkflowDefinition,
    context: Partial<ExecutionContext> = {}
  ): Promise<WorkflowExecution> {
    const id = `wfexec-${++this.sequence}`;
    const execution: WorkflowExecution = {
      id,
      workflowId: workflow.id,
      workflowVersion: workflow.version,
      status: 'running',
      context: {
        variables: { ...context.variables },
        environment: context.environment ?? workflow.metadata.environment,
        userId: context.userId ?? 'scheduler',
        correlationId: context.correlationId ?? id,
        metadata: { ...context.metadata },
      },
      steps: [],
      startedAt: new Date(),
    };
    this.executions.set(id, execution);
    this.emit('workflow.started', execution);

    for (const step of workflow.steps) {
      const record: StepExecution = { stepId: step.id, status: 'running', startedAt: new Date() };
      execution.steps.push(record);
      if (!step.enabled) {
        record.status = 'skipped';
        continue;
      }
      try {
        record.output = await this.runStep(step, execution.context);
        record.status = 'completed';
        record.completedAt = new Date();
      } catch (error) {
        const failure = toExecutionError(error, step.id);
        record.status = 'failed';
        record.error = failure;
        this.finish(execution, 'failed', { status: 'failed', error: failure });
        this.emit('workflow.failed', execution, failure);
        throw error;
      }
    }
    const output = execution.steps.map((s) => s.output);
    this.finish(execution, 'completed', { status: 'completed', output });
    this.emit('workflow.completed', execution);
    return execution;
  }

  getExecutionStatus(executionId: string): WorkflowExecution | null {
    return this.executions.get(executionId) ?? null;
  }

  private async runStep(step: WorkflowStep, context: ExecutionContext): Promise<unknown> {
    const handler = this.handlers.get(step.type);
    if (!handler) {
      throw new WorkflowStepError('NO_STEP_HANDLER', `no handler for step type '${step.type}'`, step.id);
    }
    return handler(step, context);
  }

  private finish(
    execution: WorkflowExecution,
    status: WorkflowExecution['status'],
    result: NonNullable<WorkflowExecution['result']>
  ): void {
    execution.status = status;
    execution.result = result;
    execution.completedAt = new Date();
    execution.duration = execution.completedAt.getTime() - execution.startedAt.getTime();
  }
}

function toExecutionError(error: unknown, stepId: string): WorkflowExecutionError {
  const code = error instanceof WorkflowStepError ? error.code : 'STEP_EXECUTION_ERROR';
  const message = error instanceof Error ? error.message : String(error);
  return { code, message, stepId, timestamp: new Date(), recoverable: true };
}
