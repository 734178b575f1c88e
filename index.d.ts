// tickflow's public types. The cron functions and classes come from the loader that
// `napi build` generates (native.d.ts); the integration and the production-ccs types are
// declared here. Every time value is a Date, every duration a number of milliseconds.
// Wherever a Date is taken, an ISO 8601 string with a zone offset is taken too (DateInput).

import { EventEmitter } from 'node:events'

export {
  nextRuns,
  previousRuns,
  validateCron,
  describeCron,
  CronRunOptions,
  ConflictOptions,
  CronValidationResult,
  ParsedCronExpression,
  CronFields,
  ScheduleFrequency,
  ScheduleFrequencyAnalysis,
  ResourceImpactAnalysis,
  ScheduleConflict,
} from './native'
/** The cron engine that answers at once (CronEngine's methods return Promises). */
export { CronEngine as SyncCronEngine } from './native'
export * from './lib/scheduling'
import type {
  ConflictOptions,
  CronValidationResult,
  ParsedCronExpression,
  ScheduleFrequencyAnalysis,
  ScheduleConflict,
} from './native'

/**
 * A Date, or an ISO 8601 date-time string with a zone offset or Z
 * ('2026-01-31T09:00:00Z', '2026-01-31T10:00:00.250+01:00'). A string without an offset is
 * refused (RangeError, code ERR_INVALID_DATE): its instant would depend on the host's zone.
 */
export type DateInput = Date | string

/** A change of pattern that spreads runs which fire together (see detectScheduleConflicts). */
export interface OptimizationSuggestion {
  type: 'time_adjustment' | 'load_balancing' | 'resource_optimization'
  /** The pattern as given (patterns stand in for schedule ids, as in ScheduleConflict). */
  scheduleId: string
  currentExpression: string
  suggestedExpression: string
  reason: string
  expectedBenefit: string
  riskLevel: 'low' | 'medium' | 'high'
}

/**
 * production-ccs's CronEngine interface. Every method resolves its result; where the native
 * method throws (a bad argument), the promise rejects with that error.
 */
export declare class CronEngine {
  constructor()
  parseExpression(expression: string): Promise<ParsedCronExpression>
  validateExpression(expression: string, timezone?: string): Promise<CronValidationResult>
  getNextExecutionTime(expression: string, timezone: string, fromDate?: DateInput): Promise<Date | null>
  getNextExecutionTimes(expression: string, timezone: string, count: number, fromDate?: DateInput): Promise<Date[]>
  getPreviousExecutionTime(expression: string, timezone: string, fromDate?: DateInput): Promise<Date | null>
  analyzeScheduleFrequency(expression: string): Promise<ScheduleFrequencyAnalysis>
  /**
   * Instants over a horizon (default the 7 days after now) where two or more of
   * `expressions` fire together.
   */
  detectScheduleConflicts(expressions: string[], timezone: string, options?: ConflictOptions): Promise<ScheduleConflict[]>
  /** One suggestion per pattern that fires together with an earlier one; empty when none do. */
  optimizeScheduleDistribution(expressions: string[], timezone: string, options?: ConflictOptions): Promise<OptimizationSuggestion[]>
}

// ---- production-ccs enums ----------------------------------------------------------------

export declare enum ScheduleState { ACTIVE = 'active', PAUSED = 'paused', DISABLED = 'disabled', ERROR = 'error', EXPIRED = 'expired' }
export declare enum SchedulePriority { LOW = 1, NORMAL = 2, HIGH = 3, CRITICAL = 4, URGENT = 5 }
export declare enum ExecutionStatus {
  PENDING = 'pending', QUEUED = 'queued', RUNNING = 'running', COMPLETED = 'completed',
  FAILED = 'failed', CANCELLED = 'cancelled', TIMEOUT = 'timeout', RETRYING = 'retrying',
}
export declare enum ExecutionPriority { LOW = 1, NORMAL = 2, HIGH = 3, URGENT = 4, IMMEDIATE = 5 }
export declare enum TriggerSource { SCHEDULE = 'schedule', EVENT = 'event', WEBHOOK = 'webhook', MANUAL = 'manual', API = 'api', RETRY = 'retry' }
export declare enum BackoffStrategy { FIXED = 'fixed', LINEAR = 'linear', EXPONENTIAL = 'exponential', CUSTOM = 'custom' }
export declare enum FilterOperator {
  EQUALS = 'equals', NOT_EQUALS = 'not_equals', CONTAINS = 'contains', NOT_CONTAINS = 'not_contains',
  STARTS_WITH = 'starts_with', ENDS_WITH = 'ends_with', GREATER_THAN = 'greater_than', LESS_THAN = 'less_than',
  GREATER_EQUAL = 'greater_equal', LESS_EQUAL = 'less_equal', IN = 'in', NOT_IN = 'not_in', REGEX = 'regex',
}
export declare enum EventSource { INTERNAL = 'internal', WEBHOOK = 'webhook', API = 'api', SYSTEM = 'system', EXTERNAL = 'external' }
export declare enum ScheduleSortField {
  NAME = 'name', CREATED_AT = 'createdAt', UPDATED_AT = 'updatedAt', LAST_EXECUTION = 'lastExecution',
  NEXT_EXECUTION = 'nextExecution', PRIORITY = 'priority', STATUS = 'status',
}
export declare enum ExecutionSortField {
  SCHEDULED_TIME = 'scheduledTime', ACTUAL_START_TIME = 'actualStartTime', COMPLETION_TIME = 'completionTime',
  DURATION = 'duration', STATUS = 'status', PRIORITY = 'priority',
}

// ---- schedules ---------------------------------------------------------------------------

