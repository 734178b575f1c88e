'use strict'
// The schedules file: reading it (with line and column for bad JSON), checking it against
// the rules of schema/schedules.schema.json plus what a schema cannot say (unique ids, valid
// cron patterns and time zones, dates in order), and turning it into the integration's
// ScheduledWorkflowConfig objects.

const fs = require('node:fs')
const path = require('node:path')
const { validateCron } = require('../../index.js')
const { UsageError } = require('./errors.js')
const { locateJsonError } = require('./json-errors.js')
const c = require('./checks.js')
const { hideSecret } = require('./terminal.js')
const { checkVariables, inlineCredentials, withoutCredentials } = require('./variables.js')

const { OPTION_FIELDS, ID, CRON, DATE_TIME, toWorkflowConfig: shortToConfig } = require('../schedule-options.js')

const HTTP = c.object({
  url: c.string({ pattern: /^https?:\/\/[^\s]+$/, patternHint: "expected an http:// or https:// URL" }),
  method: c.oneOf(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  headers: c.mapOf(c.string()),
  body: c.any(),
}, { required: ['url'] })

// A file entry: the short shape `integration.schedule()` takes as options, with its id,
// its pattern and an action.
const SCHEDULE = c.object({
  id: ID,
  cron: CRON,
  ...OPTION_FIELDS,
  command: c.arrayOf(c.string(), { minItems: 1, first: c.string({ minLength: 1 }) }),
  cwd: c.string({ minLength: 1 }),
  env: c.mapOf(c.string()),
  http: HTTP,
}, { required: ['id', 'cron'] })

const FILE = c.object({
  $schema: c.string(),
  timezone: c.string({ minLength: 1 }),
  maxConcurrency: c.integer(1, 10_000),
  schedules: c.arrayOf(SCHEDULE, { minItems: 1 }),
}, { required: ['schedules'] })

/** Reads and parses the file; a missing file or bad JSON is a UsageError naming the spot. */
function readSchedulesFile(file) {
  let text
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    const why = err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'is a directory' : err.message
    throw new UsageError(`cannot read ${file}: ${why}`, { usage: false })
  }
  text = text.replace(/^\uFEFF/, '')
  let doc
  try {
    doc = JSON.parse(text)
  } catch (err) {
    const at = locateJsonError(text)
    const where = at ? ` (line ${at.line}, column ${at.column}): ${at.message}` : `: ${err.message}`
    throw new UsageError(`${file} is not valid JSON${where}`, { usage: false })
  }
  // A backstop: whatever message quotes a URL with credentials, they are not printed.
  for (const { value } of urlsOf(doc).flatMap((url) => inlineCredentials(url).found)) {
    hideSecret(value)
    hideSecret(decode(value))
  }
  return doc
}

function urlsOf(doc) {
  const schedules = c.isPlainObject(doc) && Array.isArray(doc.schedules) ? doc.schedules : []
  return schedules.map((s) => c.isPlainObject(s) && c.isPlainObject(s.http) && s.http.url).filter((url) => typeof url === 'string')
}

