// The rest of production-ccs's types/scheduling.ts: its constants, and the types tickflow
// does not act on (event triggers, webhooks, queues, optimization), declared as production-ccs
// declares them so that its code compiles with `from 'tickflow'`. Re-exported by index.d.ts.

import type {
  CronEngine,
  IntegrationOptions,
  StoredScheduleDefinition,
  WorkflowScheduleIntegration,
  CronValidationResult,
  ExecutionContext,
  ExecutionFilters,
  ExecutionHistory,
  ExecutionError,
  ExecutionMetrics,
  ExecutionStatus,
  FilterOperator,
  NotificationConfig,
  ResourceUtilization,
  RetryPolicy,
  ScheduleDefinition,
  ScheduleHealth,
  ScheduleMetrics,
  ScheduleStatus,
  SystemMetrics,
  ScheduleMetadata,
  ScheduledExecution,
  SchedulePriority,
  ScheduleState,
  ScheduleSortField,
  EventSource,
  StoredRetryPolicy,
} from '../index'

// ---- constants ---------------------------------------------------------------------------

/**
 * production-ccs's default retry policy. Its retryableErrors are production-ccs's codes:
 * TIMEOUT is tickflow's own attempt timeout (retried); a workflow executor's WORKFLOW_TIMEOUT
 * or a failed step's code is not listed, so such a failure is not retried (see the README).
 */
export declare const DEFAULT_RETRY_POLICY: StoredRetryPolicy
export declare const DEFAULT_SCHEDULE_METADATA: Partial<ScheduleMetadata>
export declare const DEFAULT_EXECUTION_CONTEXT: Partial<ExecutionContext>
export declare const CRON_PRESETS: {
  readonly EVERY_MINUTE: '* * * * *'
  readonly EVERY_5_MINUTES: '*/5 * * * *'
  readonly EVERY_15_MINUTES: '*/15 * * * *'
  readonly EVERY_30_MINUTES: '*/30 * * * *'
  readonly HOURLY: '0 * * * *'
  readonly DAILY_MIDNIGHT: '0 0 * * *'
  readonly DAILY_NOON: '0 12 * * *'
  readonly WEEKLY_SUNDAY: '0 0 * * 0'
  readonly MONTHLY_FIRST: '0 0 1 * *'
  readonly YEARLY: '0 0 1 1 *'
}
export declare const TIMEZONE_PRESETS: {
  readonly UTC: 'UTC'
  readonly US_EASTERN: 'America/New_York'
  readonly US_CENTRAL: 'America/Chicago'
  readonly US_MOUNTAIN: 'America/Denver'
  readonly US_PACIFIC: 'America/Los_Angeles'
  readonly EUROPE_LONDON: 'Europe/London'
  readonly EUROPE_PARIS: 'Europe/Paris'
  readonly ASIA_TOKYO: 'Asia/Tokyo'
  readonly ASIA_SHANGHAI: 'Asia/Shanghai'
  readonly AUSTRALIA_SYDNEY: 'Australia/Sydney'
}
export declare const PERFORMANCE_THRESHOLDS: {
  readonly SCHEDULE_EVALUATION_MS: 10
  readonly TRIGGER_RESPONSE_MS: 50
  readonly QUEUE_OPERATION_MS: 5
  readonly EXECUTION_TIMEOUT_MS: 300000
  readonly HEALTH_CHECK_INTERVAL_MS: 30000
  readonly METRICS_COLLECTION_INTERVAL_MS: 60000
}

// ---- filters -----------------------------------------------------------------------------

/** ScheduleManager.listSchedules' filters; the README's ScheduleManager section says how each applies. */
export interface ScheduleFilters {
  enabled?: boolean
  status?: ScheduleState[]
  priority?: SchedulePriority[]
  workflowId?: string
  createdBy?: string
  tags?: string[]
  category?: string
  environment?: string
  cronExpression?: string
  timezone?: string
  createdAfter?: Date
  createdBefore?: Date
  updatedAfter?: Date
  updatedBefore?: Date
  search?: string
  limit?: number
  offset?: number
  sortBy?: ScheduleSortField
  sortOrder?: 'asc' | 'desc'
}