export interface FallbackAction {
  type: 'skip' | 'manual' | 'alternative'
  alternativeWorkflowId?: string
  notifyUsers: string[]
  metadata: Record<string, any>
}

/** Stored and returned as given; tickflow does not act on it. */
export interface EscalationPolicy {
  enabled: boolean
  escalateAfter: number
  notificationChannels: string[]
  fallbackAction?: FallbackAction
}

/** Stored and returned as given; tickflow does not act on it. */
export interface NotificationConfig {
  enabled: boolean
  channels: Array<{ type: 'email' | 'slack' | 'webhook' | 'sms'; config: Record<string, any>; enabled: boolean }>
  events: Array<{
    type: 'execution_success' | 'execution_failure' | 'schedule_disabled' | 'health_warning'
    enabled: boolean
    threshold?: number
  }>
  filters: Array<{ field: string; operator: FilterOperator; value: any }>
}

/** production-ccs's schedule-level retry policy; every field has a default. */
export interface RetryPolicy {
  /** Default true. */
  enabled?: boolean
  /** Retries after the first attempt; default 0. */
  maxRetries?: number
  /** ms; default 1000. */
  retryDelay?: number
  /** Default 'fixed'. */
  backoffStrategy?: BackoffStrategy | 'fixed' | 'linear' | 'exponential' | 'custom'
  /** Codes that are retried; empty or missing: every code. */
  retryableErrors?: string[]
  escalationPolicy?: EscalationPolicy
}

export interface ScheduleMetadata {
  tags: string[]
  priority: SchedulePriority | number
  category?: string
  environment?: string
  notifications?: NotificationConfig
  customData?: Record<string, any>
}

export type OverlapPolicy = 'allow' | 'skip' | 'bufferOne' | 'bufferAll' | 'cancelOther'

export interface CatchupPolicy {
  policy: 'skip' | 'once' | 'all'
  /** Only occurrences at most this old are made up; default 365 days. */
  windowMs?: number
  /** With 'all': at most this many runs (the most recent). */
  maxRuns?: number
}

/** A schedule as a config's scheduleConfig takes it: only cronExpression is required. */
export interface ScheduleConfig {
  id?: string
  workflowId?: string
  name?: string
  description?: string
  cronExpression: string
  /** IANA name; default the integration's defaultTimezone. */
  timezone?: string
  enabled?: boolean
  startDate?: DateInput
  endDate?: DateInput
  maxExecutions?: number
  retryPolicy?: RetryPolicy
  metadata?: Partial<ScheduleMetadata>
  createdBy?: string
  createdAt?: Date
  updatedAt?: Date
  /** Default 'skip'. */
  overlapPolicy?: OverlapPolicy
  /** Default { policy: 'once', windowMs: 365 days }. */
  catchup?: CatchupPolicy
  /** Random delay added to each scheduled fire, default 0. */
  jitterMs?: number
  /** Default 'shift'. */
  dstGap?: 'shift' | 'skip'
  /**
   * ms after which a running attempt is stalled: getScheduleHealth turns 'warning', and
   * 'critical' at three times it. Default: the time between two fires of the pattern.
   */
  stallAfterMs?: number
  /**
   * An attempt that stop() or a dead process interrupted: run again at the next start or on
   * another node, not counted against maxAttempts ('resume', the default), or failed with
   * code INTERRUPTED ('fail'; at stop(), cancelled with reason 'stop').
   */
  onInterrupt?: 'resume' | 'fail'
}

/**
 * production-ccs's ScheduleDefinition (every field it requires is required), with tickflow's
 * scheduling fields: what ScheduleManager's createSchedule takes (less id and the dates).
 */
export interface ScheduleDefinition extends ScheduleConfig {
  id: string
  workflowId: string
  name: string
  timezone: string
  enabled: boolean
  retryPolicy: RetryPolicy
  metadata: ScheduleMetadata
  createdBy: string
  createdAt: Date
  updatedAt: Date
}

export interface WorkflowExecutionConfig {
  timeout?: number
  /** Wins over scheduleConfig.retryPolicy. Only maxAttempts is required. */
  retryPolicy?: {
    /** Attempts in all, the first included. */
    maxAttempts: number
    /** Default 'fixed'. */
    backoffStrategy?: 'fixed' | 'linear' | 'exponential'
    /** ms before the first retry; default 1000. */
    initialDelay?: number
    /** Cap on any delay, ms; 0 or missing: no cap. */
    maxDelay?: number
    /** Growth per retry for 'exponential'; default 2. */
    multiplier?: number
    /** true (up to half of each delay) or a share 0..1 taken off at random. */
    jitter?: boolean | number
    retryableErrors?: string[]
  }
  environment?: string
  variables?: Record<string, any>
  priority?: 'low' | 'normal' | 'high' | 'urgent' | 'immediate'
}

export interface ScheduledWorkflowConfig {
  id: string
  workflowId: string
  /** Default: `id` (one name for one job). */
  scheduleId?: string
  name?: string
  description?: string
  enabled?: boolean
  executionConfig?: WorkflowExecutionConfig
  scheduleConfig: ScheduleConfig
  metadata?: Record<string, any>
}

/** RetryPolicy as stored: every default filled in. */
export interface StoredRetryPolicy extends RetryPolicy {
  enabled: boolean
  maxRetries: number
  retryDelay: number
  backoffStrategy: BackoffStrategy
  retryableErrors: string[]
}

