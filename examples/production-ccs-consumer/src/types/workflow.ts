/**
 * The part of production-ccs's workflow model (src/types/workflow.ts) this example needs:
 * a workflow is a list of steps with an error-handling strategy and a timeout, and running
 * one produces a WorkflowExecution whose status and step errors are production-ccs's. The
 * scheduling types come from tickflow itself.
 */

export type WorkflowStepType = 'command' | 'webhook' | 'wait' | 'script' | 'notification';
export type WorkflowEnvironment = 'development' | 'staging' | 'production';

/** A run's status, as production-ccs's ExecutionStatus (types/workflow.ts). */
export type ExecutionStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'paused';
/** The earlier name of ExecutionStatus. */
export type WorkflowRunStatus = ExecutionStatus;

/** A step's status, as production-ccs's StepExecutionStatus. */
export type StepExecutionStatus =
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'skipped'
  | 'cancelled'
  | 'timeout'
  | 'retrying';

/**
 * What a step failure does to the run (production-ccs's ErrorStrategy, the strategies this
 * executor implements): `fail_fast` ends it as 'failed', `continue` runs the remaining steps
 * (the run completes), `escalate` pauses it for manual intervention ('paused').
 */
export type ErrorStrategy = 'fail_fast' | 'continue' | 'escalate';

export interface ErrorHandlingConfig {
  strategy: ErrorStrategy;
  notificationOnError?: boolean;
}

export interface WorkflowStep {
  id: string;
  name: string;
  type: WorkflowStepType;
  /** Step parameters, handed to the step handler. */
  parameters: Record<string, unknown>;
  /** ms; the step fails with STEP_TIMEOUT after it. 0: no bound. */
  timeout: number;
  enabled: boolean;
}

export interface WorkflowDefinition {
  id: string;
  name: string;
  version: string;
  description: string;
  steps: WorkflowStep[];
  errorHandling: ErrorHandlingConfig;
  /** ms of running time; the run ends as 'timeout' after it. 0: no bound. */
  timeout: number;
  metadata: { tags: string[]; owner: string; environment: WorkflowEnvironment };
}

/** What production-ccs's executor gets as its second argument. */
export interface ExecutionContext {
  variables: Record<string, unknown>;
  environment: WorkflowEnvironment;
  userId: string;
  correlationId: string;
  metadata: Record<string, unknown>;
}

/** production-ccs's ExecutionError (types/workflow.ts). */
export interface WorkflowExecutionError {
  code: string;
  message: string;
  details?: unknown;
  stepId?: string;
  timestamp: Date;
  recoverable: boolean;
  stack?: string;
}

export interface StepExecution {
  id: string;
  stepId: string;
  executionId: string;
  status: StepExecutionStatus;
  output?: unknown;
  error?: WorkflowExecutionError;
  /** When the step started; until then, when the run was created. */
  startedAt: Date;
  completedAt?: Date;
  duration?: number;
}

export interface ExecutionSummary {
  totalSteps: number;
  successfulSteps: number;
  failedSteps: number;
  skippedSteps: number;
}

/** A final run's outcome (completed, failed, timeout, cancelled). */
export interface WorkflowResult {
  status: ExecutionStatus;
  /** The completed steps' outputs, in step order. */
  output?: unknown;
  error?: WorkflowExecutionError;
  summary: ExecutionSummary;
}

export interface ExecutionMetadata {
  source: string;
  correlationId: string;
  tags: string[];
  environment: WorkflowEnvironment;
}

export interface WorkflowExecution {
  id: string;
  workflowId: string;
  workflowVersion: string;
  status: ExecutionStatus;
  context: ExecutionContext;
  steps: StepExecution[];
  result?: WorkflowResult;
  startedAt: Date;
  completedAt?: Date;
  duration?: number;
  triggeredBy: string;
  metadata: ExecutionMetadata;
}