export interface ScheduleTestResult {
  valid: boolean
  errors: string[]
  warnings: string[]
  nextExecutions: Date[]
  estimatedResourceUsage: ResourceUtilization
  recommendations: string[]
}

// ---- the scheduler interface (ScheduleManager implements it) ----------------------------------

export interface WorkflowScheduler {
  createSchedule(schedule: Omit<ScheduleDefinition, 'id' | 'createdAt' | 'updatedAt'>): Promise<string>
  updateSchedule(scheduleId: string, updates: Partial<ScheduleDefinition>): Promise<void>
  deleteSchedule(scheduleId: string): Promise<void>
  getSchedule(scheduleId: string): Promise<ScheduleDefinition | null>
  listSchedules(filters?: ScheduleFilters): Promise<ScheduleDefinition[]>
  start(): Promise<void>
  stop(): Promise<void>
  pause(scheduleId: string): Promise<void>
  resume(scheduleId: string): Promise<void>
  enableSchedule(scheduleId: string): Promise<void>
  disableSchedule(scheduleId: string): Promise<void>
  triggerSchedule(scheduleId: string, context?: Partial<ExecutionContext>): Promise<string>
  cancelExecution(executionId: string): Promise<void>
  retryExecution(executionId: string): Promise<string>
  getScheduleStatus(scheduleId: string): Promise<ScheduleStatus>
  getExecutionHistory(scheduleId: string, filters?: ExecutionFilters): Promise<ExecutionHistory>
  getExecution(executionId: string): Promise<ScheduledExecution | null>
  listExecutions(filters?: ExecutionFilters): Promise<ScheduledExecution[]>
  getScheduleHealth(scheduleId: string): Promise<ScheduleHealth>
  getScheduleMetrics(scheduleId: string): Promise<ScheduleMetrics>
  getSystemMetrics(): Promise<SystemMetrics>
  validateCronExpression(expression: string, timezone?: string): Promise<CronValidationResult>
  getNextExecutionTimes(scheduleId: string, count?: number): Promise<Date[]>
  testSchedule(schedule: Omit<ScheduleDefinition, 'id' | 'createdAt' | 'updatedAt'>): Promise<ScheduleTestResult>
}

/** production-ccs's CronEngine interface, as far as ScheduleManager uses it. */
export type ScheduleManagerCronEngine = Pick<CronEngine, 'validateExpression' | 'getNextExecutionTimes'>

export interface ScheduleManagerOptions extends IntegrationOptions {
  /** Share an integration instead of making one (then give none of its options). */
  integration?: WorkflowScheduleIntegration
  /** Answers validateCronExpression, checks patterns and lists testSchedule's fires; default tickflow's CronEngine. */
  cronEngine?: ScheduleManagerCronEngine
}

/**
 * production-ccs's ScheduleManagerService, over a WorkflowScheduleIntegration: each schedule
 * is a scheduled workflow config whose id and scheduleId are the schedule's id, run by the
 * options' executor (a schedule nobody handles fails with NO_HANDLER).
 */