/** ScheduleDefinition as stored: ids, name and enabled from the config, defaults filled in. */
export interface StoredScheduleDefinition extends ScheduleDefinition {
  /** The config's scheduleId. */
  id: string
  workflowId: string
  /** The config's name. */
  name: string
  timezone: string
  /** Given as a Date or an ISO string, kept as a Date. */
  startDate?: Date
  endDate?: Date
  /** The config's enabled. */
  enabled: boolean
  retryPolicy: StoredRetryPolicy
  /** Default { tags: [], priority: SchedulePriority.NORMAL }. */
  metadata: ScheduleMetadata
  /** Default 'tickflow'. */
  createdBy: string
  createdAt: Date
  updatedAt: Date
}

export type WorkflowRetryPolicy = NonNullable<WorkflowExecutionConfig['retryPolicy']>

export interface StoredWorkflowExecutionConfig extends WorkflowExecutionConfig {
  /** As given, with backoffStrategy, initialDelay, maxDelay and multiplier filled in. */
  retryPolicy?: WorkflowRetryPolicy & Required<Pick<WorkflowRetryPolicy, 'backoffStrategy' | 'initialDelay' | 'maxDelay' | 'multiplier'>>
}

/** What getScheduledWorkflow(s) return: the config as stored, every default filled in. */
export interface StoredScheduledWorkflowConfig extends ScheduledWorkflowConfig {
  scheduleId: string
  /** Default: `id`. */
  name: string
  /** Default true. */
  enabled: boolean
  /** Default {}. */
  executionConfig: StoredWorkflowExecutionConfig
  scheduleConfig: StoredScheduleDefinition
  /** Default {}. */
  metadata: Record<string, any>
}

// ---- executions --------------------------------------------------------------------------

export type TriggerType = 'scheduled' | 'manual' | 'retry' | 'catchup' | 'backfill'

export interface ExecutionRequest {
  executionId: string
  scheduleId: string
  workflowId: string
  scheduledWorkflowId: string
  /** 1-based; every start has its own number, a resumed one included. */
  attempt: number
  /**
   * True when this attempt runs again one that stop() or a dead process interrupted (the
   * handler may have done part of its work already); false otherwise.
   */
  resumed: boolean
  triggerType: TriggerType
  scheduledTime: Date
  startedAt: Date
  variables: Record<string, unknown>
  /**
   * The workflow's executionConfig.environment, else the integration's `environment` option
   * (default 'production'): the same as the execution's `context.environment`.
   */
  environment?: string
  metadata: Record<string, unknown>
  /** The context given to triggerScheduledExecution, if any. */
  context?: unknown
  /** Aborted on timeout, cancel, cancelOther and stop. */
  signal: AbortSignal
}

export type Executor = (request: ExecutionRequest) => Promise<unknown> | unknown

export interface ExecutionError {
  code: string
  message: string
  stack?: string
  component?: string
  retryable: boolean
  timestamp: Date
  context?: Record<string, any>
}

export interface ExecutionContext {
  /** 'schedule' for scheduled, catch-up and backfill runs; 'manual'; 'retry'. */
  triggeredBy: TriggerSource
  triggerData?: any
  environment: string
  userId?: string
  sessionId?: string
  metadata: Record<string, any>
}

export interface ExecutionMetrics {
  duration: number
  memoryUsage: number
  cpuUsage: number
  networkRequests: number
  databaseQueries: number
  customMetrics: Record<string, number>
}

export interface ExecutionLog {
  level: 'debug' | 'info' | 'warn' | 'error'
  message: string
  timestamp: Date
  component?: string
  metadata?: Record<string, any>
}

export interface ExecutionArtifact {
  type: 'file' | 'data' | 'report'
  name: string
  path: string
  size: number
  mimeType: string
  metadata: Record<string, any>
}

/** A final execution's outcome; `output` is what the executor returned. */
export interface ExecutionResult {
  success: boolean
  output?: any
  metrics: ExecutionMetrics
  logs: ExecutionLog[]
  artifacts?: ExecutionArtifact[]
}

export interface ExecutionAttempt {
  attempt: number
  startTime: Date
  endTime: Date | null
  error: ExecutionError | null
  /**
   * What the executor answered after the attempt had ended (timed out, cancelled, stopped):
   * recorded, never applied.
   */
  lateOutcome?: { completed: boolean; code?: string; message?: string; receivedAt: Date }
  /** false for an interrupted attempt that ran again: it does not count against maxAttempts. */
  counted?: false
  /** true for an attempt that runs again an interrupted one. */
  resumed?: true
}

/** The production-ccs ScheduledExecution, with tickflow's record fields. */
export interface ScheduledExecution {
  id: string
  scheduleId: string
  workflowId: string
  scheduledTime: Date
  /** Left out until the first attempt starts. */
  actualStartTime?: Date
  /** Left out until the execution is final. */
  completionTime?: Date
  status: ExecutionStatus
  priority: ExecutionPriority | number
  /** `triggerData` holds the context given to triggerScheduledExecution, if any. */
  context: ExecutionContext
  /** Left out until the execution is final. */
  result?: ExecutionResult
  /** Left out when there is none. */
  error?: ExecutionError
  retryCount: number
  maxRetries: number
  // tickflow's fields below are always set in what it returns; optional so that code that
  // builds one as production-ccs does (its ScheduleManagerService) compiles.
  scheduledWorkflowId?: string
  triggerType?: TriggerType
  attempts?: ExecutionAttempt[]
  duration?: number | null
  cancelReason?: string | null
  retryOf?: string | null
}

export interface ExecutionFilters {
  scheduleId?: string
  workflowId?: string
  status?: Array<ExecutionStatus | `${ExecutionStatus}`>
  priority?: Array<ExecutionPriority | number>
  triggeredBy?: Array<TriggerSource | string>
  triggerType?: TriggerType[]
  executedAfter?: DateInput
  executedBefore?: DateInput
  userId?: string
  environment?: string
  limit?: number
  offset?: number
  sortBy?: ExecutionSortField | `${ExecutionSortField}`
  sortOrder?: 'asc' | 'desc'
}

