/**
 * The shapes production-ccs (tim-gameplan/Roo-Code, folder production-ccs/) gives the values
 * it receives from its scheduler, restated here field by field (names, optionality, types)
 * so that assignability.ts can check tickflow's public types against them under
 * production-ccs's compiler options. Nothing here is imported by the service or its tests.
 *
 * Paths below are relative to production-ccs/src/.
 */

// ---- enums ---------------------------------------------------------------------------------

// Mirrors types/scheduling.ts (enum ScheduleState).
export enum ScheduleState {
  ACTIVE = 'active',
  PAUSED = 'paused',
  DISABLED = 'disabled',
  ERROR = 'error',
  EXPIRED = 'expired',
}

// Mirrors types/scheduling.ts (enum SchedulePriority).
export enum SchedulePriority {
  LOW = 1,
  NORMAL = 2,
  HIGH = 3,
  CRITICAL = 4,
  URGENT = 5,
}

// Mirrors types/scheduling.ts (enum ExecutionStatus).
export enum ExecutionStatus {
  PENDING = 'pending',
  QUEUED = 'queued',
  RUNNING = 'running',
  COMPLETED = 'completed',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
  TIMEOUT = 'timeout',
  RETRYING = 'retrying',
}

// Mirrors types/scheduling.ts (enum ExecutionPriority).
export enum ExecutionPriority {
  LOW = 1,
  NORMAL = 2,
  HIGH = 3,
  URGENT = 4,
  IMMEDIATE = 5,
}

// Mirrors types/scheduling.ts (enum TriggerSource).
export enum TriggerSource {
  SCHEDULE = 'schedule',
  EVENT = 'event',
  WEBHOOK = 'webhook',
  MANUAL = 'manual',
  API = 'api',
  RETRY = 'retry',
}

// Mirrors types/scheduling.ts (enum BackoffStrategy).
export enum BackoffStrategy {
  FIXED = 'fixed',
  LINEAR = 'linear',
  EXPONENTIAL = 'exponential',
  CUSTOM = 'custom',
}

// Mirrors types/scheduling.ts (enum FilterOperator; reached through ScheduleMetadata.notifications).
export enum FilterOperator {
  EQUALS = 'equals',
  NOT_EQUALS = 'not_equals',
  CONTAINS = 'contains',
  NOT_CONTAINS = 'not_contains',
  STARTS_WITH = 'starts_with',
  ENDS_WITH = 'ends_with',
  GREATER_THAN = 'greater_than',
  LESS_THAN = 'less_than',
  GREATER_EQUAL = 'greater_equal',
  LESS_EQUAL = 'less_equal',
  IN = 'in',
  NOT_IN = 'not_in',
  REGEX = 'regex',
}

// ---- executions ----------------------------------------------------------------------------

// Mirrors types/scheduling.ts (ExecutionContext).
export interface ExecutionContext {
  triggeredBy: TriggerSource;
  triggerData?: any;
  environment: string;
  userId?: string;
  sessionId?: string;
  metadata: Record<string, any>;
}

// Mirrors types/scheduling.ts (ExecutionMetrics; part of ExecutionResult).
export interface ExecutionMetrics {
  duration: number;
  memoryUsage: number;
  cpuUsage: number;
  networkRequests: number;
  databaseQueries: number;
  customMetrics: Record<string, number>;
}

// Mirrors types/scheduling.ts (ExecutionLog; part of ExecutionResult).
export interface ExecutionLog {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  timestamp: Date;
  component?: string;
  metadata?: Record<string, any>;
}

// Mirrors types/scheduling.ts (ExecutionArtifact; part of ExecutionResult).
export interface ExecutionArtifact {
  type: 'file' | 'data' | 'report';
  name: string;
  path: string;
  size: number;
  mimeType: string;
  metadata: Record<string, any>;
}

