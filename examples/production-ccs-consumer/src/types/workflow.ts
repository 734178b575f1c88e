/**
 * The part of production-ccs's workflow model (src/types/workflow.ts) this example needs:
 * a workflow is a list of steps, and running one produces a WorkflowExecution. The
 * scheduling types come from tickflow itself.
 */

export type WorkflowStepType = 'command' | 'webhook' | 'wait' | 'script' | 'notification';
export type WorkflowEnvironment = 'development' | 'staging' | 'production';
export type WorkflowRunStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout';

export interface WorkflowStep {
  id: string;
  name: string;
  type: WorkflowStepType;
  /** Step parameters, handed to the step handler. */
  parameters: Record<string, unknown>;
  timeout: number;
  enabled: boolean;
}

export interface WorkflowDefinition {
  id: string;
  name: string;
  version: string;
  description: string;
  steps: WorkflowStep[];
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

export interface WorkflowExecutionError {
  code: string;
  message: string;
  stepId?: string;
  timestamp: Date;
  recoverable: boolean;
}

export interface StepExecution {
  stepId: string;
  status: WorkflowRunStatus | 'skipped';
  output?: unknown;
  error?: WorkflowExecutionError;
  startedAt: Date;
  completedAt?: Date;
}

export interface WorkflowExecution {
  id: string;
  workflowId: string;
  workflowVersion: string;
  status: WorkflowRunStatus;
  context: ExecutionContext;
  steps: StepExecution[];
  result?: { status: WorkflowRunStatus; output?: unknown; error?: WorkflowExecutionError };
  startedAt: Date;
  completedAt?: Date;
  duration?: number;
}