export interface ExecutionTrends {
  successRate: number[]
  averageDuration: number[]
  executionCount: number[]
  timestamps: Date[]
}

export interface ExecutionHistory {
  executions: ScheduledExecution[]
  totalCount: number
  successCount: number
  failureCount: number
  averageDuration: number
  trends: ExecutionTrends
}

// ---- status and metrics ------------------------------------------------------------------

export interface HealthIssue {
  type: 'performance' | 'reliability' | 'configuration'
  severity: 'low' | 'medium' | 'high'
  message: string
  timestamp: Date
  /** A stalled run: the execution, and how long its attempt has run (ms). */
  executionId?: string
  runningMs?: number
}

export interface ScheduleHealth {
  status: 'healthy' | 'warning' | 'critical'
  successRate: number
  averageExecutionTime: number
  lastHealthCheck: Date
  issues: HealthIssue[]
}

export interface ScheduleMetrics {
  totalExecutions: number
  successfulExecutions: number
  failedExecutions: number
  averageExecutionTime: number
  lastExecutionTime?: number
  successRate: number
  /** Share of due fires that ran (not skipped), in percent. */
  uptimePercentage: number
  // tickflow's fields below are always set in what it returns; optional so that code that
  // builds one as production-ccs does (its ScheduleManagerService) compiles.
  cancelledExecutions?: number
  skippedFires?: number
  p95ExecutionTime?: number
}

export interface ScheduleStatus {
  id: string
  status: ScheduleState
  enabled: boolean
  // Always set by tickflow; optional so that production-ccs code that builds one compiles.
  paused?: boolean
  pauseNote?: string | null
  executionCount: number
  /** Left out (as the three below) when there is none. */
  lastExecution?: Date
  nextExecution?: Date
  lastExecutionStatus?: ExecutionStatus
  lastError?: string
  health: ScheduleHealth
  metrics: ScheduleMetrics
}

export interface WorkflowStatus {
  id: string
  name: string
  version: string
  status: 'active' | 'inactive' | 'deprecated'
  lastModified: Date
  executionCount: number
  averageExecutionTime: number
}

export interface IntegrationIssue {
  type: 'sync_delay' | 'event_loss' | 'state_mismatch' | 'execution_failure'
  severity: 'low' | 'medium' | 'high'
  message: string
  timestamp: Date
  resolved: boolean
}

export interface IntegrationHealth {
  status: 'healthy' | 'warning' | 'critical'
  lastSync: Date
  syncLatency: number
  eventDeliveryRate: number
  issues: IntegrationIssue[]
}

export interface ScheduleWorkflowMetrics {
  totalIntegrations: number
  successfulExecutions: number
  failedExecutions: number
  /** Mean time from scheduled instant to executor call, ms. */
  averageIntegrationLatency: number
  averageStateSyncLatency: number
  averageEventBroadcastLatency: number
  lastUpdated: Date
}

export interface ScheduleWorkflowStatus {
  scheduleId: string
  workflowId: string
  scheduleStatus: ScheduleStatus
  workflowStatus: WorkflowStatus
  /** Left out (as nextExecution) when there is none. */
  lastExecution?: ScheduledExecution
  nextExecution?: Date
  integrationHealth: IntegrationHealth
  metrics: ScheduleWorkflowMetrics
}

export interface SystemLoad { cpu: number; memory: number; network: number; storage: number; activeConnections: number; queueSize: number }
export interface ResourceUtilization { cpu: number; memory: number; network: number; storage: number; database: number }
export interface QueueStats {
  size: number
  processing: number
  completed: number
  failed: number
  averageWaitTime: number
  averageProcessingTime: number
  throughput: number
  lastUpdated: Date
}
export interface ComponentHealth {
  component: string
  status: 'healthy' | 'warning' | 'critical' | 'down'
  responseTime?: number
  errorRate?: number
  lastCheck: Date
}
export interface SystemIssue {
  id: string
  type: 'performance' | 'reliability' | 'security' | 'configuration'
  severity: 'low' | 'medium' | 'high' | 'critical'
  component: string
  message: string
  timestamp: Date
  resolved: boolean
  resolution?: string
}
export interface SystemHealthStatus {
  status: 'healthy' | 'warning' | 'critical' | 'down'
  components: ComponentHealth[]
  issues: SystemIssue[]
  lastHealthCheck: Date
}

export interface SystemMetrics {
  totalSchedules: number
  activeSchedules: number
  pausedSchedules: number
  disabledSchedules: number
  totalExecutions: number
  successfulExecutions: number
  failedExecutions: number
  averageExecutionTime: number
  systemLoad: SystemLoad
  resourceUtilization: ResourceUtilization
  queueStats: QueueStats
  healthStatus: SystemHealthStatus
  uptime: number
  lastUpdated: Date
  // tickflow's fields below are always set in what it returns; optional so that code that
  // builds one as production-ccs does (its ScheduleManagerService) compiles.
  expiredSchedules?: number
  cancelledExecutions?: number
  skippedFires?: number
  queueDepth?: number
  inFlight?: number
  maxConcurrency?: number
  /** Time from scheduled instant to executor call, ms. */
  triggerLatency?: { p50: number; p99: number; samples: number }
}

export interface PerformanceMetrics {
  triggerLatencyP50: number
  triggerLatencyP99: number
  latencySamples: number
  inFlight: number
  queueDepth: number
  timers: number
  schedules: number
  executionsTracked: number
}