// Mirrors types/scheduling.ts (ExecutionResult).
export interface ExecutionResult {
  success: boolean;
  output?: any;
  metrics: ExecutionMetrics;
  logs: ExecutionLog[];
  artifacts?: ExecutionArtifact[];
}

// Mirrors types/scheduling.ts (ExecutionError).
export interface ExecutionError {
  code: string;
  message: string;
  stack?: string;
  component?: string;
  retryable: boolean;
  timestamp: Date;
  context?: Record<string, any>;
}

// Mirrors types/scheduling.ts (ScheduledExecution).
export interface ScheduledExecution {
  id: string;
  scheduleId: string;
  workflowId: string;
  scheduledTime: Date;
  actualStartTime?: Date;
  completionTime?: Date;
  status: ExecutionStatus;
  priority: ExecutionPriority;
  context: ExecutionContext;
  result?: ExecutionResult;
  error?: ExecutionError;
  retryCount: number;
  maxRetries: number;
}

// Mirrors types/scheduling.ts (ExecutionTrends).
export interface ExecutionTrends {
  successRate: number[];
  averageDuration: number[];
  executionCount: number[];
  timestamps: Date[];
}

// Mirrors types/scheduling.ts (ExecutionHistory).
export interface ExecutionHistory {
  executions: ScheduledExecution[];
  totalCount: number;
  successCount: number;
  failureCount: number;
  averageDuration: number;
  trends: ExecutionTrends;
}

// ---- schedule status -----------------------------------------------------------------------

// Mirrors types/scheduling.ts (HealthIssue).
export interface HealthIssue {
  type: 'performance' | 'reliability' | 'configuration';
  severity: 'low' | 'medium' | 'high';
  message: string;
  timestamp: Date;
}

// Mirrors types/scheduling.ts (ScheduleHealth).
export interface ScheduleHealth {
  status: 'healthy' | 'warning' | 'critical';
  successRate: number;
  averageExecutionTime: number;
  lastHealthCheck: Date;
  issues: HealthIssue[];
}

// Mirrors types/scheduling.ts (ScheduleMetrics).
export interface ScheduleMetrics {
  totalExecutions: number;
  successfulExecutions: number;
  failedExecutions: number;
  averageExecutionTime: number;
  lastExecutionTime?: number;
  successRate: number;
  uptimePercentage: number;
}

// Mirrors types/scheduling.ts (ScheduleStatus).
export interface ScheduleStatus {
  id: string;
  status: ScheduleState;
  enabled: boolean;
  executionCount: number;
  lastExecution?: Date;
  nextExecution?: Date;
  lastExecutionStatus?: ExecutionStatus;
  lastError?: string;
  health: ScheduleHealth;
  metrics: ScheduleMetrics;
}

// ---- schedule-workflow status (the integration) --------------------------------------------

// Mirrors types/scheduling.ts (WorkflowStatus, the one ScheduleWorkflowStatus uses).
export interface WorkflowStatus {
  id: string;
  name: string;
  version: string;
  status: 'active' | 'inactive' | 'deprecated';
  lastModified: Date;
  executionCount: number;
  averageExecutionTime: number;
}

// Mirrors types/scheduling.ts (IntegrationIssue).
export interface IntegrationIssue {
  type: 'sync_delay' | 'event_loss' | 'state_mismatch' | 'execution_failure';
  severity: 'low' | 'medium' | 'high';
  message: string;
  timestamp: Date;
  resolved: boolean;
}

// Mirrors types/scheduling.ts (IntegrationHealth).
export interface IntegrationHealth {
  status: 'healthy' | 'warning' | 'critical';
  lastSync: Date;
  syncLatency: number;
  eventDeliveryRate: number;
  issues: IntegrationIssue[];
}

// Mirrors types/scheduling.ts (ScheduleWorkflowMetrics).
export interface ScheduleWorkflowMetrics {
  totalIntegrations: number;
  successfulExecutions: number;
  failedExecutions: number;
  averageIntegrationLatency: number;
  averageStateSyncLatency: number;
  averageEventBroadcastLatency: number;
  lastUpdated: Date;
}

