'use strict'
// production-ccs's ScheduleFilters for ScheduleManager.listSchedules: each field given
// narrows the list (every one must match), then the list is sorted and paged.

const { codedError } = require('./json.js')
const { ScheduleState, ScheduleSortField } = require('./enums.js')

const STATES = new Set(Object.values(ScheduleState))
const SORT_FIELDS = new Set(Object.values(ScheduleSortField))
const STRINGS = ['workflowId', 'createdBy', 'category', 'environment', 'cronExpression', 'timezone', 'search']
const DATES = ['createdAfter', 'createdBefore', 'updatedAfter', 'updatedBefore']
const KNOWN = new Set(['enabled', 'status', 'priority', 'tags', 'limit', 'offset', 'sortBy', 'sortOrder', ...STRINGS, ...DATES])

function bad(Kind, code, field, message, value) {
  return codedError(Kind, code, `filters.${field}`, message, value)
}

/** A date filter as milliseconds: a Date or an ISO 8601 string. */
function toMs(value, field) {
  const ms = value instanceof Date ? value.getTime() : typeof value === 'string' ? Date.parse(value) : NaN
  if (!Number.isFinite(ms)) throw bad(TypeError, 'ERR_INVALID_DATE', field, 'expected a valid Date or ISO 8601 string', value)
  return ms
}

function checkArray(filters, field, check, expected) {
  const value = filters[field]
  if (value === undefined) return
  if (!Array.isArray(value) || !value.every(check)) throw bad(TypeError, 'ERR_INVALID_ARG_TYPE', field, `expected an array of ${expected}`, value)
}

function checkFilters(filters) {
  if (filters === null || typeof filters !== 'object' || Array.isArray(filters)) {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'filters', 'expected an object', filters)
  }
  for (const key of Object.keys(filters)) {
    if (!KNOWN.has(key)) throw bad(TypeError, 'ERR_UNKNOWN_OPTION', key, 'is not a ScheduleFilters field', filters[key])
  }
  if (filters.enabled !== undefined && typeof filters.enabled !== 'boolean') throw bad(TypeError, 'ERR_INVALID_ARG_TYPE', 'enabled', 'expected true or false', filters.enabled)
  for (const field of STRINGS) {
    if (filters[field] !== undefined && typeof filters[field] !== 'string') throw bad(TypeError, 'ERR_INVALID_ARG_TYPE', field, 'expected a string', filters[field])
  }
  for (const field of DATES) if (filters[field] !== undefined) toMs(filters[field], field)
  checkArray(filters, 'status', (s) => STATES.has(s), `ScheduleState values (${[...STATES].join(', ')})`)
  checkArray(filters, 'priority', (p) => typeof p === 'number', 'SchedulePriority numbers')
  checkArray(filters, 'tags', (t) => typeof t === 'string', 'strings')
  for (const field of ['limit', 'offset']) {
    const n = filters[field]
    if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw bad(RangeError, 'ERR_OUT_OF_RANGE', field, 'expected a whole number from 0', n)
  }
  if (filters.sortBy !== undefined && !SORT_FIELDS.has(filters.sortBy)) {
    throw bad(RangeError, 'ERR_INVALID_ARG_VALUE', 'sortBy', `expected one of ${[...SORT_FIELDS].join(', ')}`, filters.sortBy)
  }
  if (filters.sortOrder !== undefined && filters.sortOrder !== 'asc' && filters.sortOrder !== 'desc') {
    throw bad(RangeError, 'ERR_INVALID_ARG_VALUE', 'sortOrder', "expected 'asc' or 'desc'", filters.sortOrder)
  }
}

/** Whether the filters need each schedule's status (its state, last and next execution). */
function needsStatus(filters) {
  if (!filters) return false
  return filters.status !== undefined || ['status', 'lastExecution', 'nextExecution'].includes(filters.sortBy)
}

function matches({ definition: d, status }, f) {
  const meta = d.metadata || {}
  if (f.enabled !== undefined && d.enabled !== f.enabled) return false
  if (f.status && !f.status.includes(status.status)) return false
  if (f.priority && !f.priority.includes(meta.priority)) return false
  if (f.workflowId !== undefined && d.workflowId !== f.workflowId) return false
  if (f.createdBy !== undefined && d.createdBy !== f.createdBy) return false
  // Every tag listed must be on the schedule.
  if (f.tags && !f.tags.every((t) => (meta.tags || []).includes(t))) return false
  if (f.category !== undefined && meta.category !== f.category) return false
  if (f.environment !== undefined && meta.environment !== f.environment) return false
  if (f.cronExpression !== undefined && d.cronExpression !== f.cronExpression) return false
  if (f.timezone !== undefined && d.timezone !== f.timezone) return false
  const created = d.createdAt.getTime()
  const updated = d.updatedAt.getTime()
  // After and before are strict, as ExecutionFilters' executedAfter and executedBefore.
  if (f.createdAfter !== undefined && !(created > toMs(f.createdAfter))) return false
  if (f.createdBefore !== undefined && !(created < toMs(f.createdBefore))) return false
  if (f.updatedAfter !== undefined && !(updated > toMs(f.updatedAfter))) return false
  if (f.updatedBefore !== undefined && !(updated < toMs(f.updatedBefore))) return false
  if (f.search !== undefined) {
    // Case-insensitive, in the id, name, description, workflow id and tags.
    const needle = f.search.toLowerCase()
    const hay = [d.id, d.name, d.description, d.workflowId, ...(meta.tags || [])]
    if (!hay.some((h) => typeof h === 'string' && h.toLowerCase().includes(needle))) return false
  }
  return true
}

/** The sort key of a row, or undefined when it has none (those go last, either order). */
function sortKey({ definition: d, status }, field) {
  switch (field) {
    case 'name': return d.name
    case 'createdAt': return d.createdAt.getTime()
    case 'updatedAt': return d.updatedAt.getTime()
    case 'priority': return d.metadata && d.metadata.priority
    case 'status': return status.status
    case 'lastExecution': return status.lastExecution && status.lastExecution.getTime()
    case 'nextExecution': return status.nextExecution && status.nextExecution.getTime()
  }
}

/** The definitions that match, sorted (default: by createdAt, ascending), then paged. */
function filterAndSort(rows, f) {
  const field = f.sortBy || 'createdAt'
  const sign = f.sortOrder === 'desc' ? -1 : 1
  const kept = rows.filter((row) => matches(row, f)).map((row) => ({ row, key: sortKey(row, field) }))
  kept.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) return (a.key === undefined) - (b.key === undefined)
    const order = typeof a.key === 'string' ? a.key.localeCompare(b.key) : a.key - b.key
    return sign * order
  })
  const offset = f.offset || 0
  const end = f.limit === undefined ? undefined : offset + f.limit
  return kept.slice(offset, end).map(({ row }) => row.definition)
}

module.exports = { checkFilters, needsStatus, filterAndSort }