// ---- events ------------------------------------------------------------------------------

interface EventBase {
  type: string
  timestamp: Date
  /** A fresh id for this event (`evt_…`), as production-ccs's events carry. */
  id: string
  /** The scheduled workflow's config id. */
  scheduledWorkflowId?: string
  scheduleId?: string
  workflowId?: string
  metadata?: Record<string, any>
}

/** Every schedule.* and workflow.* event names its scheduled workflow. */
interface ScheduleEventBase extends EventBase {
  scheduledWorkflowId: string
  scheduleId: string
  workflowId: string
  metadata: Record<string, any>
}

/** production-ccs's ScheduleTriggeredEvent; a 'schedule.triggered' listener gets a ScheduleTriggeredPayload. */
export interface ScheduleTriggeredEvent {
  id: string
  scheduleId: string
  workflowId: string
  triggerTime: Date
  /** production-ccs's three kinds: catch-up and backfill runs are 'scheduled'. */
  triggerType: 'scheduled' | 'manual' | 'retry'
  /** `environment`: the workflow's executionConfig.environment, else the integration's default. */
  context: ExecutionContext
  metadata: Record<string, any>
  // tickflow's fields below are always set in an event it emits; optional so that code that
  // builds one as production-ccs does (its ScheduleExecutionHandler) compiles.
  type?: string
  timestamp?: Date
  scheduledWorkflowId?: string
  /** tickflow's kind of run, catch-up and backfill told apart. */
  triggerKind?: TriggerType
  executionId?: string
  scheduledTime?: Date
}

/** What a 'schedule.triggered' listener gets: every field set. */
export type ScheduleTriggeredPayload = EventBase &
  ScheduleTriggeredEvent &
  Required<Pick<ScheduleTriggeredEvent, 'scheduledWorkflowId' | 'triggerKind' | 'executionId' | 'scheduledTime'>>

/** production-ccs's WorkflowCompletedEvent; 'workflow.completed' and 'workflow.failed' listeners get a WorkflowCompletedPayload. */
export interface WorkflowCompletedEvent {
  id: string
  executionId: string
  scheduleId: string
  workflowId: string
  status: ExecutionStatus.COMPLETED | ExecutionStatus.FAILED | ExecutionStatus.TIMEOUT
  startTime: Date
  endTime: Date
  duration: number
  /** What the executor returned; left out when it returned nothing. */
  result?: any
  /** Left out on success. */
  error?: ExecutionError
  /** `source` (schedule, manual, retry) and `correlationId` (the execution id), then the schedule's metadata. */
  metadata: Record<string, any>
  // tickflow's fields below are always set in an event it emits; optional so that code that
  // builds one as production-ccs does (its ScheduleExecutionHandler) compiles.
  type?: string
  timestamp?: Date
  scheduledWorkflowId?: string
  attempts?: number
  triggerType?: TriggerType
}

/** What 'workflow.completed' and 'workflow.failed' listeners get: every tickflow field set. */
export type WorkflowCompletedPayload = EventBase &
  WorkflowCompletedEvent &
  Required<Pick<WorkflowCompletedEvent, 'scheduledWorkflowId' | 'attempts' | 'triggerType'>>

/** Every event by name, with its payload (each also carries `type`). */
export interface IntegrationEventMap {
  'integration.started': EventBase
  'integration.stopped': EventBase
  'integration.error': EventBase & { code: string; message: string }
  'schedule.created': ScheduleEventBase
  'schedule.updated': ScheduleEventBase & { change?: 'enabled' | 'disabled' }
  'schedule.deleted': ScheduleEventBase
  'schedule.paused': ScheduleEventBase & { note: string | null }
  'schedule.resumed': ScheduleEventBase
  'schedule.expired': ScheduleEventBase
  'schedule.triggered': ScheduleTriggeredPayload
  'schedule.skipped': ScheduleEventBase & { scheduledTime: Date; reason: SkipReason }
  'workflow.started': ScheduleEventBase & { executionId: string; attempt: number; startTime: Date }
  'workflow.retrying': ScheduleEventBase & { executionId: string; attempt: number; delayMs: number; nextAttemptAt: Date; error: ExecutionError }
  'workflow.timeout': ScheduleEventBase & { executionId: string; attempt: number; timeoutMs: number }
  'workflow.completed': WorkflowCompletedPayload
  'workflow.failed': WorkflowCompletedPayload
  'workflow.cancelled': ScheduleEventBase & { executionId: string; reason: string }
}

/** What an `'event'` listener gets: any event, told apart by `type`. */
export type IntegrationEvent = {
  [K in keyof IntegrationEventMap]: Omit<IntegrationEventMap[K], 'type'> & { type: K }
}[keyof IntegrationEventMap]

export interface IntegrationEvents extends IntegrationEventMap {
  event: IntegrationEvent
}

export type IntegrationState = 'stopped' | 'starting' | 'running' | 'stopping' | 'error'

export interface SqliteStoreOptions {
  type: 'sqlite'
  path: string
  readonly?: boolean
  synchronous?: 'normal' | 'full'
}

/**
 * Several nodes on one PostgreSQL database: every process with the same connection string
 * and schema acts as one scheduler (each occurrence runs once, work goes to nodes with free
 * slots, a dead node's attempts are retried elsewhere). See the README's "Several nodes".
 */