// Mirrors types/scheduling.ts (ScheduleWorkflowStatus).
export interface ScheduleWorkflowStatus {
  scheduleId: string;
  workflowId: string;
  scheduleStatus: ScheduleStatus;
  workflowStatus: WorkflowStatus;
  lastExecution?: ScheduledExecution;
  nextExecution?: Date;
  integrationHealth: IntegrationHealth;
  metrics: ScheduleWorkflowMetrics;
}

// ---- system metrics ------------------------------------------------------------------------

// Mirrors types/scheduling.ts (SystemLoad).
export interface SystemLoad {
  cpu: number;
  memory: number;
  network: number;
  storage: number;
  activeConnections: number;
  queueSize: number;
}

// Mirrors types/scheduling.ts (ResourceUtilization).
export interface ResourceUtilization {
  cpu: number;
  memory: number;
  network: number;
  storage: number;
  database: number;
}

// Mirrors types/scheduling.ts (QueueStats).
export interface QueueStats {
  size: number;
  processing: number;
  completed: number;
  failed: number;
  averageWaitTime: number;
  averageProcessingTime: number;
  throughput: number;
  lastUpdated: Date;
}

// Mirrors types/scheduling.ts (ComponentHealth).
export interface ComponentHealth {
  component: string;
  status: 'healthy' | 'warning' | 'critical' | 'down';
  responseTime?: number;
  errorRate?: number;
  lastCheck: Date;
}

// Mirrors types/scheduling.ts (SystemIssue).
export interface SystemIssue {
  id: string;
  type: 'performance' | 'reliability' | 'security' | 'configuration';
  severity: 'low' | 'medium' | 'high' | 'critical';
  component: string;
  message: string;
  timestamp: Date;
  resolved: boolean;
  resolution?: string;
}

// Mirrors types/scheduling.ts (SystemHealthStatus).
export interface SystemHealthStatus {
  status: 'healthy' | 'warning' | 'critical' | 'down';
  components: ComponentHealth[];
  issues: SystemIssue[];
  lastHealthCheck: Date;
}

// Mirrors types/scheduling.ts (SystemMetrics).
export interface SystemMetrics {
  totalSchedules: number;
  activeSchedules: number;
  pausedSchedules: number;
  disabledSchedules: number;
  totalExecutions: number;
  successfulExecutions: number;
  failedExecutions: number;
  averageExecutionTime: number;
  systemLoad: SystemLoad;
  resourceUtilization: ResourceUtilization;
  queueStats: QueueStats;
  healthStatus: SystemHealthStatus;
  uptime: number;
  lastUpdated: Date;
}

// ---- integration events --------------------------------------------------------------------

// Mirrors types/scheduling.ts (ScheduleTriggeredEvent; emitted by services/schedule-execution-handler.ts).
export interface ScheduleTriggeredEvent {
  id: string;
  scheduleId: string;
  workflowId: string;
  triggerTime: Date;
  triggerType: 'scheduled' | 'manual' | 'retry';
  context: ExecutionContext;
  metadata: Record<string, any>;
}

// Mirrors types/scheduling.ts (WorkflowCompletedEvent; 'workflow.completed' and 'workflow.failed').
export interface WorkflowCompletedEvent {
  id: string;
  executionId: string;
  scheduleId: string;
  workflowId: string;
  status: ExecutionStatus;
  startTime: Date;
  endTime: Date;
  duration: number;
  result?: any;
  error?: ExecutionError;
  metadata: Record<string, any>;
}

// ---- cron engine ---------------------------------------------------------------------------

// Mirrors types/scheduling.ts (CronFields).
export interface CronFields {
  second?: string;
  minute: string;
  hour: string;
  dayOfMonth: string;
  month: string;
  dayOfWeek: string;
  year?: string;
}

