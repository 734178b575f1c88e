'use strict'
// `${NAME}` in a schedules file's action (URL, headers, command, env): the environment
// variable NAME, read each time the action runs. The file's text, with `${NAME}` in it, is
// what the store, the events and the messages hold; the value is only ever sent. `$${`
// writes a literal `${`. Also finds credentials written inline in a URL, to warn about
// them and show the URL without them.

const TOKEN = /\$\$\{|\$\{([^}]*)(\}?)/g
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/
const MISFORMED = "'${' starts a variable: write ${NAME} (letters, digits and _), or $${ for a literal '${'"

/** The variables `text` names, or `{ problem }` when a `${` is not one. */
function variablesIn(text) {
  const names = []
  for (const m of text.matchAll(TOKEN)) {
    if (m[0] === '$${') continue
    if (!m[2] || !NAME.test(m[1])) return { names, problem: MISFORMED }
    names.push(m[1])
  }
  return { names, problem: null }
}

/** `text` with each `${NAME}` replaced by its value in `env`; `used` collects
 * `{ name, value }`. An unset variable throws (validation should have caught it). */
function substitute(text, env, used) {
  return text.replace(TOKEN, (whole, name) => {
    if (whole === '$${') return '${'
    const value = env[name]
    if (value === undefined) throw Object.assign(new Error(`\${${name}} is not set in the environment`), { code: 'ERR_ENV_UNSET' })
    used.push({ name, value })
    return value
  })
}

/** The fields of a file entry that may name variables, as `[path, text]` (path after the entry's). */
function templatedFields(s) {
  const fields = []
  const strings = (value) => typeof value === 'string'
  if (Array.isArray(s.command)) s.command.forEach((arg, i) => strings(arg) && fields.push([`command[${i}]`, arg]))
  if (isObject(s.env)) for (const [k, v] of Object.entries(s.env)) if (strings(v)) fields.push([`env.${k}`, v])
  if (isObject(s.http)) {
    if (strings(s.http.url)) fields.push(['http.url', s.http.url])
    if (isObject(s.http.headers)) for (const [k, v] of Object.entries(s.http.headers)) if (strings(v)) fields.push([`http.headers.${k}`, v])
  }
  return fields
}

/** Every misformed `${` and every variable `env` does not set, as file problems. */
function checkVariables(s, at, env, errors) {
  for (const [field, text] of templatedFields(s)) {
    const { names, problem } = variablesIn(text)
    if (problem) errors.push({ path: at(field), message: problem, code: 'ERR_INVALID_OPTION_VALUE' })
    for (const name of new Set(names)) {
      if (env[name] === undefined) errors.push({ path: at(field), message: `\${${name}} is not set in the environment`, code: 'ERR_ENV_UNSET' })
    }
  }
}

/** An action with its variables read from `env` now, and what was read. */
function resolveAction(action, env) {
  const used = []
  const sub = (text) => substitute(text, env, used)
  const map = (obj) => obj && Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, sub(v)]))
  const resolved = action.type === 'command'
    ? { ...action, argv: action.argv.map(sub), env: map(action.env) }
    : { ...action, url: sub(action.url), headers: map(action.headers), shownUrl: withoutCredentials(action.url) }
  return { action: resolved, used }
}

// Query parameters that usually carry a secret.
const SECRET_PARAM = /pass|secret|token|key|sig|auth|credential|session/i
const hasVariable = (text) => variablesIn(text).names.length > 0

/** `url` with the credentials written inline in it (not named as variables) as ***, and
 * what they were: `{ shown, found: [{ what, value }] }`. */
function inlineCredentials(url) {
  const found = []
  let shown = url
  const authority = /^([a-z][\w+.-]*:\/\/)([^/?#]*)/i.exec(url)
  const at = authority ? authority[2].lastIndexOf('@') : -1
  if (at > 0 && !hasVariable(authority[2].slice(0, at))) {
    found.push({ what: 'the user and password', value: authority[2].slice(0, at) })
    shown = `${authority[1]}***${url.slice(authority[1].length + at)}`
  }
  const q = shown.indexOf('?')
  if (q < 0) return { shown, found }
  const hash = shown.indexOf('#', q)
  const end = hash < 0 ? shown.length : hash
  const params = shown.slice(q + 1, end).split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const value = pair.slice(eq + 1)
    if (eq <= 0 || !value || !SECRET_PARAM.test(pair.slice(0, eq)) || hasVariable(value)) return pair
    found.push({ what: `query parameter '${pair.slice(0, eq)}'`, value })
    return `${pair.slice(0, eq)}=***`
  })
  return { shown: `${shown.slice(0, q + 1)}${params.join('&')}${shown.slice(end)}`, found }
}

/** `url` as it may be shown or stored: inline credentials as ***. */
const withoutCredentials = (url) => (typeof url === 'string' ? inlineCredentials(url).shown : url)

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)

module.exports = { variablesIn, checkVariables, resolveAction, inlineCredentials, withoutCredentials, templatedFields }
