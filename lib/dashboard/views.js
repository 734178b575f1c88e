'use strict'
// The dashboard's read views: plain JSON assembled from the integration's own reads.

const { describeCron, nextRuns } = require('../cron.js')
const { refusal, withStatus } = require('./errors.js')

const PAGE_SIZE = 50
const MAX_PAGE_SIZE = 500
const PREVIEW_LIMIT = 1000
const STATES = ['active', 'paused', 'disabled', 'expired']
const SORTS = ['id', 'nextFire']

const iso = (d) => (d instanceof Date ? d.toISOString() : d === undefined ? undefined : d)

function describe(cron) {
  try {
    return describeCron(cron)
  } catch {
    return ''
  }
}

/** A schedule's row as the engine reads it (off the JavaScript thread), or a 404. */
async function rowOf(integration, scheduleId) {
  const page = await integration._browse({ scheduleId, limit: 1 })
  if (!page.schedules.length) throw refusal(404, 'ERR_NOT_FOUND', `schedule '${scheduleId}' not found`)
  return withDescription(page.schedules[0])
}

function withDescription(row) {
  return { ...row, description: describe(row.cron) }
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

function optional(params, name) {
  const value = params.get(name)
  return value === null || value === '' ? undefined : value
}

function wholeParam(params, name, min, max, fallback) {
  const text = optional(params, name)
  if (text === undefined) return fallback
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw refusal(400, 'ERR_OUT_OF_RANGE', `${name}: expected a whole number from ${min} to ${max}, got '${text}'`)
  return n
}

function choiceParam(params, name, allowed) {
  const text = optional(params, name)
  if (text !== undefined && !allowed.includes(text)) throw refusal(400, 'ERR_INVALID_ARG_VALUE', `${name}: expected one of ${allowed.join(', ')}, got '${text}'`)
  return text
}

/**
 * A page of schedules: `search` (a part of the id, config id or name), `state`,
 * `nextAfter`/`nextBefore` (ISO: the next fire's window), `execution` (the schedule that ran
 * it), `sort` (id or nextFire), `offset`, `limit` (at most 500). The engine scans every
 * schedule off the JavaScript thread and counts them by state on the way.
 */
async function overview(integration, params, settings) {
  const query = {
    search: optional(params, 'search'),
    state: choiceParam(params, 'state', STATES),
    nextAfter: optional(params, 'nextAfter') && { $date: dateParam(params, 'nextAfter').getTime() },
    nextBefore: optional(params, 'nextBefore') && { $date: dateParam(params, 'nextBefore').getTime() },
    executionId: optional(params, 'execution'),
    sort: choiceParam(params, 'sort', SORTS),
    offset: wholeParam(params, 'offset', 0, 2 ** 32 - 1, 0),
    limit: wholeParam(params, 'limit', 1, MAX_PAGE_SIZE, PAGE_SIZE),
  }
  const page = await integration._browse(query)
  // Totals over every run, kept by the engine as they happen.
  const runs = await integration.getIntegrationMetrics()
  const nodes = await clusterNodes(integration)
  return {
    now: iso(integration.now()),
    state: integration.getState(),
    readOnly: settings.readOnly,
    actions: settings.allowed,
    system: {
      totalSchedules: page.total,
      activeSchedules: page.counts.active,
      pausedSchedules: page.counts.paused,
      disabledSchedules: page.counts.disabled,
      expiredSchedules: page.counts.expired,
      totalExecutions: runs.totalIntegrations,
      successfulExecutions: runs.successfulExecutions,
      failedExecutions: runs.failedExecutions,
    },
    page: { offset: page.offset, limit: page.limit, matching: page.matching },
    truncated: page.matching > page.offset + page.schedules.length,
    schedules: page.schedules.map(withDescription),
    cluster: nodes,
  }
}

/**
 * The nodes of the cluster on a PostgreSQL store, with their leases: null on another store;
 * `{ error }` when the database cannot be read now (the rest of the page still shows).
 */
async function clusterNodes(integration) {
  if (typeof integration.getClusterNodes !== 'function') return null
  try {
    const nodes = await integration.getClusterNodes()
    return {
      nodes: nodes.map((n) => ({
        nodeId: n.nodeId,
        token: n.token,
        alive: n.alive,
        self: n.self,
        startedAt: iso(n.startedAt),
        leaseUntil: iso(n.leaseUntil),
        leaseRemainingMs: n.leaseRemainingMs,
        lastRenewal: iso(n.lastRenewal),
        clockOffsetMs: n.clockOffsetMs,
      })),
    }
  } catch (err) {
    if (err && err.code === 'ERR_NOT_CLUSTER') return null
    return { error: { code: (err && err.code) || 'ERR_INTERNAL', message: String((err && err.message) || err) } }
  }
}

async function cluster(integration) {
  return { cluster: await clusterNodes(integration) }
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

async function schedule(integration, params) {
  const scheduleId = required(params, 'id')
  const row = await rowOf(integration, scheduleId)
  const zone = row.timezone
  return {
    schedule: row,
    config: integration.getScheduledWorkflow(row.configId),
    upcoming: integration.getNextExecutionTimes(scheduleId, 10).map((at) => ({ at: iso(at), ...inZone(at, zone), dst: dstMark(at, zone) })),
    history: (await integration.listExecutions({ scheduleId, limit: 50 })).map(executionJson),
    skipped: (await integration.getSkippedOccurrences(scheduleId)).slice(-50).reverse().map((s) => ({ scheduledTime: iso(s.scheduledTime), reason: s.reason, recordedAt: iso(s.recordedAt) })),
    // Read from the engine's own histogram, not from the whole exposition.
    lateness: integration._lateness(scheduleId),
  }
}

async function executions(integration, params) {
  const filters = {}
  const scheduleId = params.get('scheduleId')
  if (scheduleId) filters.scheduleId = scheduleId
  const status = params.get('status')
  if (status) filters.status = status.split(',').filter(Boolean)
  const limit = Math.min(Math.max(Number(params.get('limit')) || 50, 1), 500)
  const offset = Math.max(Number(params.get('offset')) || 0, 0)
  const all = await integration.listExecutions({ ...filters, limit: 10_000 })
  return { executions: all.slice(offset, offset + limit).map(executionJson), total: all.length }
}

/**
 * Every schedule's fires in the next `hours`, merged in time order by the engine off the
 * JavaScript thread: the first 2,000 fires are listed (`until` says how far they reach), and
 * collisions are the instants where schedules that fire at most hourly meet, largest first.
 */
async function timeline(integration, params) {
  const hours = Math.min(Math.max(Number(params.get('hours')) || 24, 1), 24 * 7)
  return await integration._timeline(hours)
}

async function backfillPreview(integration, params) {
  const scheduleId = required(params, 'id')
  const row = await rowOf(integration, scheduleId)
  const from = dateParam(params, 'from')
  const to = dateParam(params, 'to')
  const runs = nextRuns(row.cron, {
    from: new Date(from.getTime() - 1),
    timezone: row.timezone,
    count: PREVIEW_LIMIT + 1,
  }).filter((d) => d < to)
  return { occurrences: runs.slice(0, PREVIEW_LIMIT).map(iso), count: Math.min(runs.length, PREVIEW_LIMIT), truncated: runs.length > PREVIEW_LIMIT }
}

function guarded(read) {
  return async (integration, params, settings) => {
    try {
      return await read(integration, params, settings)
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
  cluster: guarded(cluster),
  'backfill-preview': guarded(backfillPreview),
}

module.exports = { READS, dstMark, inZone }
