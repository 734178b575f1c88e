'use strict'
// PostgreSQL connection strings without their passwords, for everything the command prints.
// Parsed as libpq reads them: a URL (postgres://user:password@host/db?password=…) or
// keyword/value pairs (host=h password='a b'). A string that is neither well-formed URL nor
// clean keywords (a typo echoed in a usage error) is cut generously: what may be a password
// goes, whatever else goes with it.

const HIDDEN = '***'

/** Whether a parameter's name (percent-decoded, as libpq decodes it) names a secret. */
const isSecret = (name) => /pass/i.test(decode(name))

function decode(text) {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** `text` with every password in it replaced by ***; `found` collects what was hidden. */
function redact(text, found = []) {
  text = String(text)
  const hide = (secret) => (found.push(secret), HIDDEN)
  if (/^\s*[^\s=:/@]+\s*=/.test(text)) return redactKeywords(text, hide)
  // A URL, or what was meant to be one (postgres:/…, postgress://…, postgres//…).
  const scheme = /^[a-z][\w+.-]*:\/+/i.exec(text)
  return redactUrl(text, scheme ? scheme[0].length : 0, hide)
}

/** The passwords in `text`, as written and as decoded, for the output to hide wherever
 * they turn up (an error that quotes the server, say). */
function secretsIn(text) {
  const found = []
  redact(text, found)
  return [...new Set(found.flatMap((s) => [s, decode(s), s.replace(/^'|'$/g, '').replace(/\\(.)/g, '$1')]))].filter(Boolean)
}

function redactUrl(text, start, hide) {
  const rest = text.slice(start)
  // The user part ends at the last '@' before the parameters; a password may hold an
  // unencoded '/', '@' or '?' (libpq then misreads it, and the typo is echoed back).
  const query = rest.indexOf('?')
  let at = rest.lastIndexOf('@', query < 0 ? rest.length : query)
  if (at < 0) at = rest.lastIndexOf('@')
  let out = text.slice(0, start)
  let tail = rest
  if (at >= 0) {
    const user = rest.slice(0, at)
    const colon = user.indexOf(':')
    out += colon >= 0 && colon < user.length - 1 ? `${user.slice(0, colon)}:${hide(user.slice(colon + 1))}@` : `${user}@`
    tail = rest.slice(at + 1)
  } else {
    // No '@': a 'user:password' whose '@' was forgotten reads as host:port; a port is digits.
    const host = /^[^/?]*/.exec(rest)[0]
    const colon = host.indexOf(':')
    if (colon >= 0 && !/[[,]/.test(host) && !/^\d*$/.test(host.slice(colon + 1))) {
      out += `${host.slice(0, colon)}:${hide(host.slice(colon + 1))}`
      tail = rest.slice(host.length)
    }
  }
  const q = tail.indexOf('?')
  if (q < 0) return out + tail
  const params = tail.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=')
    return eq >= 0 && isSecret(pair.slice(0, eq)) ? `${pair.slice(0, eq)}=${hide(pair.slice(eq + 1))}` : pair
  })
  return `${out}${tail.slice(0, q + 1)}${params.join('&')}`
}

/** libpq's `keyword = value` pairs; a value is a word or single-quoted, with \ escapes. */
function redactKeywords(text, hide) {
  let out = ''
  let i = 0
  while (i < text.length) {
    const pair = /^(\s*)([^\s=]+)(\s*=\s*)/.exec(text.slice(i))
    if (!pair) {
      // Not a pair: copy up to the next space and go on.
      const word = /^\s*\S*/.exec(text.slice(i))[0] || text.slice(i)
      out += word
      i += word.length
      continue
    }
    i += pair[0].length
    const end = valueEnd(text, i)
    out += pair[1] + pair[2] + pair[3] + (isSecret(pair[2]) ? hide(text.slice(i, end)) : text.slice(i, end))
    i = end
  }
  return out
}

/** Where the value starting at `i` ends: its closing quote (or the end), else a space. */
function valueEnd(text, i) {
  const quoted = text[i] === "'"
  let j = quoted ? i + 1 : i
  while (j < text.length) {
    if (text[j] === '\\') j += 2
    else if (quoted ? text[j] === "'" : /\s/.test(text[j])) return quoted ? j + 1 : j
    else j++
  }
  return text.length
}

module.exports = { redact, secretsIn }
