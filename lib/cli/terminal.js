'use strict'
// The print boundary: everything the command writes goes through `guard(stream)`, which
// escapes control characters (a command's output, an HTTP answer or an error's text could
// otherwise move the cursor, retitle the terminal or forge lines) and hides the secrets the
// command knows of (passwords, environment values named by the schedules file). The
// command's own escape sequences (colours, clearing the screen) are written as markers
// that carry a per-process nonce, which text from outside cannot forge, and become escape
// sequences only here.

const crypto = require('node:crypto')

const MARK = `\u0000${crypto.randomBytes(8).toString('hex')}`
const MARKED = new RegExp(`${MARK}(\\[[0-9;]*[A-Za-z])`)
// C0 but line feed and tab, DEL, C1, line and paragraph separators, bidirectional overrides.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const secrets = new Set()

/** An escape sequence of the command's own: `sequence('[31m')` for red. */
const sequence = (csi) => `${MARK}${csi}`

/** The marker-free length of `text` (for aligning columns). */
const withoutSequences = (text) => String(text).split(new RegExp(`${MARK}\\[[0-9;]*[A-Za-z]`)).join('')

/** `value` is never printed: the boundary writes *** instead. Short values would hide
 * ordinary words, so they are left to the redaction where they are parsed. */
function hideSecret(value) {
  if (typeof value === 'string' && value.length >= 4) secrets.add(value)
}

const escape = (c) => {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
}

/** `text` as it may reach a terminal. */
function printable(text) {
  const parts = String(text).split(MARKED)
  let out = ''
  for (let i = 0; i < parts.length; i++) {
    if (i % 2 === 1) {
      out += `\x1b${parts[i]}`
      continue
    }
    let part = parts[i]
    for (const secret of secrets) part = part.split(secret).join('***')
    out += part.replace(CONTROL, escape)
  }
  return out
}

/** `stream`, its writes passed through `printable`. */
function guard(stream) {
  return new Proxy(stream, {
    get(target, name) {
      if (name === 'write') return (chunk, ...rest) => target.write(typeof chunk === 'string' ? printable(chunk) : chunk, ...rest)
      const value = target[name]
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

module.exports = { guard, printable, sequence, withoutSequences, hideSecret }
