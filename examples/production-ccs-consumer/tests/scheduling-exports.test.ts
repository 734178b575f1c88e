// production-ccs's constants and enums from types/scheduling.ts, as tickflow exports them at
// run time: the values production-ccs declares (restated here), and frozen, so that code which
// spreads a default cannot change it for everyone.

import {
  CRON_PRESETS,
  DEFAULT_EXECUTION_CONTEXT,
  DEFAULT_RETRY_POLICY,
  DEFAULT_SCHEDULE_METADATA,
  EventSource,
  PERFORMANCE_THRESHOLDS,
  ScheduleSortField,
  TIMEZONE_PRESETS,
  nextRuns,
} from 'tickflow';

describe("types/scheduling.ts's values from 'tickflow'", () => {
  it('has production-ccs values', () => {
    expect(DEFAULT_RETRY_POLICY).toEqual({
      enabled: true,
      maxRetries: 3,
      retryDelay: 1000,
      backoffStrategy: 'exponential',
      retryableErrors: ['TIMEOUT', 'NETWORK_ERROR', 'TEMPORARY_FAILURE'],
    });
    expect(DEFAULT_SCHEDULE_METADATA).toEqual({ tags: [], priority: 2 });
    expect(DEFAULT_EXECUTION_CONTEXT).toEqual({ triggeredBy: 'schedule', environment: 'production', metadata: {} });
    expect(PERFORMANCE_THRESHOLDS).toEqual({
      SCHEDULE_EVALUATION_MS: 10,
      TRIGGER_RESPONSE_MS: 50,
      QUEUE_OPERATION_MS: 5,
      EXECUTION_TIMEOUT_MS: 300000,
      HEALTH_CHECK_INTERVAL_MS: 30000,
      METRICS_COLLECTION_INTERVAL_MS: 60000,
    });
    expect(TIMEZONE_PRESETS.US_PACIFIC).toBe('America/Los_Angeles');
    expect(Object.keys(TIMEZONE_PRESETS)).toHaveLength(10);
    expect({ ...EventSource }).toEqual({ INTERNAL: 'internal', WEBHOOK: 'webhook', API: 'api', SYSTEM: 'system', EXTERNAL: 'external' });
    expect(Object.values(ScheduleSortField)).toEqual(['name', 'createdAt', 'updatedAt', 'lastExecution', 'nextExecution', 'priority', 'status']);
  });

  it('every cron preset and time zone preset is one tickflow schedules', () => {
    expect(Object.keys(CRON_PRESETS)).toHaveLength(10);
    for (const pattern of Object.values(CRON_PRESETS)) {
      for (const timezone of Object.values(TIMEZONE_PRESETS)) {
        expect(nextRuns(pattern, { timezone, count: 1 })).toHaveLength(1);
      }
    }
  });

  it('is frozen, nested arrays too', () => {
    expect(Object.isFrozen(DEFAULT_RETRY_POLICY)).toBe(true);
    expect(() => (DEFAULT_RETRY_POLICY.retryableErrors as string[]).push('X')).toThrow(TypeError);
    expect(DEFAULT_RETRY_POLICY.retryableErrors).toHaveLength(3);
  });
});