export interface PostgresStoreOptions {
  type: 'postgres'
  /** `postgres://user:password@host:5432/db`; `?sslmode=require` for TLS (rustls, no OpenSSL). */
  connectionString: string
  /** The PostgreSQL schema tickflow keeps its tables in; default 'tickflow'. */
  schema?: string
  /** Pooled connections of this node, besides its own session; default 5. */
  poolSize?: number
  /**
   * How long a command waits for the database (100 to 3,600,000 ms; default 10,000): past
   * it, the command rejects with `ERR_STORE_UNAVAILABLE` instead of waiting on.
   */
  commandTimeoutMs?: number
  /**
   * Watch the cluster without joining it: no lease, no row among the nodes, nothing fired,
   * claimed, reaped or written; reads follow the nodes' commits. Commands and `start()`
   * reject with `ERR_STORE_READONLY`. The schema must exist (a node created it), else
   * `initialize()` rejects with `ERR_STORE_OPEN`.
   */
  readonly?: boolean
}

/** One node of a cluster, as `getClusterNodes()` reads it from the database. */
export interface ClusterNode {
  /** The node's `nodeId` option. */
  nodeId: string
  /** `nodeId` and a suffix per join: a node that lost its lease joins again under a new one. */
  token: string
  startedAt: Date
  /** Until when its lease holds (the database's clock). */
  leaseUntil: Date
  /** `leaseUntil` less the database's time at the read; 0 once it ran out. */
  leaseRemainingMs: number
  /** When it last renewed its lease (every 2 s while it lives). */
  lastRenewal: Date
  /** The database's clock minus the node's, as the node measured it; null before its first renewal. */
  clockOffsetMs: number | null
  /** Its lease holds and its session is connected; a dead node's row goes at the next reap. */
  alive: boolean
  /** This integration itself. */
  self: boolean
}

/**
 * Why a due occurrence did not run. `no_handler`: no handler in this process (no executor,
 * no `schedule()` declaration), as for a schedule an earlier boot declared and this one does not.
 */
export type SkipReason = 'overlap' | 'misfire' | 'dst' | 'disabled' | 'no_handler'

/** A due occurrence that did not run. */
export interface SkippedOccurrence {
  scheduleId: string
  scheduledTime: Date
  reason: SkipReason
  recordedAt: Date
}

export interface StartOptions {
  undeclared?: 'keep' | 'pause' | 'delete'
}

export interface IntegrationOptions {
  /**
   * Runs every attempt of schedules that have no handler of their own; may be left out when
   * every schedule is declared with `schedule(id, cron, options, handler)`.
   */
  executor?: Executor
  /**
   * Where schedules and executions live. `sqlite` keeps them in one file (WAL mode) that
   * survives restarts and crashes; `readonly` opens it for inspection (no lock, no start);
   * `synchronous: 'full'` also survives power loss, at an fsync per commit.
   */
  store?: { type: 'memory' } | SqliteStoreOptions | PostgresStoreOptions
  /** With a PostgreSQL store: this node's name in records and status; default `<hostname>-<pid>`. */
  nodeId?: string
  /** Executions in flight across all schedules; default 10. */
  maxConcurrency?: number
  /** Default 'UTC'. */
  defaultTimezone?: string
  /** The environment of executions whose workflow's executionConfig names none; default 'production'. */
  environment?: string
  /** 'manual' for deterministic tests (advanceTime); default 'system'. */
  clock?: 'system' | 'manual'
  /** Where a manual clock starts; default now. */
  startTime?: DateInput
  historyRetention?: { maxPerSchedule?: number; maxAgeMs?: number }
  /** A fire later than this goes through its catch-up policy; default 1000. */
  misfireThresholdMs?: number
}

/** Retries in the short shape: attempts in all, with backoff. */
export interface ScheduleRetries {
  maxAttempts: number
  /** Default 'fixed'. */
  backoff?: 'fixed' | 'linear' | 'exponential'
  /** Default 1000. */
  delayMs?: number
  maxDelayMs?: number
  multiplier?: number
  jitter?: boolean | number
  /** Error codes that are retried (TIMEOUT, EXIT_1, your error's `code`); default: all. */
  retryOn?: string[]
}

/**
 * The short shape of a schedule: the options of `schedule()`, and (with `id`, `cron` and an
 * action) an entry of the `tickflow` command's schedules file; schema/schedules.schema.json
 * describes both.
 */
export interface ScheduleOptions {
  name?: string
  description?: string
  /** IANA name; default the integration's defaultTimezone. */
  timezone?: string
  enabled?: boolean
  /** Default 'skip'. */
  overlapPolicy?: OverlapPolicy
  catchup?: CatchupPolicy
  jitterMs?: number
  dstGap?: 'shift' | 'skip'
  /** Default 'resume' (see ScheduleDefinition.onInterrupt). */
  onInterrupt?: 'resume' | 'fail'
  startDate?: DateInput
  endDate?: DateInput
  maxExecutions?: number
  priority?: 'low' | 'normal' | 'high' | 'urgent' | 'immediate'
  /** Bound on each attempt; the attempt fails with code TIMEOUT and its signal aborts. */
  timeoutMs?: number
  /** scheduleConfig.stallAfterMs. */
  stallAfterMs?: number
  retries?: ScheduleRetries
  /** Handed to the handler as request.metadata. */
  metadata?: Record<string, unknown>
}

/** A one-off run's options: its instant says when it runs, so none of the timing options. */
export type OneOffOptions = Omit<ScheduleOptions, 'timezone' | 'startDate' | 'endDate' | 'maxExecutions'>

export type UpsertResult = 'created' | 'updated' | 'unchanged'

export interface SyncResult {
  created: string[]
  updated: string[]
  unchanged: string[]
  deleted: string[]
}

/**
 * The listener overloads' fallback takes a name only when its type is not a literal (a
 * `string` variable, a symbol): a known event name's listener is always checked against its
 * payload, and a misspelt name does not compile.
 */
