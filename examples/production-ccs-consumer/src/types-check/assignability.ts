/**
 * Type-level test (issue 13, "Types"): every value production-ccs receives from its scheduler,
 * typed as tickflow types it, must be assignable where production-ccs code receives it, under
 * production-ccs's compiler options (strict, exactOptionalPropertyTypes,
 * noUncheckedIndexedAccess). Nothing here runs: `tsc --noEmit` is the test. The functions are
 * exported so that noUnusedLocals has nothing to say; none of them is ever called.
 *
 * Each check is `tickflow type -> production-ccs type`; a compile error names the field that
 * does not fit.
 */

import type * as tickflow from 'tickflow';
import type * as pccs from './production-ccs-types';

// ---- values production-ccs code receives ---------------------------------------------------

/** ScheduleManagerService.getExecution / listExecutions: a ScheduledExecution. */
export function scheduledExecution(e: tickflow.ScheduledExecution): pccs.ScheduledExecution {
  const x: pccs.ScheduledExecution = e;
  return x;
}

/** integration.on('schedule.triggered', ...): the handler's ScheduleTriggeredEvent. */
export function scheduleTriggeredEvent(e: tickflow.ScheduleTriggeredEvent): pccs.ScheduleTriggeredEvent {
  const x: pccs.ScheduleTriggeredEvent = e;
  return x;
}

/** integration.on('workflow.completed' | 'workflow.failed', ...): a WorkflowCompletedEvent. */
export function workflowCompletedEvent(e: tickflow.WorkflowCompletedEvent): pccs.WorkflowCompletedEvent {
  const x: pccs.WorkflowCompletedEvent = e;
  return x;
}

/** The payloads as the integration's event map gives them to typed listeners. */
export function eventMapPayloads(
  triggered: tickflow.IntegrationEvents['schedule.triggered'],
  completed: tickflow.IntegrationEvents['workflow.completed'],
  failed: tickflow.IntegrationEvents['workflow.failed']
): [pccs.ScheduleTriggeredEvent, pccs.WorkflowCompletedEvent, pccs.WorkflowCompletedEvent] {
  return [triggered, completed, failed];
}

/**
 * Listeners written with production-ccs's event types, the way production-ccs subscribes. A
 * known event name has no catch-all overload to fall back on (see listeners.ts), so a payload
 * that did not fit would fail here; `typedOn` below checks the same through the typed overload
 * alone.
 */
export function listeners(
  integration: tickflow.WorkflowScheduleIntegration,
  sink: (event: pccs.ScheduleTriggeredEvent | pccs.WorkflowCompletedEvent) => void
): void {
  integration.on('workflow.completed', (e: pccs.WorkflowCompletedEvent) => {
    sink(e);
  });
  integration.on('workflow.failed', (e: pccs.WorkflowCompletedEvent) => {
    sink(e);
  });
  integration.on('schedule.triggered', (e: pccs.ScheduleTriggeredEvent) => {
    sink(e);
  });
}

function typedOn<K extends keyof tickflow.IntegrationEvents>(
  integration: tickflow.WorkflowScheduleIntegration,
  event: K,
  listener: (payload: tickflow.IntegrationEvents[K]) => void
): void {
  integration.on(event, listener);
}

/** The same listeners, against the typed overload only. */
export function typedListeners(
  integration: tickflow.WorkflowScheduleIntegration,
  sink: (event: pccs.ScheduleTriggeredEvent | pccs.WorkflowCompletedEvent) => void
): void {
  typedOn(integration, 'workflow.completed', (e: pccs.WorkflowCompletedEvent) => {
    sink(e);
  });
  typedOn(integration, 'workflow.failed', (e: pccs.WorkflowCompletedEvent) => {
    sink(e);
  });
  typedOn(integration, 'schedule.triggered', (e: pccs.ScheduleTriggeredEvent) => {
    sink(e);
  });
}

/** ScheduleExecutionHandler.handleScheduleTrigger: production-ccs's WorkflowExecution. */
export async function triggeredExecution(
  handler: tickflow.ScheduleExecutionHandler,
  trigger: tickflow.ScheduleTrigger
): Promise<pccs.WorkflowExecution> {
  const x: pccs.WorkflowExecution = await handler.handleScheduleTrigger(trigger);
  return x;
}

/** production-ccs's CronEngine interface, implemented by tickflow's CronEngine. */
export function cronEngine(CronEngine: typeof tickflow.CronEngine): pccs.CronEngine {
  const engine: pccs.CronEngine = new CronEngine();
  return engine;
}

/** getScheduledWorkflow / getScheduledWorkflows: production-ccs's ScheduledWorkflowConfig. */
export function scheduledWorkflow(
  integration: tickflow.WorkflowScheduleIntegration,
  id: string
): pccs.ScheduledWorkflowConfig | null {
  const config = integration.getScheduledWorkflow(id);
  if (config === null) return null;
  const x: pccs.ScheduledWorkflowConfig = config;
  return x;
}

export function scheduledWorkflows(integration: tickflow.WorkflowScheduleIntegration): pccs.ScheduledWorkflowConfig[] {
  const x: pccs.ScheduledWorkflowConfig[] = integration.getScheduledWorkflows();
  return x;
}

/** The status and history reads: Promises in production-ccs and in tickflow alike. */
export async function executionHistory(
  integration: tickflow.WorkflowScheduleIntegration,
  scheduleId: string
): Promise<pccs.ExecutionHistory> {
  const x: pccs.ExecutionHistory = await integration.getExecutionHistory(scheduleId);
  return x;
}

