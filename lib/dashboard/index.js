'use strict'
// The dashboard: `dashboard(integration, { readOnly, authorize, allowedHosts })` is a
// (req, res, next) handler for Express, Connect or node:http, mounted under any path. The
// page (public/) uses relative URLs only, so its base path is wherever the request came
// from; the JSON API below is read from the integration at each request. Safe by default:
// without `authorize` it is read-only unless `readOnly: false` says otherwise; a request
// whose Host is not allowed is refused (DNS rebinding); a state-changing request from
// another site is refused. All of it is enforced here, on the server.

const fs = require('node:fs')
const path = require('node:path')
const { codedError } = require('../json.js')
const views = require('./views.js')
const { refusal, withStatus } = require('./errors.js')
const { hostCheck } = require('./hosts.js')

const PUBLIC = path.join(__dirname, 'public')
const ASSETS = {
  '': { file: 'index.html', type: 'text/html; charset=utf-8' },
  'app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  'app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
}
const ACTIONS = ['trigger', 'pause', 'resume', 'cancel', 'retry', 'backfill']
const MAX_BODY = 64 * 1024
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
}
const PAGE_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

function dashboard(integration, options = {}) {
  if (!integration || typeof integration.getScheduledWorkflows !== 'function') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'integration', 'expected a WorkflowScheduleIntegration', integration)
  }
  if (options === null || typeof options !== 'object') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options', 'expected an object', options)
  const { authorize, readOnly = authorize === undefined, allowedHosts } = options
  if (typeof readOnly !== 'boolean') throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.readOnly', 'expected true or false', readOnly)
  if (authorize !== undefined && typeof authorize !== 'function') {
    throw codedError(TypeError, 'ERR_INVALID_ARG_TYPE', 'options.authorize', 'expected a function (req, action) => boolean | Promise<boolean>', authorize)
  }
  const settings = { readOnly, authorize, integration, allowsHost: hostCheck(allowedHosts) }

  return function tickflowDashboard(req, res, next) {
    handle(integration, settings, req, res).catch((err) => {
      if (res.headersSent) return res.end()
      if (typeof next === 'function' && !(err && err.status)) return next(err)
      send(res, (err && err.status) || 500, { error: { code: (err && err.code) || 'ERR_INTERNAL', message: String((err && err.message) || err) } })
    })
  }
}

