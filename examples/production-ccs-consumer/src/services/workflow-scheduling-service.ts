import {
  BackoffStrategy,
  CronEngine,
  ExecutionHistory,
  IntegrationOptions,
  ScheduleConfig,
  ScheduledWorkflowConfig,
  SchedulePriority,
  ScheduleTriggeredPayload,
  ScheduleWorkflowStatus,
  WorkflowCompletedPayload,
  WorkflowScheduleIntegration,
  fromWorkflowExecutor,
} from 'tickflow';
import { WorkflowDefinition } from '../types/workflow';
import { WorkflowExecutor } from './workflow-executor';

/** What a caller asks for when it schedules a workflow. */
export interface ScheduleRequest {
  /** The schedule's id (also the scheduled-workflow config id). */
  id: string;
  cronExpression: string;
  timezone?: string;
  priority?: SchedulePriority;
  /** Attempts in all for one run, the first included; default 1. */
  maxAttempts?: number;
  timeoutMs?: number;
  variables?: Record<string, unknown>;
}

export interface ScheduleLogEntry {
  at: Date;
  event: string;
  scheduleId: string;
  executionId?: string;
  detail?: string;
}

/** The slice of a logger this service uses (production-ccs passes its winston child). */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

const silentLogger: Logger = { info: () => undefined, error: () => undefined };

/**
 * production-ccs's scheduling of workflows, with tickflow's WorkflowScheduleIntegration in
 * place of its own: the WorkflowExecutor runs each fire (through fromWorkflowExecutor), and
 * the integration's events feed the service's log and counters.
 */
export class WorkflowSchedulingService {
  readonly integration: WorkflowScheduleIntegration;
  readonly log: ScheduleLogEntry[] = [];
  readonly counters = { triggered: 0, successfulExecutions: 0, failedExecutions: 0, retries: 0 };

  private readonly definitions = new Map<string, WorkflowDefinition>();
  private readonly cron = new CronEngine();

  constructor(
    workflowExecutor: WorkflowExecutor,
    options: Omit<IntegrationOptions, 'executor'> = {},
    private readonly logger: Logger = silentLogger
  ) {
    this.integration = new WorkflowScheduleIntegration({
      ...options,
      executor: fromWorkflowExecutor(workflowExecutor, (workflowId) => this.definitionOf(workflowId)),
    });
    this.setupEventHandlers();
  }

  async start(): Promise<void> {
    await this.integration.initialize();
    await this.integration.start();
  }

  async stop(graceMs = 10_000): Promise<void> {
    await this.integration.stop({ graceMs });
  }

  registerWorkflow(definition: WorkflowDefinition): void {
    this.definitions.set(definition.id, definition);
  }

  /** Its schedules stay; their next runs fail with WORKFLOW_NOT_FOUND until it is back. */
  unregisterWorkflow(workflowId: string): void {
    this.definitions.delete(workflowId);
  }

  /** Schedules a registered workflow; rejects a bad cron pattern with every problem named. */
  async scheduleWorkflow(workflowId: string, request: ScheduleRequest): Promise<string> {
    const definition = this.definitionOf(workflowId);
    const timezone = request.timezone ?? 'UTC';
    const check = await this.cron.validateExpression(request.cronExpression, timezone);
    if (!check.valid) {
      throw new Error(`invalid schedule '${request.id}': ${check.errors.join('; ')}`);
    }
    const scheduleConfig: ScheduleConfig = {
      id: request.id,
      workflowId,
      name: definition.name,
      cronExpression: request.cronExpression,
      timezone,
      enabled: true,
      retryPolicy: { enabled: false, maxRetries: 0, retryDelay: 1000, backoffStrategy: BackoffStrategy.FIXED, retryableErrors: [] },
      metadata: { tags: definition.metadata.tags, priority: request.priority ?? SchedulePriority.NORMAL, category: 'workflow' },
      overlapPolicy: 'skip',
    };
    const config: ScheduledWorkflowConfig = {
      id: request.id,
      workflowId,
      scheduleId: request.id,
      name: definition.name,
      enabled: true,
      executionConfig: {
        timeout: request.timeoutMs ?? definition.timeout,
        environment: definition.metadata.environment,
        variables: request.variables ?? {},
        retryPolicy: {
          maxAttempts: request.maxAttempts ?? 1,
          backoffStrategy: BackoffStrategy.EXPONENTIAL,
          initialDelay: 1000,
          maxDelay: 30_000,
          multiplier: 2,
        },
      },
      scheduleConfig,
      metadata: { owner: definition.metadata.owner },
    };
    return this.integration.createScheduledWorkflow(config);
  }

  /** Runs a schedule's workflow now (also while the schedule is paused). */
  runNow(scheduleId: string, reason: string): Promise<string> {
    return this.integration.triggerScheduledExecution(scheduleId, { reason });
  }

  getStatus(scheduleId: string): Promise<ScheduleWorkflowStatus> {
    return this.integration.getScheduleWorkflowStatus(scheduleId);
  }

  getHistory(scheduleId: string): Promise<ExecutionHistory> {
    return this.integration.getExecutionHistory(scheduleId);
  }

  getNextRuns(scheduleId: string, count: number): Date[] {
    return this.integration.getNextExecutionTimes(scheduleId, count);
  }

  private definitionOf(workflowId: string): WorkflowDefinition {
    const definition = this.definitions.get(workflowId);
    if (!definition) {
      throw Object.assign(new Error(`workflow '${workflowId}' is not registered`), { code: 'WORKFLOW_NOT_FOUND' });
    }
    return definition;
  }

  private setupEventHandlers(): void {
    this.integration.on('schedule.triggered', (event) => this.handleScheduleTriggered(event));
    this.integration.on('workflow.completed', (event) => this.handleWorkflowCompleted(event));
    this.integration.on('workflow.failed', (event) => this.handleWorkflowFailed(event));
    this.integration.on('workflow.retrying', (event) => {
      this.counters.retries++;
      this.record('workflow.retrying', event.scheduleId, event.executionId, `attempt ${event.attempt} after ${event.error.code}`);
    });
    this.integration.on('integration.error', (event) => {
      this.logger.error('tickflow integration error', { code: event.code, message: event.message });
    });
  }

  private handleScheduleTriggered(event: ScheduleTriggeredPayload): void {
    this.counters.triggered++;
    this.record('schedule.triggered', event.scheduleId, event.executionId, `${event.triggerType} by ${event.context.triggeredBy}`);
  }

  private handleWorkflowCompleted(event: WorkflowCompletedPayload): void {
    this.counters.successfulExecutions++;
    this.record('workflow.completed', event.scheduleId, event.executionId, `${event.duration} ms, ${event.attempts} attempt(s)`);
    this.logger.info('scheduled workflow completed', { scheduleId: event.scheduleId, executionId: event.executionId });
  }

  private handleWorkflowFailed(event: WorkflowCompletedPayload): void {
    this.counters.failedExecutions++;
    const code = event.error ? event.error.code : 'UNKNOWN';
    this.record('workflow.failed', event.scheduleId, event.executionId, `${event.status} ${code}`);
    this.logger.error('scheduled workflow failed', { scheduleId: event.scheduleId, code });
  }

  private record(event: string, scheduleId: string, executionId: string, detail: string): void {
    this.log.push({ at: this.integration.now(), event, scheduleId, executionId, detail });
  }
}
