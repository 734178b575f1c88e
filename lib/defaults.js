'use strict'
// production-ccs's constants (types/scheduling.ts), as runtime values. Frozen, nested
// arrays and objects too: code that spreads a default must not change it for everyone.

const { BackoffStrategy, SchedulePriority, TriggerSource } = require('./enums.js')

function deepFreeze(value) {
  for (const inner of Object.values(value)) if (inner !== null && typeof inner === 'object') deepFreeze(inner)
  return Object.freeze(value)
}

module.exports = deepFreeze({
  // retryableErrors is production-ccs's list as it is; the README says how it meets
  // tickflow's codes (TIMEOUT is tickflow's own timeout; WORKFLOW_TIMEOUT is not listed).
  DEFAULT_RETRY_POLICY: {
    enabled: true,
    maxRetries: 3,
    retryDelay: 1000,
    backoffStrategy: BackoffStrategy.EXPONENTIAL,
    retryableErrors: ['TIMEOUT', 'NETWORK_ERROR', 'TEMPORARY_FAILURE'],
  },
  DEFAULT_SCHEDULE_METADATA: { tags: [], priority: SchedulePriority.NORMAL },
  DEFAULT_EXECUTION_CONTEXT: { triggeredBy: TriggerSource.SCHEDULE, environment: 'production', metadata: {} },
  CRON_PRESETS: {
    EVERY_MINUTE: '* * * * *',
    EVERY_5_MINUTES: '*/5 * * * *',
    EVERY_15_MINUTES: '*/15 * * * *',
    EVERY_30_MINUTES: '*/30 * * * *',
    HOURLY: '0 * * * *',
    DAILY_MIDNIGHT: '0 0 * * *',
    DAILY_NOON: '0 12 * * *',
    WEEKLY_SUNDAY: '0 0 * * 0',
    MONTHLY_FIRST: '0 0 1 * *',
    YEARLY: '0 0 1 1 *',
  },
  TIMEZONE_PRESETS: {
    UTC: 'UTC',
    US_EASTERN: 'America/New_York',
    US_CENTRAL: 'America/Chicago',
    US_MOUNTAIN: 'America/Denver',
    US_PACIFIC: 'America/Los_Angeles',
    EUROPE_LONDON: 'Europe/London',
    EUROPE_PARIS: 'Europe/Paris',
    ASIA_TOKYO: 'Asia/Tokyo',
    ASIA_SHANGHAI: 'Asia/Shanghai',
    AUSTRALIA_SYDNEY: 'Australia/Sydney',
  },
  PERFORMANCE_THRESHOLDS: {
    SCHEDULE_EVALUATION_MS: 10,
    TRIGGER_RESPONSE_MS: 50,
    QUEUE_OPERATION_MS: 5,
    EXECUTION_TIMEOUT_MS: 300_000,
    HEALTH_CHECK_INTERVAL_MS: 30_000,
    METRICS_COLLECTION_INTERVAL_MS: 60_000,
  },
})
