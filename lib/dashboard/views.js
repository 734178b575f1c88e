'use strict'
// The dashboard's read views: plain JSON assembled from the integration's own reads.

const { describeCron, nextRuns } = require('../cron.js')
const { parseExposition } = require('../prometheus.js')
const { refusal, withStatus } = require('./errors.js')

const OVERVIEW_LIMIT = 500
const PREVIEW_LIMIT = 1000
const TIMELINE_FIRES = 2000
const TIMELINE_PER_SCHEDULE = 500

const iso = (d) => (d instanceof Date ? d.toISOString() : d === undefined ? undefined : d)

function describe(cron) {
  try {
    return describeCron(cron)
  } catch {
    return ''
  }
}

/** One schedule's row: identity, pattern in words, state, next fires, last and recent runs. */
function scheduleRow(integration, config) {
  const scheduleId = config.scheduleId
  const status = integration.getScheduleStatus(scheduleId)
  const recent = integration.listExecutions({ scheduleId, limit: 20 }).reverse()
  const last = status.lastExecutionStatus
    ? { status: status.lastExecutionStatus, at: iso(status.lastExecution), error: status.lastError }
    : null
  return {
    scheduleId,
    configId: config.id,
    workflowId: config.workflowId,
    name: config.name,
    cron: config.scheduleConfig.cronExpression,
    description: describe(config.scheduleConfig.cronExpression),
    timezone: config.scheduleConfig.timezone,
    state: status.status,
    pauseNote: status.pauseNote,
    health: status.health.status,
    // Runs still going past the schedule's period (or stallAfterMs), oldest first.
    stalled: status.health.issues
      .filter((issue) => issue.executionId !== undefined)
      .map((issue) => ({ executionId: issue.executionId, runningMs: issue.runningMs, severity: issue.severity, message: issue.message })),
    // No handler here: its fires are skipped (no_handler). Undeclared: schedule() made it
    // on an earlier boot and this process has not declared it.
    handled: integration._handles(scheduleId),
    undeclared: integration._undeclared(config),
    nextFires: integration.getNextExecutionTimes(scheduleId, 3).map(iso),
    last,
    recent: recent.map((e) => ({ executionId: e.id, status: e.status, scheduledTime: iso(e.scheduledTime), duration: e.duration })),
  }
}

function configOf(integration, scheduleId) {
  const config = integration.getScheduledWorkflows().find((c) => c.scheduleId === scheduleId)
  if (!config) throw refusal(404, 'ERR_NOT_FOUND', `schedule '${scheduleId}' not found`)
  return config
}

function required(params, name) {
  const value = params.get(name)
  if (value === null || value === '') throw refusal(400, 'ERR_MISSING_FIELD', `the query needs '${name}'`)
  return value
}

function dateParam(params, name) {
  const text = required(params, name)
  const d = new Date(text)
  if (Number.isNaN(d.getTime())) throw refusal(400, 'ERR_INVALID_DATE', `${name}: expected an ISO date, got '${text}'`)
  return d
}

function overview(integration, params, settings) {
  const configs = integration.getScheduledWorkflows().sort((a, b) => a.scheduleId.localeCompare(b.scheduleId))
  const system = integration.getSystemMetrics()
  return {
    now: iso(integration.now()),
    state: integration.getState(),
    readOnly: settings.readOnly,
    actions: settings.allowed,
    system: {
      totalSchedules: system.totalSchedules,
      activeSchedules: system.activeSchedules,
      pausedSchedules: system.pausedSchedules,
      totalExecutions: system.totalExecutions,
      successfulExecutions: system.successfulExecutions,
      failedExecutions: system.failedExecutions,
    },
    truncated: configs.length > OVERVIEW_LIMIT,
    schedules: configs.slice(0, OVERVIEW_LIMIT).map((c) => scheduleRow(integration, c)),
  }
}

/** Wall-clock time and UTC offset of `at` in `zone`. */
function inZone(at, zone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset',
    }).formatToParts(at).map((p) => [p.type, p.value]),
  )
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName.replace('GMT', '')
  return { zoneTime: `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second}`, offset }
}

/** 'repeat' when the wall-clock time occurs twice (fall back), 'gap' when the fire comes
 * right after a spring-forward jump, else null. */
function dstMark(at, zone) {
  const offsetMs = (d) => {
    const { offset } = inZone(d, zone)
    const m = /^([+-])(\d\d):(\d\d)$/.exec(offset)
    return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000 : 0
  }
  const before = offsetMs(new Date(at.getTime() - 3 * 3_600_000))
  const after = offsetMs(new Date(at.getTime() + 3 * 3_600_000))
  if (before === after) return null
  const here = inZone(at, zone).zoneTime
  if (after < before) {
    const shift = before - after
    const twin = [new Date(at.getTime() + shift), new Date(at.getTime() - shift)].some((d) => inZone(d, zone).zoneTime === here)
    return twin ? 'repeat' : null
  }
  return offsetMs(new Date(at.getTime() - 1000)) !== offsetMs(at) ? 'gap' : null
}

