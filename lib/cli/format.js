'use strict'
// Output helpers: colour (only on a TTY, and never with NO_COLOR), tables, durations and
// times.

const { sequence, withoutSequences } = require('./terminal.js')

const CODES = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36 }

/** Colour functions for `stream`; each is the identity when colour is off. */
function colours(stream = process.stdout) {
  const on = Boolean(stream.isTTY) && !process.env.NO_COLOR
  const paint = {}
  for (const [name, code] of Object.entries(CODES)) {
    paint[name] = on ? (text) => `${sequence(`[${code}m`)}${text}${sequence('[0m')}` : (text) => String(text)
  }
  return paint
}

const visibleLength = (text) => withoutSequences(text).length

/**
 * Lays out rows under headers; `right` lists the column indexes to align right (numbers).
 * Returns the lines, without a trailing newline.
 */
function table(headers, rows, { right = [], paint = colours() } = {}) {
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i]))))
  const cell = (text, i) => {
    const pad = ' '.repeat(widths[i] - visibleLength(text))
    return right.includes(i) ? pad + text : text + pad
  }
  const line = (cells) => cells.map(cell).join('  ').trimEnd()
  return [paint.bold(line(headers)), ...rows.map(line)].join('\n')
}

/** 52ms, 1.2s, 3m 12s, 3h 12m, 2d 4h. */
function formatDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-'
  if (Math.round(ms) < 1000) return `${Math.round(ms)}ms`
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return twoUnits(s, 60, 'm', 's')
  if (s < 86_400) return twoUnits(Math.round(s / 60), 60, 'h', 'm')
  return twoUnits(Math.round(s / 3600), 24, 'd', 'h')
}

/** 200 minutes → '3h 20m'; the smaller unit is left out when it is 0. */
function twoUnits(amount, per, big, small) {
  const rest = amount % per
  return rest === 0 ? `${Math.floor(amount / per)}${big}` : `${Math.floor(amount / per)}${big} ${rest}${small}`
}

/** 'in 3h 12m', '5m ago', 'now' (whole seconds). */
function formatRelative(date, now) {
  const diff = date.getTime() - now.getTime()
  const seconds = Math.round(Math.abs(diff) / 1000)
  if (seconds === 0) return 'now'
  const text = seconds < 60 ? `${seconds}s` : formatDuration(seconds * 1000)
  return diff > 0 ? `in ${text}` : `${text} ago`
}

const localFormats = new Map()

/** '2026-01-05 09:00:00 Mon +01:00' in the IANA zone, or null if Intl does not know it. */
function formatLocal(date, timeZone) {
  let format = localFormats.get(timeZone)
  if (format === undefined) {
    try {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit',
        hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'longOffset',
      })
    } catch {
      format = null
    }
    localFormats.set(timeZone, format)
  }
  if (format === null) return null
  const p = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]))
  const offset = p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.replace('GMT', '')
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second} ${p.weekday} ${offset}`
}

/** '2026-01-05 08:00:00Z'. */
function formatUtc(date) {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`
}

/** 'HH:MM:SS.mmm' on the machine's clock, for the live log. */
function clockTime(date) {
  const two = (n) => String(n).padStart(2, '0')
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`
}

/** The first line of `text`, cut to `max` characters. */
function oneLine(text, max = 80) {
  const first = String(text).split('\n', 1)[0]
  return first.length > max ? `${first.slice(0, max - 1)}…` : first
}

const percent = (share) => (Number.isFinite(share) ? `${Math.round(share)}%` : '-')

module.exports = { colours, table, formatDuration, formatRelative, formatLocal, formatUtc, clockTime, oneLine, percent }