async function handle(integration, settings, req, res) {
  const url = new URL(req.url || '/', 'http://dashboard.invalid')
  const route = routeOf(url.pathname)
  if (!settings.allowsHost(req.headers.host, route !== null && route.kind === 'asset' && route.name === '')) {
    throw refusal(403, 'ERR_HOST_NOT_ALLOWED', `the host '${req.headers.host}' is not allowed here; list it in the dashboard's allowedHosts`)
  }
  // The mount root without its slash (seen stripped, as '/', by Express): relative URLs need
  // the slash, so the browser is sent there, by a relative Location: an absolute path could
  // leave this host ('//evil.example/') or miss a prefix a proxy stripped.
  const original = new URL(req.originalUrl || req.url || '/', 'http://dashboard.invalid')
  if (route === null || (route.kind === 'asset' && route.name === '' && !original.pathname.endsWith('/'))) {
    const last = original.pathname.slice(original.pathname.lastIndexOf('/') + 1)
    res.statusCode = 301
    res.setHeader('Location', `./${last}/${original.search}`)
    return res.end()
  }
  if (route.kind === 'asset') {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw refusal(405, 'ERR_METHOD', `${req.method} is not allowed here`)
    await authorized(settings, req, 'read')
    const asset = ASSETS[route.name]
    asset.body = asset.body || fs.readFileSync(path.join(PUBLIC, asset.file))
    const body = asset.body
    res.statusCode = 200
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
    res.setHeader('Content-Type', asset.type)
    res.setHeader('Content-Security-Policy', PAGE_POLICY)
    res.setHeader('Cache-Control', 'no-cache')
    return res.end(req.method === 'HEAD' ? undefined : body)
  }
  if (route.kind === 'action') {
    if (req.method !== 'POST') throw refusal(405, 'ERR_METHOD', 'actions are POST requests')
    if (!ACTIONS.includes(route.name)) throw refusal(404, 'ERR_NOT_FOUND', `no action '${route.name}'`)
    sameSite(req)
    if (settings.readOnly) throw refusal(403, 'ERR_READ_ONLY', 'this dashboard is read-only')
    await authorized(settings, req, route.name)
    const body = await jsonBody(req)
    return send(res, 200, await act(integration, route.name, body))
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') throw refusal(405, 'ERR_METHOD', `${req.method} is not allowed here`)
  await authorized(settings, req, 'read')
  // Own keys only: 'constructor' or '__proto__' is no view.
  const read = Object.hasOwn(views.READS, route.name) ? views.READS[route.name] : undefined
  if (!read) throw refusal(404, 'ERR_NOT_FOUND', `no view '${route.name}'`)
  // Which actions this request may take, so that the page offers only those.
  const allowed = {}
  for (const action of ACTIONS) allowed[action] = !settings.readOnly && (await permits(settings, req, action))
  return send(res, 200, await read(integration, url.searchParams, { ...settings, allowed }))
}

async function permits(settings, req, action) {
  if (!settings.authorize) return true
  try {
    return (await settings.authorize(req, action)) === true
  } catch (err) {
    authorizeFailed(settings, action, err)
    return false
  }
}

/** An exception from `authorize` is the operator's to see (it may quote a secret), through
 * `integration.error`; the client is only refused. */
function authorizeFailed(settings, action, err) {
  const event = {
    type: 'integration.error',
    code: 'ERR_DASHBOARD_AUTHORIZE',
    message: `the dashboard's authorize threw for '${action}': ${err && err.message ? err.message : String(err)}`,
    timestamp: new Date(),
  }
  const integration = settings.integration
  if (typeof integration._deliver === 'function') return integration._deliver(event)
  if (typeof integration.emit !== 'function') return
  integration.emit(event.type, event)
  integration.emit('event', event)
}

/** What the path's last part names: the page and its files, a view, an action; null: the
 * mount root without a trailing slash. Matching the end lets the handler sit under any
 * prefix, stripped (Express, Connect) or not (node:http). */
function routeOf(pathname) {
  let m = /\/api\/actions\/([a-z-]+)$/.exec(pathname)
  if (m) return { kind: 'action', name: m[1] }
  m = /\/api\/([a-z-]+)$/.exec(pathname)
  if (m) return { kind: 'view', name: m[1] }
  m = /\/(app\.js|app\.css)$/.exec(pathname)
  if (m) return { kind: 'asset', name: m[1] }
  if (pathname.endsWith('/')) return { kind: 'asset', name: '' }
  return null
}

async function authorized(settings, req, action) {
  if (!settings.authorize) return
  let allowed
  try {
    allowed = await settings.authorize(req, action)
  } catch (err) {
    authorizeFailed(settings, action, err)
    throw refusal(403, 'ERR_FORBIDDEN', `'${action}' is not allowed for this request`)
  }
  if (allowed !== true) throw refusal(403, 'ERR_FORBIDDEN', `'${action}' is not allowed for this request`)
}

/** A state-changing request must come from this page: Sec-Fetch-Site, else Origin. */
function sameSite(req) {
  const site = req.headers['sec-fetch-site']
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw refusal(403, 'ERR_CROSS_SITE', `a '${site}' request may not change anything`)
  }
  const origin = req.headers.origin
  if (origin !== undefined && origin !== 'null') {
    let host
    try {
      host = new URL(origin).host
    } catch {
      throw refusal(403, 'ERR_CROSS_SITE', `unreadable Origin '${origin}'`)
    }
    const hosts = [req.headers.host, req.headers['x-forwarded-host']].filter(Boolean).flatMap((h) => String(h).split(',').map((x) => x.trim()))
    if (!hosts.includes(host)) throw refusal(403, 'ERR_CROSS_SITE', `a request from ${origin} may not change anything here`)
  } else if (origin === 'null') {
    throw refusal(403, 'ERR_CROSS_SITE', 'a request from an opaque origin may not change anything')
  }
}

async function jsonBody(req) {
  const type = String(req.headers['content-type'] || '')
  if (!/^application\/json\b/i.test(type)) throw refusal(415, 'ERR_CONTENT_TYPE', 'send the action as application/json')
  if (req.body !== undefined && req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) return req.body
  const chunks = []
  let size = 0
  for await (const chunk of req) {
    size += chunk.length
    if (size > MAX_BODY) throw refusal(413, 'ERR_TOO_LARGE', `the body is larger than ${MAX_BODY} bytes`)
    chunks.push(chunk)
  }
  const text = Buffer.concat(chunks).toString('utf8') || '{}'
  try {
    const body = JSON.parse(text)
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new Error('not an object')
    return body
  } catch (err) {
    throw refusal(400, 'ERR_INVALID_JSON', `the body is not a JSON object: ${err.message}`)
  }
}

async function act(integration, action, body) {
  const date = (v, field) => {
    const d = new Date(v)
    if (typeof v !== 'string' || Number.isNaN(d.getTime())) throw refusal(400, 'ERR_INVALID_DATE', `${field}: expected an ISO date, got ${JSON.stringify(v)}`)
    return d
  }
  try {
    switch (action) {
      case 'trigger':
        return { executionId: await integration.triggerScheduledExecution(body.scheduleId, { source: 'dashboard' }) }
      case 'pause':
        await integration.pauseSchedule(body.scheduleId, body.note === undefined || body.note === '' ? undefined : body.note)
        return {}
      case 'resume':
        await integration.resumeSchedule(body.scheduleId)
        return {}
      case 'cancel':
        await integration.cancelScheduledExecution(body.executionId)
        return {}
      case 'retry':
        return { executionId: await integration.retryExecution(body.executionId) }
      case 'backfill':
        return { executionIds: await integration.backfill(body.scheduleId, date(body.from, 'from'), date(body.to, 'to')) }
    }
  } catch (err) {
    throw withStatus(err)
  }
  return {}
}

function send(res, status, body) {
  res.statusCode = status
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
  res.setHeader('Content-Type', 'application/json; charset=utf-8')
  res.setHeader('Cache-Control', 'no-store')
  res.end(JSON.stringify(body))
}

module.exports = { dashboard }
