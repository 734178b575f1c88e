'use strict'
// The short shape of one schedule: an entry of the command's schedules file and the
// `options` of `integration.schedule(id, cron, options, handler)` are the same object
// (schema/schedules.schema.json, `$defs/options`), checked by the same rules and turned into
// the same ScheduledWorkflowConfig here.

const c = require('./cli/checks.js')
const { codedError } = require('./json.js')

const MAX_MS = 2_147_483_647
/** `scheduleConfig.createdBy` of a schedule that `integration.schedule()` declared. */
const DECLARED_BY_SCHEDULE = 'tickflow:schedule'
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
  stallAfterMs: c.integer(1, 316_224_000_000),
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
  if (typeof id === 'string' && id.includes('\0')) throw codedError(RangeError, 'ERR_INVALID_ID', 'id', 'cannot hold a NUL character (\\0)', id)
  // An empty pattern is a bad pattern, as everywhere else (not a string too short).
  if (cron === '') throw codedError(RangeError, 'ERR_INVALID_CRON', 'cron', 'invalid cron pattern: pattern is empty', cron)
  const errors = []
  ID(id, 'id', errors)
  CRON(cron, 'cron', errors)
  if (options !== undefined) OPTIONS(withDatesAsText(options), 'options', errors)
  const [first] = errors
  if (first) throw codedError(first.kind === 'range' ? RangeError : TypeError, first.code, first.path, first.message, first.value)
}

/**
 * In code a `startDate`/`endDate` may be a Date; the file's rules check text. A bad one is
 * refused as the API refuses dates everywhere (RangeError, ERR_INVALID_DATE).
 */
function withDatesAsText(options) {
  if (options === null || typeof options !== 'object') return options
  const copy = { ...options }
  for (const key of ['startDate', 'endDate']) {
    const v = copy[key]
    if (!(v instanceof Date) && typeof v !== 'string') continue
    dateMs(v, `options.${key}`)
    if (v instanceof Date) copy[key] = v.toISOString()
  }
  return copy
}

/** Text that a date was meant to be (a cron pattern never starts so). */
const LOOKS_LIKE_DATE = /^\d{4}-\d{2}-\d{2}/
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/
const LAST_YEAR = 2199 // the last year a cron pattern's year field takes
/** Options that say when a schedule runs: a one-off run's instant says it all. */
const TIMING_OPTIONS = ['timezone', 'startDate', 'endDate', 'maxExecutions']

/**
 * The instant (ms) of `schedule(id, when, …)` when `when` is a Date or an ISO 8601 string,
 * or null when it is a cron pattern. A bad Date or date string is a RangeError at `path`.
 */
function oneOffInstant(when, path) {
  if (!(when instanceof Date) && !(typeof when === 'string' && LOOKS_LIKE_DATE.test(when))) return null
  const ms = dateMs(when, path)
  if (new Date(Math.ceil(ms / 1000) * 1000).getUTCFullYear() > LAST_YEAR) {
    throw codedError(RangeError, 'ERR_OUT_OF_RANGE', path, `a one-off run can be at most in ${LAST_YEAR}`, when)
  }
  return ms
}

/** A Date or an ISO 8601 string as ms; a bad one is a RangeError (ERR_INVALID_DATE) at `path`. */
function dateMs(value, path) {
  if (typeof value === 'string') return isoMs(value, path)
  const ms = value.getTime()
  if (!Number.isFinite(ms)) throw codedError(RangeError, 'ERR_INVALID_DATE', path, 'expected a valid Date, got Invalid Date', value)
  return ms
}

/** An ISO 8601 date-time with a zone offset, as the engine takes it elsewhere. */
function isoMs(text, path) {
  if (NO_OFFSET.test(text)) {
    throw codedError(RangeError, 'ERR_INVALID_DATE', path, `'${text}' has no zone offset: add 'Z' for UTC or an offset such as '+02:00'`, text)
  }
  const m = DATE_TIME.test(text) && /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(text)
  // Date.parse rolls February 30 over into March: the fields are checked first.
  const valid = m && +m[2] >= 1 && +m[2] <= 12 && +m[3] >= 1 && +m[3] <= new Date(Date.UTC(+m[1], +m[2], 0)).getUTCDate() && +m[4] <= 23 && +m[5] <= 59 && +m[6] <= 59
  const ms = valid ? Date.parse(text) : NaN
  if (!Number.isFinite(ms)) {
    throw codedError(RangeError, 'ERR_INVALID_DATE', path, `expected an ISO 8601 date-time such as '2026-01-31T09:00:00Z', got '${text.slice(0, 80)}'`, text)
  }
  return ms
}

/**
 * A one-off run as a schedule: a 7-field pattern (seconds … year) matching one UTC second,
 * the first whole second at or after `ms` (cron counts whole seconds, and a run should not
 * start before the instant asked for), at most once.
 */
function oneOffSchedule(ms, options = {}) {
  for (const key of TIMING_OPTIONS) {
    if (options[key] !== undefined) {
      throw codedError(TypeError, 'ERR_UNKNOWN_OPTION', `options.${key}`, `a one-off run takes no ${key}: its instant says when it runs`, options[key])
    }
  }
  const d = new Date(Math.ceil(ms / 1000) * 1000)
  const cron = `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} * ${d.getUTCFullYear()}`
  return { cron, options: { ...options, timezone: 'UTC', maxExecutions: 1 } }
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
      stallAfterMs: options.stallAfterMs,
      createdBy: defaults.createdBy,
    }),
    metadata: { ...options.metadata, ...defaults.metadata },
  })
}

/** Where a field of the config made by `toWorkflowConfig` came from in the short shape. */
const SHORT_PATHS = [
  [/^config\.scheduleConfig\.cronExpression/, 'cron'],
  [/^config\.scheduleConfig\.timezone/, 'options.timezone'],
  [/^config\.scheduleConfig\.(startDate|endDate|maxExecutions|jitterMs|dstGap|onInterrupt|overlapPolicy|catchup|stallAfterMs)/, 'options.$1'],
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

module.exports = { DECLARED_BY_SCHEDULE, OPTION_FIELDS, OPTIONS, ID, CRON, DATE_TIME, isoMs, checkScheduleArgs, toWorkflowConfig, shortPath, oneOffInstant, oneOffSchedule }