// Mirrors types/scheduling.ts (ScheduleFrequency).
export interface ScheduleFrequency {
  type: 'once' | 'minutely' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly' | 'custom';
  interval: number;
  description: string;
  estimatedExecutionsPerDay: number;
}

// Mirrors types/scheduling.ts (ParsedCronExpression).
export interface ParsedCronExpression {
  original: string;
  fields: CronFields;
  timezone: string;
  description: string;
  frequency: ScheduleFrequency;
  valid: boolean;
  errors: string[];
}

// Mirrors types/scheduling.ts (CronValidationResult).
export interface CronValidationResult {
  valid: boolean;
  errors: string[];
  warnings: string[];
  description: string;
  frequency: ScheduleFrequency;
  nextExecutions: Date[];
}

// Mirrors types/scheduling.ts (ResourceImpactAnalysis).
export interface ResourceImpactAnalysis {
  cpuImpact: 'low' | 'medium' | 'high';
  memoryImpact: 'low' | 'medium' | 'high';
  networkImpact: 'low' | 'medium' | 'high';
  databaseImpact: 'low' | 'medium' | 'high';
  overallImpact: 'low' | 'medium' | 'high';
}

// Mirrors types/scheduling.ts (ScheduleFrequencyAnalysis).
export interface ScheduleFrequencyAnalysis {
  frequency: ScheduleFrequency;
  peakHours: number[];
  distributionScore: number;
  resourceImpact: ResourceImpactAnalysis;
  recommendations: string[];
}

// Mirrors types/scheduling.ts (ScheduleConflict).
export interface ScheduleConflict {
  scheduleIds: string[];
  conflictTime: Date;
  severity: 'low' | 'medium' | 'high';
  description: string;
  resolution: string;
}

// Mirrors types/scheduling.ts (OptimizationSuggestion).
export interface OptimizationSuggestion {
  type: 'time_adjustment' | 'load_balancing' | 'resource_optimization';
  scheduleId: string;
  currentExpression: string;
  suggestedExpression: string;
  reason: string;
  expectedBenefit: string;
  riskLevel: 'low' | 'medium' | 'high';
}

// Mirrors types/scheduling.ts (interface CronEngine; services/cron-engine.ts implements it, every method async).
export interface CronEngine {
  parseExpression(expression: string): Promise<ParsedCronExpression>;
  validateExpression(expression: string): Promise<CronValidationResult>;
  getNextExecutionTime(expression: string, timezone: string, fromDate?: Date): Promise<Date | null>;
  getNextExecutionTimes(expression: string, timezone: string, count: number, fromDate?: Date): Promise<Date[]>;
  getPreviousExecutionTime(expression: string, timezone: string, fromDate?: Date): Promise<Date | null>;
  analyzeScheduleFrequency(expression: string): Promise<ScheduleFrequencyAnalysis>;
  detectScheduleConflicts(expressions: string[], timezone: string): Promise<ScheduleConflict[]>;
  optimizeScheduleDistribution(expressions: string[], timezone: string): Promise<OptimizationSuggestion[]>;
}

// ---- scheduled workflow configs ------------------------------------------------------------

// Mirrors types/scheduling.ts (FallbackAction).
export interface FallbackAction {
  type: 'skip' | 'manual' | 'alternative';
  alternativeWorkflowId?: string;
  notifyUsers: string[];
  metadata: Record<string, any>;
}

// Mirrors types/scheduling.ts (EscalationPolicy).
export interface EscalationPolicy {
  enabled: boolean;
  escalateAfter: number;
  notificationChannels: string[];
  fallbackAction?: FallbackAction;
}

// Mirrors types/scheduling.ts (RetryPolicy, the schedule-level one).
export interface RetryPolicy {
  enabled: boolean;
  maxRetries: number;
  retryDelay: number;
  backoffStrategy: BackoffStrategy;
  retryableErrors: string[];
  escalationPolicy?: EscalationPolicy;
}