export type NotLiteral<S> = string extends S ? S : S extends symbol ? S : never
/** EventEmitter's own events. */
export type EmitterEvent = 'newListener' | 'removeListener'
export type EmitterListener = (event: string | symbol, listener: (...args: any[]) => void) => void

export declare class WorkflowScheduleIntegration extends EventEmitter {
  constructor(options?: IntegrationOptions)
  on<K extends keyof IntegrationEvents>(event: K, listener: (payload: IntegrationEvents[K]) => void): this
  on(event: EmitterEvent, listener: EmitterListener): this
  on<S extends string | symbol>(event: S & NotLiteral<S>, listener: (...args: any[]) => void): this
  once<K extends keyof IntegrationEvents>(event: K, listener: (payload: IntegrationEvents[K]) => void): this
  once(event: EmitterEvent, listener: EmitterListener): this
  once<S extends string | symbol>(event: S & NotLiteral<S>, listener: (...args: any[]) => void): this
  off<K extends keyof IntegrationEvents>(event: K, listener: (payload: IntegrationEvents[K]) => void): this
  off(event: EmitterEvent, listener: EmitterListener): this
  off<S extends string | symbol>(event: S & NotLiteral<S>, listener: (...args: any[]) => void): this
  listenerCount<K extends keyof IntegrationEvents>(event: K): number
  listenerCount(event: string | symbol): number

  initialize(): Promise<void>
  /**
   * `undeclared`: what becomes of schedules that `schedule()` created on an earlier boot and
   * this process has not declared: kept ('keep', the default: their fires are skipped with
   * reason 'no_handler'), paused or deleted. Another value rejects with ERR_INVALID_OPTION_VALUE.
   */
  start(options?: StartOptions): Promise<void>
  /** Lets running executions finish within graceMs (default 10 s), then aborts them. */
  stop(options?: { graceMs?: number }): Promise<void>
  getState(): IntegrationState
  ref(): this
  unref(): this

  createScheduledWorkflow(config: ScheduledWorkflowConfig): Promise<string>
  /** Creates it, or makes the one with its id exactly `config`: declare at every boot. */
  upsertScheduledWorkflow(config: ScheduledWorkflowConfig): Promise<UpsertResult>
  /** All checked first, applied in one store commit; deleteMissing deletes the others. */
  syncScheduledWorkflows(configs: ScheduledWorkflowConfig[], options?: { deleteMissing?: boolean }): Promise<SyncResult>
  /**
   * One schedule, one handler; `id` is its config id, workflow id and schedule id. Upserts.
   * A second declaration of an id in one process rejects with ERR_DUPLICATE_ID.
   */
  schedule(id: string, cron: string, options: ScheduleOptions | undefined, handler: Executor): Promise<UpsertResult>
  schedule(id: string, cron: string, handler: Executor): Promise<UpsertResult>
  /**
   * A one-off run at `when` (a Date or an ISO string with an offset): it fires once, at the
   * first whole second at or after that instant. Stored as a 7-field UTC pattern of that
   * second with maxExecutions 1. An instant not after now() is refused (ERR_DATE_IN_PAST)
   * unless this id already holds it (declared again at a later boot); a run missed while
   * stopped follows the catch-up policy.
   */
  schedule(id: string, when: Date | string, options: OneOffOptions | undefined, handler: Executor): Promise<UpsertResult>
  schedule(id: string, when: Date | string, handler: Executor): Promise<UpsertResult>
  updateScheduledWorkflow(id: string, updates: Partial<ScheduledWorkflowConfig>): Promise<void>
  deleteScheduledWorkflow(id: string): Promise<void>
  getScheduledWorkflow(id: string): StoredScheduledWorkflowConfig | null
  getScheduledWorkflows(): StoredScheduledWorkflowConfig[]
  pauseSchedule(scheduleId: string, note?: string): Promise<void>
  resumeSchedule(scheduleId: string): Promise<void>
  enableSchedule(scheduleId: string): Promise<void>
  disableSchedule(scheduleId: string): Promise<void>

  triggerScheduledExecution(scheduleId: string, context?: Record<string, unknown>): Promise<string>
  cancelScheduledExecution(executionId: string): Promise<void>
  retryExecution(executionId: string): Promise<string>
  backfill(scheduleId: string, from: DateInput, to: DateInput): Promise<string[]>
  getExecution(executionId: string): Promise<ScheduledExecution | null>
  listExecutions(filters?: ExecutionFilters): Promise<ScheduledExecution[]>
  getExecutionHistory(scheduleId: string, filters?: ExecutionFilters): Promise<ExecutionHistory>
  getNextExecutionTimes(scheduleId: string, count?: number): Date[]
  /** Due occurrences that did not run, oldest first (kept as long as the execution history). */
  getSkippedOccurrences(scheduleId: string): Promise<SkippedOccurrence[]>