export declare class ScheduleManager implements WorkflowScheduler {
  constructor(options?: ScheduleManagerOptions)
  /** production-ccs's call: `workflowPersistence` is accepted and not used (the store holds everything). */
  constructor(cronEngine: ScheduleManagerCronEngine | undefined, workflowPersistence?: unknown, options?: ScheduleManagerOptions)
  /** The integration behind the manager: its events, its clock, its metrics. */
  readonly integration: WorkflowScheduleIntegration
  createSchedule(schedule: Omit<ScheduleDefinition, 'id' | 'createdAt' | 'updatedAt'>): Promise<string>
  updateSchedule(scheduleId: string, updates: Partial<ScheduleDefinition>): Promise<void>
  deleteSchedule(scheduleId: string): Promise<void>
  /** `enabled` says whether it fires: false while paused or disabled (getScheduleStatus tells which). */
  getSchedule(scheduleId: string): Promise<StoredScheduleDefinition | null>
  listSchedules(filters?: ScheduleFilters): Promise<StoredScheduleDefinition[]>
  /** Resolves at once when already running. */
  start(): Promise<void>
  stop(): Promise<void>
  pause(scheduleId: string): Promise<void>
  resume(scheduleId: string): Promise<void>
  enableSchedule(scheduleId: string): Promise<void>
  disableSchedule(scheduleId: string): Promise<void>
  /** `context` is kept as the execution's `context.triggerData`. */
  triggerSchedule(scheduleId: string, context?: Partial<ExecutionContext>): Promise<string>
  cancelExecution(executionId: string): Promise<void>
  retryExecution(executionId: string): Promise<string>
  getScheduleStatus(scheduleId: string): Promise<ScheduleStatus>
  getExecutionHistory(scheduleId: string, filters?: ExecutionFilters): Promise<ExecutionHistory>
  getExecution(executionId: string): Promise<ScheduledExecution | null>
  listExecutions(filters?: ExecutionFilters): Promise<ScheduledExecution[]>
  getScheduleHealth(scheduleId: string): Promise<ScheduleHealth>
  getScheduleMetrics(scheduleId: string): Promise<ScheduleMetrics>
  getSystemMetrics(): Promise<SystemMetrics>
  validateCronExpression(expression: string, timezone?: string): Promise<CronValidationResult>
  /** Default 5; an unknown schedule has none (an empty array), as in production-ccs. */
  getNextExecutionTimes(scheduleId: string, count?: number): Promise<Date[]>
  /** tickflow does not estimate resource usage: estimatedResourceUsage is zeros. */
  testSchedule(schedule: Omit<ScheduleDefinition, 'id' | 'createdAt' | 'updatedAt'>): Promise<ScheduleTestResult>
}

// ---- retries and summaries ---------------------------------------------------------------

export interface RetryAttempt {
  attemptNumber: number
  scheduledTime: Date
  actualTime?: Date
  status: 'pending' | 'running' | 'failed' | 'skipped'
  error?: ExecutionError
  delay: number
}

export interface FailedExecution extends ScheduledExecution {
  failureReason: string
  retryAttempts: RetryAttempt[]
  escalated: boolean
  deadLetterQueue: boolean
}

export interface WorkflowExecutionSummary {
  executionId: string
  workflowId: string
  scheduleId?: string
  status: ExecutionStatus
  startTime: Date
  endTime?: Date
  duration?: number
  stepCount: number
  completedSteps: number
  failedSteps: number
  result?: any
  error?: ExecutionError
  metrics: ExecutionMetrics
}

export type NotificationChannel = NotificationConfig['channels'][number]
export type NotificationEvent = NotificationConfig['events'][number]
export type NotificationFilter = NotificationConfig['filters'][number]

// ---- event triggers and webhooks (declared for production-ccs; tickflow does not run them) --

export interface EventFilter {
  field: string
  operator: FilterOperator
  value: any
  caseSensitive?: boolean
}

export interface AuthValidation {
  required: boolean
  algorithm?: string
  secretKey?: string
  headerName?: string
  queryParam?: string
}

export interface TriggerAuth {
  type: 'none' | 'api_key' | 'jwt' | 'webhook_signature'
  credentials: Record<string, string>
  validation: AuthValidation
}

export interface RateLimit {
  enabled: boolean
  requestsPerMinute: number
  burstLimit: number
  windowSize: number
}

export interface TriggerMetadata {
  description?: string
  tags: string[]
  category?: string
  rateLimit?: RateLimit
  customData?: Record<string, any>
}