function lateness(integration, scheduleId) {
  const families = parseExposition(integration._prometheus(true))
  const family = families.get('tickflow_trigger_lateness_seconds')
  const mine = family ? family.values.filter((v) => v.labels.schedule === scheduleId) : []
  const buckets = []
  let previous = 0
  for (const v of mine.filter((x) => x.metricName === 'tickflow_trigger_lateness_seconds_bucket')) {
    const le = v.labels.le === '+Inf' ? '+Inf' : Number(v.labels.le)
    buckets.push({ le, count: v.value - previous })
    previous = v.value
  }
  const pick = (name) => (mine.find((x) => x.metricName === name) || { value: 0 }).value
  return { buckets, count: pick('tickflow_trigger_lateness_seconds_count'), sum: pick('tickflow_trigger_lateness_seconds_sum') }
}

function executionJson(e) {
  return {
    id: e.id,
    scheduleId: e.scheduleId,
    workflowId: e.workflowId,
    status: e.status,
    triggerType: e.triggerType,
    scheduledTime: iso(e.scheduledTime),
    actualStartTime: iso(e.actualStartTime),
    completionTime: iso(e.completionTime),
    duration: e.duration,
    error: e.error ? { code: e.error.code, message: e.error.message } : undefined,
    cancelReason: e.cancelReason,
    retryCount: e.retryCount,
    attempts: e.attempts.map((a) => ({ attempt: a.attempt, startTime: iso(a.startTime), endTime: iso(a.endTime), error: a.error ? { code: a.error.code, message: a.error.message } : null })),
  }
}

function schedule(integration, params) {
  const scheduleId = required(params, 'id')
  const config = configOf(integration, scheduleId)
  const zone = config.scheduleConfig.timezone
  return {
    schedule: scheduleRow(integration, config),
    config,
    upcoming: integration.getNextExecutionTimes(scheduleId, 10).map((at) => ({ at: iso(at), ...inZone(at, zone), dst: dstMark(at, zone) })),
    history: integration.listExecutions({ scheduleId, limit: 50 }).map(executionJson),
    skipped: integration.getSkippedOccurrences(scheduleId).slice(-50).reverse().map((s) => ({ scheduledTime: iso(s.scheduledTime), reason: s.reason, recordedAt: iso(s.recordedAt) })),
    lateness: lateness(integration, scheduleId),
  }
}

function executions(integration, params) {
  const filters = {}
  const scheduleId = params.get('scheduleId')
  if (scheduleId) filters.scheduleId = scheduleId
  const status = params.get('status')
  if (status) filters.status = status.split(',').filter(Boolean)
  const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 500)
  const offset = Math.max(Number(params.get('offset')) || 0, 0)
  const all = integration.listExecutions({ ...filters, limit: 10_000 })
  return { executions: all.slice(offset, offset + limit).map(executionJson), total: all.length }
}

function timeline(integration, params) {
  const hours = Math.min(Math.max(Number(params.get('hours')) || 24, 1), 24 * 7)
  const from = integration.now()
  const to = new Date(from.getTime() + hours * 3_600_000)
  const byInstant = new Map()
  const schedules = []
  for (const config of integration.getScheduledWorkflows()) {
    const upcoming = integration.getNextExecutionTimes(config.scheduleId, TIMELINE_PER_SCHEDULE).filter((at) => at <= to)
    for (const at of upcoming) {
      const key = at.toISOString()
      if (!byInstant.has(key)) byInstant.set(key, [])
      byInstant.get(key).push(config.scheduleId)
    }
    // A schedule that fires more often than the bound covers only part of the window.
    const truncated = upcoming.length === TIMELINE_PER_SCHEDULE
    schedules.push({ scheduleId: config.scheduleId, count: upcoming.length, until: iso(truncated ? upcoming[upcoming.length - 1] : to), truncated })
  }
  const all = [...byInstant.entries()].sort(([a], [b]) => (a < b ? -1 : 1))
  const fires = all.slice(0, TIMELINE_FIRES).map(([at, scheduleIds]) => ({ at, scheduleIds }))
  return { from: iso(from), to: iso(to), fires, truncated: all.length > TIMELINE_FIRES || schedules.some((s) => s.truncated), schedules }
}

function backfillPreview(integration, params) {
  const scheduleId = required(params, 'id')
  const config = configOf(integration, scheduleId)
  const from = dateParam(params, 'from')
  const to = dateParam(params, 'to')
  const runs = nextRuns(config.scheduleConfig.cronExpression, {
    from: new Date(from.getTime() - 1),
    timezone: config.scheduleConfig.timezone,
    count: PREVIEW_LIMIT + 1,
  }).filter((d) => d < to)
  return { occurrences: runs.slice(0, PREVIEW_LIMIT).map(iso), count: Math.min(runs.length, PREVIEW_LIMIT), truncated: runs.length > PREVIEW_LIMIT }
}

function guarded(read) {
  return (integration, params, settings) => {
    try {
      return read(integration, params, settings)
    } catch (err) {
      throw withStatus(err)
    }
  }
}

const READS = {
  overview: guarded(overview),
  schedule: guarded(schedule),
  executions: guarded(executions),
  timeline: guarded(timeline),
  'backfill-preview': guarded(backfillPreview),
}

module.exports = { READS, dstMark, inZone }