  getScheduleWorkflowStatus(scheduleId: string): Promise<ScheduleWorkflowStatus>
  getScheduleStatus(scheduleId: string): Promise<ScheduleStatus>
  getScheduleHealth(scheduleId: string): Promise<ScheduleHealth>
  getScheduleMetrics(scheduleId: string): Promise<ScheduleMetrics>
  getSystemMetrics(): Promise<SystemMetrics>
  getIntegrationMetrics(scheduleId?: string): Promise<ScheduleWorkflowMetrics>
  getPerformanceMetrics(): PerformanceMetrics
  /**
   * The nodes of the cluster on a PostgreSQL store (a read-only one included), read from
   * the database; rejects with `ERR_NOT_CLUSTER` on memory and SQLite stores, and with
   * `ERR_NOT_INITIALIZED` before the store is open (`initialize()`).
   */
  getClusterNodes(): Promise<ClusterNode[]>
  /**
   * Every tickflow series in the Prometheus text exposition format: counters of fires,
   * skipped fires by reason, executions by outcome and retries; histograms of execution
   * duration and trigger lateness (fixed buckets, seconds); gauges of running and queued
   * executions, the oldest running attempt's age, paused, next fire and last success. `perSchedule: false` drops the
   * `schedule` label and sums. Serve it as `text/plain; version=0.0.4`.
   */
  metrics(options?: { perSchedule?: boolean }): Promise<string>
  /**
   * The same exposition in pieces of a few megabytes, each ending with a line, rendered off
   * the JavaScript thread: for per-schedule series of more schedules than one string holds
   * (`metrics()` then rejects with `ERR_METRICS_TOO_LARGE`). Write each piece as it comes.
   */
  metricsStream(options?: { perSchedule?: boolean }): AsyncIterableIterator<string>
  /** production-ccs's call after a change: checks the schedule runs `workflowId`; resolves once changes are committed. */
  syncScheduleWorkflowState(scheduleId: string, workflowId: string): Promise<void>

  now(): Date
  /** Manual clock only. `{ jump: true }` leaps like a sleeping host (catch-up applies). */
  advanceTime(ms: number, options?: { jump?: boolean }): Promise<void>
}

/**
 * The production-ccs WorkflowExecutor surface that fromWorkflowExecutor needs. With
 * getActiveExecutions and cancelExecution, an aborted attempt (timeout, cancel, stop) also
 * cancels the executor's run.
 */
export interface WorkflowExecutorLike<Definition = unknown, Execution = unknown> {
  executeWorkflow(definition: Definition, context?: Record<string, unknown>): Promise<Execution>
  getActiveExecutions?(): Array<{ id: string; context?: { correlationId?: string } }>
  cancelExecution?(executionId: string): Promise<boolean> | boolean
}

/** production-ccs's ScheduleTrigger, as its code builds and reads one. */
export interface ScheduleTrigger {
  scheduleId: string
  workflowId: string
  triggerTime: Date
  triggerType: 'scheduled' | 'manual' | 'retry' | 'event'
  context: { triggeredBy: string; metadata: Record<string, any> }
}

/** What handleScheduleTrigger takes: a ScheduleTrigger, or only its scheduleId and what is known. */
export interface ScheduleTriggerRequest {
  scheduleId: string
  /** When given, must be the workflow the schedule runs (ERR_WORKFLOW_MISMATCH otherwise). */
  workflowId?: string
  triggerTime?: Date
  triggerType?: string
  context?: Record<string, unknown>
}

/** The events ScheduleExecutionHandler passes on for the runs it started. */
export type HandlerEvent = 'schedule.triggered' | 'workflow.started' | 'workflow.retrying' | 'workflow.completed' | 'workflow.failed' | 'workflow.cancelled'

/**
 * production-ccs's WorkflowExecution (types/workflow.ts) for a run that has started: what
 * handleScheduleTrigger resolves with. tickflow keeps no workflow versions or steps:
 * workflowVersion is '1.0.0' and steps is empty, as production-ccs's handler returns them.
 */
export interface TriggeredWorkflowExecution {
  /** The tickflow execution id (getExecution reads its record). */
  id: string
  workflowId: string
  workflowVersion: string
  /** 'running'; the final status when the run ended before it could start (cancelled while queued). */
  status: 'running' | 'completed' | 'failed' | 'timeout' | 'cancelled'
  context: {
    /** The workflow's executionConfig.variables. */
    variables: Record<string, any>
    /** The execution's environment (production-ccs names three; tickflow passes on whatever the config or integration says). */
    environment: 'development' | 'staging' | 'production'
    userId: string
    correlationId: string
  }
  steps: never[]
  startedAt: Date
  /** The trigger's context.triggeredBy, else 'system'. */
  triggeredBy: string
  triggerType: 'schedule'
  metadata: {
    source: string
    correlationId: string
    /** The schedule's metadata.tags. */
    tags: string[]
    priority: 'low' | 'normal' | 'high' | 'critical'
    environment: 'development' | 'staging' | 'production'
  }
}

/**
 * production-ccs's ScheduleExecutionHandler, backed by the integration: handleScheduleTrigger
 * runs the schedule now and resolves once the run has started; the execution's events are
 * emitted here until it ends.
 */
export declare class ScheduleExecutionHandler extends EventEmitter {
  /** Without an integration (null, as production-ccs's test makes one), handleScheduleTrigger rejects with ERR_NO_INTEGRATION. */
  constructor(integration: WorkflowScheduleIntegration | null | undefined)
  on<K extends HandlerEvent>(event: K, listener: (payload: IntegrationEvents[K]) => void): this
  on(event: EmitterEvent, listener: EmitterListener): this
  on<S extends string | symbol>(event: S & NotLiteral<S>, listener: (...args: any[]) => void): this
  initialize(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
  /** Resolves as soon as the run has started (status 'running'), as production-ccs's does. */
  handleScheduleTrigger(trigger: ScheduleTriggerRequest): Promise<TriggeredWorkflowExecution>
  getStatus(): { isRunning: boolean; lastActivity: Date }
}

export declare function fromWorkflowExecutor<Definition>(
  workflowExecutor: WorkflowExecutorLike<Definition>,
  /** Returning undefined fails the attempt with code WORKFLOW_NOT_FOUND. */
  resolveDefinition: (
    workflowId: string,
    request: ExecutionRequest,
  ) => Definition | undefined | Promise<Definition | undefined>,
): Executor