export interface EventTriggerDefinition {
  id: string
  workflowId: string
  name: string
  eventType: string
  eventSource: EventSource
  filters: EventFilter[]
  authentication: TriggerAuth
  retryPolicy: RetryPolicy
  enabled: boolean
  metadata: TriggerMetadata
}

export interface EventMetadata {
  version: string
  contentType: string
  encoding?: string
  headers?: Record<string, string>
  customData?: Record<string, any>
}

export interface WorkflowEvent {
  id: string
  type: string
  source: EventSource
  timestamp: Date
  data: any
  metadata: EventMetadata
  correlationId?: string
}

export interface WebhookMetadata {
  description?: string
  tags: string[]
  rateLimit?: RateLimit
  timeout: number
  customHeaders?: Record<string, string>
}

export interface WebhookConfig {
  id: string
  endpoint: string
  secret: string
  events: string[]
  filters: EventFilter[]
  retryPolicy: RetryPolicy
  authentication: TriggerAuth
  enabled: boolean
  metadata: WebhookMetadata
}

export interface WebhookRequest {
  id: string
  webhookId: string
  method: string
  headers: Record<string, string>
  body: any
  timestamp: Date
  sourceIp: string
  userAgent?: string
}

export interface WebhookResponse {
  requestId: string
  statusCode: number
  headers: Record<string, string>
  body?: any
  processingTime: number
  timestamp: Date
}

// ---- queues (declared for production-ccs) --------------------------------------------------

export interface AlertThresholds {
  queueSize: number
  waitTime: number
  failureRate: number
  throughputDrop: number
}

export interface QueueMonitoring {
  enabled: boolean
  alertThresholds: AlertThresholds
  metricsRetention: number
  notificationChannels: string[]
}

export interface QueueConfiguration {
  maxSize: number
  maxConcurrency: number
  priorityLevels: number
  retentionPeriod: number
  deadLetterQueue: boolean
  monitoring: QueueMonitoring
}

// ---- optimization (declared for production-ccs) --------------------------------------------

/**
 * production-ccs's PerformanceMetrics (of an OptimizationReport). tickflow's own
 * PerformanceMetrics is what getPerformanceMetrics() returns.
 */
export interface OptimizationPerformanceMetrics {
  averageExecutionTime: number
  successRate: number
  resourceEfficiency: number
  costPerExecution: number
  scalabilityScore: number
}

export interface ResourceSavings {
  cpu: number
  memory: number
  cost: number
  time: number
}

export interface OptimizationRecommendation {
  type: 'schedule_adjustment' | 'resource_allocation' | 'retry_policy' | 'load_balancing'
  priority: 'low' | 'medium' | 'high'
  description: string
  expectedImpact: string
  implementation: string
  estimatedSavings?: ResourceSavings
}

export interface OptimizationReport {
  scheduleId: string
  analysisDate: Date
  recommendations: OptimizationRecommendation[]
  performanceMetrics: OptimizationPerformanceMetrics
  resourceUtilization: ResourceUtilization
}

export interface ScheduleAdjustment {
  scheduleId: string
  currentCron: string
  recommendedCron: string
  reason: string
  expectedImprovement: string
  riskLevel: 'low' | 'medium' | 'high'
}

export interface ResourceCapacity {
  cpu: number
  memory: number
  network: number
  storage: number
  concurrentExecutions: number
}

export interface ResourceConstraint {
  type: 'cpu' | 'memory' | 'network' | 'storage' | 'concurrency'
  limit: number
  current: number
  threshold: number
  severity: 'warning' | 'critical'
}

export interface ResourceForecast {
  timeHorizon: number
  predictedUtilization: ResourceUtilization
  confidence: number
  recommendations: string[]
}

export interface ResourceStatus {
  available: boolean
  capacity: ResourceCapacity
  utilization: ResourceUtilization
  constraints: ResourceConstraint[]
  forecast: ResourceForecast
}
