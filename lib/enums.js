'use strict'
// The production-ccs enums, as runtime values (TypeScript enums compile to these).

const freeze = Object.freeze

module.exports = {
  ScheduleState: freeze({ ACTIVE: 'active', PAUSED: 'paused', DISABLED: 'disabled', ERROR: 'error', EXPIRED: 'expired' }),
  SchedulePriority: freeze({ LOW: 1, NORMAL: 2, HIGH: 3, CRITICAL: 4, URGENT: 5, 1: 'LOW', 2: 'NORMAL', 3: 'HIGH', 4: 'CRITICAL', 5: 'URGENT' }),
  ExecutionStatus: freeze({
    PENDING: 'pending', QUEUED: 'queued', RUNNING: 'running', COMPLETED: 'completed',
    FAILED: 'failed', CANCELLED: 'cancelled', TIMEOUT: 'timeout', RETRYING: 'retrying',
  }),
  ExecutionPriority: freeze({ LOW: 1, NORMAL: 2, HIGH: 3, URGENT: 4, IMMEDIATE: 5, 1: 'LOW', 2: 'NORMAL', 3: 'HIGH', 4: 'URGENT', 5: 'IMMEDIATE' }),
  TriggerSource: freeze({ SCHEDULE: 'schedule', EVENT: 'event', WEBHOOK: 'webhook', MANUAL: 'manual', API: 'api', RETRY: 'retry' }),
  EventSource: freeze({ INTERNAL: 'internal', WEBHOOK: 'webhook', API: 'api', SYSTEM: 'system', EXTERNAL: 'external' }),
  BackoffStrategy: freeze({ FIXED: 'fixed', LINEAR: 'linear', EXPONENTIAL: 'exponential', CUSTOM: 'custom' }),
  FilterOperator: freeze({
    EQUALS: 'equals', NOT_EQUALS: 'not_equals', CONTAINS: 'contains', NOT_CONTAINS: 'not_contains',
    STARTS_WITH: 'starts_with', ENDS_WITH: 'ends_with', GREATER_THAN: 'greater_than', LESS_THAN: 'less_than',
    GREATER_EQUAL: 'greater_equal', LESS_EQUAL: 'less_equal', IN: 'in', NOT_IN: 'not_in', REGEX: 'regex',
  }),
  ScheduleSortField: freeze({
    NAME: 'name', CREATED_AT: 'createdAt', UPDATED_AT: 'updatedAt', LAST_EXECUTION: 'lastExecution',
    NEXT_EXECUTION: 'nextExecution', PRIORITY: 'priority', STATUS: 'status',
  }),
  ExecutionSortField: freeze({
    SCHEDULED_TIME: 'scheduledTime', ACTUAL_START_TIME: 'actualStartTime', COMPLETION_TIME: 'completionTime',
    DURATION: 'duration', STATUS: 'status', PRIORITY: 'priority',
  }),
}