// Mirrors types/scheduling.ts (NotificationChannel).
export interface NotificationChannel {
  type: 'email' | 'slack' | 'webhook' | 'sms';
  config: Record<string, any>;
  enabled: boolean;
}

// Mirrors types/scheduling.ts (NotificationEvent).
export interface NotificationEvent {
  type: 'execution_success' | 'execution_failure' | 'schedule_disabled' | 'health_warning';
  enabled: boolean;
  threshold?: number;
}

// Mirrors types/scheduling.ts (NotificationFilter).
export interface NotificationFilter {
  field: string;
  operator: FilterOperator;
  value: any;
}

// Mirrors types/scheduling.ts (NotificationConfig).
export interface NotificationConfig {
  enabled: boolean;
  channels: NotificationChannel[];
  events: NotificationEvent[];
  filters: NotificationFilter[];
}

// Mirrors types/scheduling.ts (ScheduleMetadata).
export interface ScheduleMetadata {
  tags: string[];
  priority: SchedulePriority;
  category?: string;
  environment?: string;
  notifications?: NotificationConfig;
  customData?: Record<string, any>;
}

// Mirrors types/scheduling.ts (ScheduleDefinition).
export interface ScheduleDefinition {
  id: string;
  workflowId: string;
  name: string;
  description?: string;
  cronExpression: string;
  timezone: string;
  enabled: boolean;
  startDate?: Date;
  endDate?: Date;
  maxExecutions?: number;
  retryPolicy: RetryPolicy;
  metadata: ScheduleMetadata;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

// Mirrors services/workflow-schedule-integration.ts (WorkflowExecutionConfig).
export interface WorkflowExecutionConfig {
  timeout?: number;
  retryPolicy?: {
    maxAttempts: number;
    backoffStrategy: 'fixed' | 'linear' | 'exponential';
    initialDelay: number;
    maxDelay: number;
    multiplier: number;
  };
  environment?: string;
  variables?: Record<string, any>;
  priority?: 'low' | 'normal' | 'high' | 'urgent' | 'immediate';
}

// Mirrors services/workflow-schedule-integration.ts (ScheduledWorkflowConfig).
export interface ScheduledWorkflowConfig {
  id: string;
  workflowId: string;
  scheduleId: string;
  name: string;
  description?: string;
  enabled: boolean;
  executionConfig: WorkflowExecutionConfig;
  scheduleConfig: ScheduleDefinition;
  metadata: Record<string, any>;
}

// ---- types/workflow.ts: what ScheduleExecutionHandler.handleScheduleTrigger resolves with ----
// StepExecution, WorkflowResult and DeviceContext are `unknown` here: tickflow sends no steps
// (an empty array), no result and no device context, so their shapes do not take part.

export type WorkflowEnvironment = 'development' | 'staging' | 'production';
export type WorkflowPriority = 'low' | 'normal' | 'high' | 'critical';

// Mirrors types/workflow.ts (ExecutionContext).
export interface WorkflowExecutionContext {
  variables: Record<string, any>;
  environment: WorkflowEnvironment;
  userId: string;
  sessionId?: string;
  deviceContext?: unknown;
  parentExecutionId?: string;
  correlationId: string;
}

// Mirrors types/workflow.ts (ExecutionMetadata).
export interface WorkflowExecutionMetadata {
  source: string;
  correlationId: string;
  parentWorkflowId?: string;
  tags: string[];
  priority: WorkflowPriority;
  environment: WorkflowEnvironment;
}

// Mirrors types/workflow.ts (WorkflowExecution).
export interface WorkflowExecution {
  id: string;
  workflowId: string;
  workflowVersion: string;
  status: 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'timeout' | 'paused';
  context: WorkflowExecutionContext;
  result?: unknown;
  steps: unknown[];
  startedAt: Date;
  completedAt?: Date;
  duration?: number;
  triggeredBy: string;
  triggerType: 'manual' | 'schedule' | 'event' | 'webhook' | 'api';
  metadata: WorkflowExecutionMetadata;
}