export async function scheduleStatus(
  integration: tickflow.WorkflowScheduleIntegration,
  scheduleId: string
): Promise<pccs.ScheduleStatus> {
  const x: pccs.ScheduleStatus = await integration.getScheduleStatus(scheduleId);
  return x;
}

export async function scheduleWorkflowStatus(
  integration: tickflow.WorkflowScheduleIntegration,
  scheduleId: string
): Promise<pccs.ScheduleWorkflowStatus> {
  const x: pccs.ScheduleWorkflowStatus = await integration.getScheduleWorkflowStatus(scheduleId);
  return x;
}

export async function systemMetrics(integration: tickflow.WorkflowScheduleIntegration): Promise<pccs.SystemMetrics> {
  const x: pccs.SystemMetrics = await integration.getSystemMetrics();
  return x;
}

export async function scheduleHealth(
  integration: tickflow.WorkflowScheduleIntegration,
  scheduleId: string
): Promise<pccs.ScheduleHealth> {
  const x: pccs.ScheduleHealth = await integration.getScheduleHealth(scheduleId);
  return x;
}

export async function scheduleMetrics(
  integration: tickflow.WorkflowScheduleIntegration,
  scheduleId: string
): Promise<pccs.ScheduleMetrics> {
  const x: pccs.ScheduleMetrics = await integration.getScheduleMetrics(scheduleId);
  return x;
}

export async function integrationMetrics(
  integration: tickflow.WorkflowScheduleIntegration,
  scheduleId: string
): Promise<pccs.ScheduleWorkflowMetrics> {
  const x: pccs.ScheduleWorkflowMetrics = await integration.getIntegrationMetrics(scheduleId);
  return x;
}

export async function executions(
  integration: tickflow.WorkflowScheduleIntegration,
  executionId: string
): Promise<[pccs.ScheduledExecution | null, pccs.ScheduledExecution[]]> {
  const one: pccs.ScheduledExecution | null = await integration.getExecution(executionId);
  const all: pccs.ScheduledExecution[] = await integration.listExecutions();
  return [one, all];
}

// ---- the parts, one by one (a mismatch deep inside shows here by name) ----------------------

/** A config as getScheduledWorkflow returns it (not as createScheduledWorkflow takes it). */
type StoredConfig = NonNullable<ReturnType<tickflow.WorkflowScheduleIntegration['getScheduledWorkflow']>>;

export const parts = {
  executionContext: (v: tickflow.ExecutionContext): pccs.ExecutionContext => v,
  executionError: (v: tickflow.ExecutionError): pccs.ExecutionError => v,
  executionTrends: (v: tickflow.ExecutionTrends): pccs.ExecutionTrends => v,
  healthIssue: (v: tickflow.HealthIssue): pccs.HealthIssue => v,
  workflowStatus: (v: tickflow.WorkflowStatus): pccs.WorkflowStatus => v,
  integrationIssue: (v: tickflow.IntegrationIssue): pccs.IntegrationIssue => v,
  integrationHealth: (v: tickflow.IntegrationHealth): pccs.IntegrationHealth => v,
  systemLoad: (v: tickflow.SystemLoad): pccs.SystemLoad => v,
  resourceUtilization: (v: tickflow.ResourceUtilization): pccs.ResourceUtilization => v,
  queueStats: (v: tickflow.QueueStats): pccs.QueueStats => v,
  systemHealthStatus: (v: tickflow.SystemHealthStatus): pccs.SystemHealthStatus => v,
  triggeredContext: (v: tickflow.ScheduleTriggeredEvent['context']): pccs.ExecutionContext => v,
  parsedCronExpression: (v: tickflow.ParsedCronExpression): pccs.ParsedCronExpression => v,
  cronFields: (v: tickflow.CronFields): pccs.CronFields => v,
  cronValidationResult: (v: tickflow.CronValidationResult): pccs.CronValidationResult => v,
  scheduleFrequency: (v: tickflow.ScheduleFrequency): pccs.ScheduleFrequency => v,
  scheduleFrequencyAnalysis: (v: tickflow.ScheduleFrequencyAnalysis): pccs.ScheduleFrequencyAnalysis => v,
  resourceImpactAnalysis: (v: tickflow.ResourceImpactAnalysis): pccs.ResourceImpactAnalysis => v,
  scheduleConflict: (v: tickflow.ScheduleConflict): pccs.ScheduleConflict => v,
  scheduleDefinition: (v: StoredConfig['scheduleConfig']): pccs.ScheduleDefinition => v,
  retryPolicy: (v: StoredConfig['scheduleConfig']['retryPolicy']): pccs.RetryPolicy => v,
  scheduleMetadata: (v: StoredConfig['scheduleConfig']['metadata']): pccs.ScheduleMetadata => v,
  executionConfig: (v: StoredConfig['executionConfig']): pccs.WorkflowExecutionConfig => v,
};

// ---- the enums: tickflow's members are production-ccs's --------------------------------------

export const enums = {
  scheduleState: (v: tickflow.ScheduleState): pccs.ScheduleState => v,
  schedulePriority: (v: tickflow.SchedulePriority): pccs.SchedulePriority => v,
  executionStatus: (v: tickflow.ExecutionStatus): pccs.ExecutionStatus => v,
  executionPriority: (v: tickflow.ExecutionPriority): pccs.ExecutionPriority => v,
  triggerSource: (v: tickflow.TriggerSource): pccs.TriggerSource => v,
  backoffStrategy: (v: tickflow.BackoffStrategy): pccs.BackoffStrategy => v,
};