function decode(text) {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/**
 * Every problem in a parsed schedules file, as `{ path, message }` (path like
 * `schedules[2].retries.maxAttempts`), and the warnings (cron patterns, credentials written
 * in a URL). `${NAME}` in an action must name a variable `env` sets.
 */
function checkSchedules(doc, env = process.env) {
  const errors = []
  const warnings = []
  FILE(doc, '', errors)
  if (!c.isPlainObject(doc)) return { errors, warnings }

  const fileZoneOk = typeof doc.timezone !== 'string' || zoneError(doc.timezone) === null
  if (!fileZoneOk) errors.push({ path: 'timezone', message: zoneError(doc.timezone) })
  const fileZone = fileZoneOk && typeof doc.timezone === 'string' ? doc.timezone : 'UTC'

  const firstIndexOf = new Map()
  const schedules = Array.isArray(doc.schedules) ? doc.schedules : []
  schedules.forEach((s, i) => {
    if (!c.isPlainObject(s)) return
    const at = (field) => `schedules[${i}]${field ? `.${field}` : ''}`
    if (typeof s.id === 'string') {
      if (firstIndexOf.has(s.id)) errors.push({ path: at('id'), message: `duplicate id '${s.id}' (also schedules[${firstIndexOf.get(s.id)}].id)` })
      else firstIndexOf.set(s.id, i)
    }
    checkAction(s, at, errors)
    checkVariables(s, at, env, errors)
    checkCredentials(s, at, warnings)
    checkDates(s, at, errors)
    checkCron(s, at, fileZone, errors, warnings)
  })
  return { errors: inFileOrder(errors), warnings }
}

/** One action, and the fields that go with it. */
function checkAction(s, at, errors) {
  const actions = ['command', 'http'].filter((k) => Object.hasOwn(s, k))
  if (actions.length === 0) errors.push({ path: at(), message: "needs an action: 'command' or 'http'" })
  if (actions.length === 2) errors.push({ path: at('http'), message: "a schedule has one action: 'command' or 'http', not both" })
  for (const k of ['cwd', 'env']) {
    if (Object.hasOwn(s, k) && !Object.hasOwn(s, 'command')) errors.push({ path: at(k), message: "applies to a 'command' action only" })
  }
  if (c.isPlainObject(s.http) && Object.hasOwn(s.http, 'body') && ['GET', 'HEAD', undefined].includes(s.http.method)) {
    errors.push({ path: at('http.body'), message: `a ${s.http.method || 'GET'} request has no body; set 'method' (POST, PUT, ...)` })
  }
}

/** Credentials written in a URL are stored and shown (as ***) with it: say how not to. */
function checkCredentials(s, at, warnings) {
  if (!c.isPlainObject(s.http) || typeof s.http.url !== 'string') return
  const { found } = inlineCredentials(s.http.url)
  if (found.length === 0) return
  const what = found.map((f) => f.what).join(' and ')
  warnings.push({ path: at('http.url'), message: `holds credentials (${what}) written in the file; name an environment variable instead, as in \${HOOK_TOKEN}` })
}

/** Dates that exist, in order (their format is the schema's business). */
function checkDates(s, at, errors) {
  const wellFormed = (v) => typeof v === 'string' && DATE_TIME.test(v)
  for (const k of ['startDate', 'endDate']) {
    if (wellFormed(s[k]) && !isCalendarDate(s[k])) errors.push({ path: at(k), message: `is not a date on the calendar: '${s[k]}'` })
  }
  if ([s.startDate, s.endDate].every((v) => wellFormed(v) && isCalendarDate(v)) && Date.parse(s.endDate) <= Date.parse(s.startDate)) {
    errors.push({ path: at('endDate'), message: 'must be after startDate' })
  }
}

/** The pattern and the zone, as the engine will read them. */
function checkCron(s, at, fileZone, errors, warnings) {
  let zone = fileZone
  if (typeof s.timezone === 'string' && s.timezone.length > 0) {
    if (zoneError(s.timezone) === null) zone = s.timezone
    else errors.push({ path: at('timezone'), message: zoneError(s.timezone) })
  }
  if (typeof s.cron === 'string' && s.cron.length > 0 && s.cron.length <= 1024) {
    const result = validateCron(s.cron, zone)
    for (const message of result.errors) errors.push({ path: at('cron'), message })
    for (const message of result.warnings) warnings.push({ path: at('cron'), message })
  }
}

/** Top-level problems first, then each schedule's, in the order the file lists them. */
function inFileOrder(errors) {
  const index = (e) => Number((/^schedules\[(\d+)\]/.exec(e.path) || [0, -1])[1])
  return errors.map((e, order) => ({ e, order })).sort((a, b) => index(a.e) - index(b.e) || a.order - b.order).map(({ e }) => e)
}

/** Date.parse rolls 2026-02-30 over to March; a schedule's date must exist as written. */
function isCalendarDate(text) {
  const [y, mo, d, h, mi, se] = text.match(/\d+/g).slice(0, 6).map(Number)
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, se))
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d &&
    t.getUTCHours() === h && t.getUTCMinutes() === mi && t.getUTCSeconds() === se
}

/** The message for an unknown time zone, or null. */
function zoneError(timezone) {
  const found = validateCron('* * * * *', timezone).errors.find((e) => e.startsWith('timezone:'))
  return found ? found.replace(/^timezone: /, '') : null
}

/** `metadata.source` of every schedule the file creates: `run` removes only those. */
const FILE_SOURCE = 'tickflow-cli'

/** The integration's ScheduledWorkflowConfig for one checked schedule. */
function toWorkflowConfig(s, doc) {
  // Shown by `tickflow status`; the action itself stays in the file (env may hold secrets).
  return shortToConfig(s.id, s.cron, s, {
    timezone: doc.timezone || 'UTC',
    metadata: { source: FILE_SOURCE, action: describeAction(s) },
  })
}

/** Whether a schedules file created this config (and may remove it). */
function createdByFile(config) {
  const m = config.metadata
  return m !== null && typeof m === 'object' && m.source === FILE_SOURCE
}

/** 'node -e …' or 'POST http://…', for people (and the store): `${NAME}` as written,
 * credentials written in a URL as ***. */
function describeAction(s) {
  if (s.command) return s.command.map((arg) => (/[\s"']/.test(arg) ? JSON.stringify(arg) : arg)).join(' ').slice(0, 200)
  return `${s.http.method || 'GET'} ${withoutCredentials(s.http.url)}`.slice(0, 200)
}

/** The action of each schedule, by id, with paths resolved against the file's folder. */
function actionsOf(doc, file) {
  const dir = path.dirname(path.resolve(file))
  const actions = new Map()
  for (const s of doc.schedules) {
    if (s.command) actions.set(s.id, { type: 'command', argv: s.command, cwd: path.resolve(dir, s.cwd || '.'), env: s.env })
    else actions.set(s.id, { type: 'http', ...s.http })
  }
  return actions
}

module.exports = { readSchedulesFile, checkSchedules, toWorkflowConfig, createdByFile, actionsOf, describeAction, rules: { FILE, SCHEDULE } }
