'use strict'
// The short shape of one schedule: an entry of the command's schedules file and the
// `options` of `integration.schedule(id, cron, options, handler)` are the same object
// (schema/schedules.schema.json, `$defs/options`), checked by the same rules and turned into
// the same ScheduledWorkflowConfig here.

const c = require('./cli/checks.js')
const { codedError } = require('./json.js')

const MAX_MS = 2_147_483_647
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/
const dateTime = () => c.string({ pattern: DATE_TIME, patternHint: "expected a date-time such as '2026-01-31T09:00:00Z'" })

const RETRIES = c.object({
  maxAttempts: c.integer(1, 1000),
  backoff: c.oneOf(['fixed', 'linear', 'exponential']),
  delayMs: c.integer(0, MAX_MS),
  maxDelayMs: c.integer(0, MAX_MS),
  multiplier: c.number(1, 100),
  jitter: c.either([c.boolean(), c.number(0, 1)], 'true, false or a number from 0 to 1'),
  retryOn: c.arrayOf(c.string({ minLength: 1 })),
}, { required: ['maxAttempts'] })

/** Everything about a schedule but its id, its pattern and (in the file) its action. */
const OPTION_FIELDS = {
  name: c.string({ minLength: 1, maxLength: 200 }),
  description: c.string({ maxLength: 2000 }),
  timezone: c.string({ minLength: 1 }),
  enabled: c.boolean(),
  overlapPolicy: c.oneOf(['allow', 'skip', 'bufferOne', 'bufferAll', 'cancelOther']),
  catchup: c.object({
    policy: c.oneOf(['skip', 'once', 'all']),
    windowMs: c.integer(0, 316_224_000_000), // ten leap years, the engine's cap
    maxRuns: c.integer(1, 100_000),
  }, { required: ['policy'] }),
  jitterMs: c.integer(0, MAX_MS),
  dstGap: c.oneOf(['shift', 'skip']),
  onInterrupt: c.oneOf(['resume', 'fail']),
  startDate: dateTime(),
  endDate: dateTime(),
  maxExecutions: c.integer(1, 4_294_967_295),
  priority: c.oneOf(['low', 'normal', 'high', 'urgent', 'immediate']),
  timeoutMs: c.integer(1, MAX_MS),
  retries: RETRIES,
  metadata: c.mapOf(c.any()),
}

const OPTIONS = c.object(OPTION_FIELDS)

const ID = c.string({ minLength: 1, maxLength: 100, pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]*$/, patternHint: "expected letters, digits, '.', '_', ':' or '-', starting with a letter or digit" })
const CRON = c.string({ minLength: 1, maxLength: 1024 })

/**
 * Checks `schedule()`'s arguments by the file's rules and throws the first problem as a
 * coded TypeError/RangeError with its path (`options.retries.maxAttempts`) and value.
 */
function checkScheduleArgs(id, cron, options) {
  const errors = []
  ID(id, 'id', errors)
  CRON(cron, 'cron', errors)
  if (options !== undefined) OPTIONS(withDatesAsText(options), 'options', errors)
  const [first] = errors
  if (first) throw codedError(first.kind === 'range' ? RangeError : TypeError, first.code, first.path, first.message, first.value)
}

/** In code a `startDate`/`endDate` may be a Date; the file's rules check text. */
function withDatesAsText(options) {
  if (options === null || typeof options !== 'object') return options
  const copy = { ...options }
  for (const key of ['startDate', 'endDate']) {
    const v = copy[key]
    if (v instanceof Date && Number.isFinite(v.getTime())) copy[key] = v.toISOString()
  }
  return copy
}

/** The ScheduledWorkflowConfig for a schedule in the short shape. */
function toWorkflowConfig(id, cron, options = {}, defaults = {}) {
  const r = options.retries
  const retryPolicy = r && compact({
    maxAttempts: r.maxAttempts,
    backoffStrategy: r.backoff,
    initialDelay: r.delayMs,
    maxDelay: r.maxDelayMs,
    multiplier: r.multiplier,
    jitter: r.jitter,
    retryableErrors: r.retryOn,
  })
  const date = (v) => v && new Date(v)
  return compact({
    id,
    scheduleId: id,
    workflowId: id,
    name: options.name || id,
    description: options.description,
    enabled: options.enabled,
    executionConfig: compact({ timeout: options.timeoutMs, retryPolicy, priority: options.priority }),
    scheduleConfig: compact({
      cronExpression: cron,
      timezone: options.timezone || defaults.timezone,
      overlapPolicy: options.overlapPolicy,
      catchup: options.catchup,
      jitterMs: options.jitterMs,
      dstGap: options.dstGap,
      onInterrupt: options.onInterrupt,
      startDate: date(options.startDate),
      endDate: date(options.endDate),
      maxExecutions: options.maxExecutions,
    }),
    metadata: { ...options.metadata, ...defaults.metadata },
  })
}

/** Where a field of the config made by `toWorkflowConfig` came from in the short shape. */
const SHORT_PATHS = [
  [/^config\.scheduleConfig\.cronExpression/, 'cron'],
  [/^config\.scheduleConfig\.timezone/, 'options.timezone'],
  [/^config\.scheduleConfig\.(startDate|endDate|maxExecutions|jitterMs|dstGap|onInterrupt|overlapPolicy|catchup)/, 'options.$1'],
  [/^config\.executionConfig\.timeout/, 'options.timeoutMs'],
  [/^config\.executionConfig\.retryPolicy/, 'options.retries'],
  [/^config\.(name|description|enabled|metadata)/, 'options.$1'],
]

/** An engine error about the generated config, with the path the caller wrote. */
function shortPath(err) {
  if (err && typeof err.path === 'string') {
    for (const [from, to] of SHORT_PATHS) {
      if (from.test(err.path)) {
        const path = err.path.replace(from, to)
        err.message = err.message.replace(err.path, path)
        err.path = path
        break
      }
    }
  }
  return err
}

function compact(object) {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined))
}

module.exports = { OPTION_FIELDS, OPTIONS, ID, CRON, DATE_TIME, checkScheduleArgs, toWorkflowConfig, shortPath }
