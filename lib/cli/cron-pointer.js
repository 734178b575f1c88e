'use strict'
// Points at the part of a cron pattern that an error message names, so `tickflow next` can
// underline it:
//   0 0 32 * 8
//       ^^      day-of-month: '32' is out of range 1-31

const FIELDS = {
  5: ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'],
  6: ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week'],
  7: ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week', 'year'],
}

/** `{ column, length }` (0-based) of the token `message` is about, or null. */
function locate(pattern, message) {
  const said = /^([a-z-]+): '([^']*)'/.exec(message)
  if (!said) return null
  const [, field, token] = said
  const fields = [...pattern.matchAll(/\S+/g)]
  const index = (FIELDS[fields.length] || []).indexOf(field)
  if (index === -1) return null
  const { 0: text, index: start } = fields[index]
  const within = text.toUpperCase().indexOf(token.toUpperCase())
  return within === -1 ? { column: start, length: text.length } : { column: start + within, length: token.length }
}

/** The pattern, then one line per error with a caret under its token where one is found. */
function pointAtErrors(pattern, errors, paint, indent = '  ') {
  const lines = [`${indent}${pattern}`]
  for (const message of errors) {
    const at = locate(pattern, message)
    if (at === null) {
      lines.push(`${indent}${paint.red(message)}`)
      continue
    }
    const marks = ' '.repeat(at.column) + '^'.repeat(Math.max(at.length, 1))
    lines.push(`${indent}${paint.red(marks.padEnd(pattern.length + 2))}${message}`)
  }
  return lines.join('\n')
}

module.exports = { locate, pointAtErrors }
