// The dashboard handler through node:http, as an operator's browser and a hostile site would
// reach it: JSON views under a sub-path, actions, readOnly and authorize refusals enforced by
// the server, read-only by default, cross-site writes, unknown hosts (DNS rebinding),
// inherited names and redirects off the host refused.
const http = require('node:http')
const { WorkflowScheduleIntegration } = require('..')
const { dashboard } = require('../lib/dashboard')
const { dstMark } = require('../lib/dashboard/views.js')
const { config, controlled, tick } = require('./support')

let servers = []
let integrations = []
afterEach(async () => {
  for (const s of servers) await new Promise((resolve) => s.close(resolve))
  for (const it of integrations) await it.stop({ graceMs: 0 })
  servers = []
  integrations = []
})

/** A manual-clock integration with a little history, and its dashboard under /ops/tickflow. */
async function serve(options, { stripPrefix = false } = {}) {
  const { runs, executor } = controlled()
  const it = new WorkflowScheduleIntegration({ clock: 'manual', startTime: new Date('2026-03-07T12:00:00Z'), executor })
  integrations.push(it)
  await it.start()
  await it.createScheduledWorkflow(config('ny', '30 1 * * *', { scheduleConfig: { timezone: 'America/New_York' } }))
  await it.createScheduledWorkflow(config('fast', '*/10 * * * *'))
  await it.pauseSchedule('s-ny', 'maintenance')
  await it.advanceTime(10 * 60_000)
  runs[0].resolve('done')
  await tick()
  await it.advanceTime(10 * 60_000) // 12:20 runs, and is still running
  const handler = dashboard(it, options)
  const server = http.createServer((req, res) => {
    if (!req.url.startsWith('/ops/tickflow')) {
      res.statusCode = 404
      return res.end()
    }
    if (stripPrefix) {
      // What Express and Connect do when they mount a handler.
      req.originalUrl = req.url
      req.url = req.url.slice('/ops/tickflow'.length) || '/'
    }
    handler(req, res)
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  const base = `http://127.0.0.1:${server.address().port}/ops/tickflow/`
  const get = async (path, headers = {}) => {
    const r = await fetch(base + path, { headers, redirect: 'manual' })
    return { status: r.status, headers: r.headers, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() }
  }
  const post = async (action, body, headers = {}) => {
    const r = await fetch(`${base}api/actions/${action}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    return { status: r.status, body: await r.json() }
  }
  /** A request as written, Host and path included (fetch would normalize both). */
  const raw = (method, path, headers = {}, body) => new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port: server.address().port, method, path, headers: body ? { 'content-type': 'application/json', ...headers } : headers }, (response) => {
      let text = ''
      response.on('data', (d) => (text += d))
      response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, text, body: /json/.test(response.headers['content-type']) ? JSON.parse(text) : text }))
    })
    r.on('error', reject)
    r.end(body === undefined ? undefined : JSON.stringify(body))
  })
  return { it, runs, base, get, post, raw }
}

describe.each([
  ['node:http, the prefix left on the URL', false],
  ['Express/Connect, the prefix stripped', true],
])('mounted by %s', (_name, stripPrefix) => {
  test('the page and its files, at URLs relative to the mount; the root without its slash is redirected', async () => {
    const { get } = await serve({}, { stripPrefix })
    const page = await get('')
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
    expect(page.body).toMatch(/<html/i)
    // Relative URLs only: the page works under any sub-path and proxy.
    expect(page.body).not.toMatch(/(src|href)="\//)
    expect((await get('app.js')).status).toBe(200)
    expect((await get('app.css')).status).toBe(200)
    const r = await fetch(`${(await serve({}, { stripPrefix })).base.replace(/\/$/, '')}?tab=x`, { redirect: 'manual' })
    expect(r.status).toBe(301)
    // Relative, so that it also holds behind a proxy that strips a prefix.
    expect(r.headers.get('location')).toBe('./tickflow/?tab=x')
    expect(new URL(r.headers.get('location'), r.url).href).toMatch(/\/ops\/tickflow\/\?tab=x$/)
  })

  test('the views: overview, a schedule with DST-aware upcoming fires, executions, timeline, backfill preview', async () => {
    const { get } = await serve({ readOnly: false }, { stripPrefix })
    const overview = (await get('api/overview')).body
    expect(overview).toMatchObject({ state: 'running', readOnly: false, actions: { trigger: true, pause: true } })
    const fast = overview.schedules.find((s) => s.scheduleId === 's-fast')
    expect(fast).toMatchObject({ configId: 'fast', cron: '*/10 * * * *', description: 'Every 10 minutes', timezone: 'UTC', state: 'active' })
    expect(fast.recent.map((r) => r.status)).toEqual(['completed', 'running'])
    expect(fast.nextFires).toEqual(['2026-03-07T12:30:00.000Z', '2026-03-07T12:40:00.000Z', '2026-03-07T12:50:00.000Z'])
    const ny = overview.schedules.find((s) => s.scheduleId === 's-ny')
    expect(ny).toMatchObject({ state: 'paused', pauseNote: 'maintenance', last: null })

    const detail = (await get('api/schedule?id=s-fast')).body
    expect(detail.history.map((e) => e.status)).toEqual(['running', 'completed'])
    expect(detail.upcoming[0]).toEqual({ at: '2026-03-07T12:30:00.000Z', zoneTime: '2026-03-07 12:30:00', offset: '+00:00', dst: null })
    expect(detail.lateness.count).toBe(2)
    expect(detail.lateness.buckets.reduce((n, b) => n + b.count, 0)).toBe(2)
    expect((await get('api/schedule?id=nope')).status).toBe(404)
    expect((await get('api/schedule')).status).toBe(400)

    const executions = (await get('api/executions?scheduleId=s-fast&status=completed')).body
    expect(executions).toMatchObject({ total: 1, executions: [{ scheduleId: 's-fast', status: 'completed' }] })
    const timeline = (await get('api/timeline?hours=1')).body
    // The hour after 12:20; the paused schedule has no upcoming fires.
    expect(timeline.fires.map((f) => f.at.slice(11, 16))).toEqual(['12:30', '12:40', '12:50', '13:00', '13:10', '13:20'])
    expect(timeline.fires.every((f) => f.scheduleIds.join() === 's-fast')).toBe(true)
    expect(timeline.truncated).toBe(false)
    expect(timeline.schedules).toEqual(expect.arrayContaining([{ scheduleId: 's-fast', count: 6, until: timeline.to, truncated: false }]))
    const preview = (await get('api/backfill-preview?id=s-fast&from=2026-03-01T00:00:00Z&to=2026-03-01T00:30:00Z')).body
    expect(preview).toEqual({ occurrences: ['2026-03-01T00:00:00.000Z', '2026-03-01T00:10:00.000Z', '2026-03-01T00:20:00.000Z'], count: 3, truncated: false })
  })
})

test('upcoming fires are marked where daylight saving time repeats or skips wall-clock time', () => {
  // New York: 01:30 occurs twice on 2026-11-01; 03:00 comes right after the 2026-03-08 gap.
  expect(dstMark(new Date('2026-11-01T05:30:00Z'), 'America/New_York')).toBe('repeat')
  expect(dstMark(new Date('2026-11-01T06:30:00Z'), 'America/New_York')).toBe('repeat')
  expect(dstMark(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('gap')
  expect(dstMark(new Date('2026-03-09T06:30:00Z'), 'America/New_York')).toBeNull()
  expect(dstMark(new Date('2026-11-01T05:30:00Z'), 'UTC')).toBeNull()
})

test('actions: trigger (the cadence unmoved), pause with a note, resume, cancel, retry, backfill', async () => {
  const { it, runs, post } = await serve({ readOnly: false })
  const triggered = await post('trigger', { scheduleId: 's-fast' })
  expect(triggered.status).toBe(200)
  expect(await it.getExecution(triggered.body.executionId)).toMatchObject({ triggerType: 'manual' })
  expect(it.getNextExecutionTimes('s-fast', 1)[0].toISOString()).toBe('2026-03-07T12:30:00.000Z')
  expect((await post('pause', { scheduleId: 's-fast', note: 'deploy' })).status).toBe(200)
  expect(await it.getScheduleStatus('s-fast')).toMatchObject({ paused: true, pauseNote: 'deploy' })
  expect((await post('resume', { scheduleId: 's-fast' })).status).toBe(200)
  const running = (await it.listExecutions({ scheduleId: 's-fast', status: ['running'] }))[0]
  expect((await post('cancel', { executionId: running.id })).status).toBe(200)
  expect((await it.getExecution(running.id)).status).toBe('cancelled')
  const retried = await post('retry', { executionId: running.id })
  expect(retried.status).toBe(200)
  expect((await it.getExecution(retried.body.executionId)).retryOf).toBe(running.id)
  const backfilled = await post('backfill', { scheduleId: 's-fast', from: '2026-03-01T00:00:00Z', to: '2026-03-01T00:30:00Z' })
  expect(backfilled.body.executionIds).toHaveLength(3)
  // Errors say what kind they are.
  expect(await post('trigger', { scheduleId: 'missing' })).toMatchObject({ status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } })
  expect(await post('trigger', {})).toMatchObject({ status: 400, body: { error: { code: 'ERR_INVALID_ARG_TYPE' } } })
  expect(await post('backfill', { scheduleId: 's-fast', from: 'yesterday', to: '2026-03-01T00:30:00Z' })).toMatchObject({ status: 400, body: { error: { code: 'ERR_INVALID_DATE' } } })
  expect(await post('explode', {})).toMatchObject({ status: 404 })
  for (const r of runs) r.resolve('ok')
})

test('readOnly is enforced by the server, authorize may refuse, and other sites may not write', async () => {
  const ro = await serve({ readOnly: true })
  expect((await ro.get('api/overview')).body).toMatchObject({ readOnly: true, actions: { trigger: false, cancel: false } })
  expect(await ro.post('trigger', { scheduleId: 's-fast' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_READ_ONLY' } } })
  expect(await ro.it.listExecutions({ scheduleId: 's-fast' })).toHaveLength(2)

  const asked = []
  const guarded = await serve({ authorize: (req, action) => (asked.push(action), action === 'read' || req.headers['x-role'] === 'admin') })
  // The overview says which actions this request may take, asking authorize for each.
  expect((await guarded.get('api/overview')).body.actions).toEqual({ trigger: false, pause: false, resume: false, cancel: false, retry: false, backfill: false })
  expect((await guarded.get('api/overview', { 'x-role': 'admin' })).body.actions).toMatchObject({ trigger: true, pause: true })
  asked.length = 0
  expect(await guarded.post('pause', { scheduleId: 's-fast' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_FORBIDDEN' } } })
  expect((await guarded.post('pause', { scheduleId: 's-fast' }, { 'x-role': 'admin' })).status).toBe(200)
  expect(asked).toEqual(['pause', 'pause'])
  const denied = await serve({ authorize: async () => false })
  expect((await denied.get('api/overview')).status).toBe(403)
  expect((await denied.get('')).status).toBe(403)

  const open = await serve({ readOnly: false })
  expect(await open.post('trigger', { scheduleId: 's-fast' }, { origin: 'https://evil.example' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_CROSS_SITE' } } })
  expect(await open.post('trigger', { scheduleId: 's-fast' }, { 'sec-fetch-site': 'cross-site' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_CROSS_SITE' } } })
  expect((await open.post('trigger', { scheduleId: 's-fast' }, { 'sec-fetch-site': 'same-origin', origin: open.base.replace(/\/ops.*$/, '') })).status).toBe(200)
  // A form post (no JSON) is refused: a cross-site form cannot send application/json.
  const form = await fetch(`${open.base}api/actions/trigger`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'scheduleId=s-fast' })
  expect(form.status).toBe(415)
  expect((await fetch(`${open.base}api/overview`, { method: 'DELETE' })).status).toBe(405)
})

describe('safe by default', () => {
  test('without authorize it is read-only: the page offers no action and the server refuses them', async () => {
    const { it, get, post } = await serve()
    expect((await get('api/overview')).body).toMatchObject({ readOnly: true, actions: { trigger: false, pause: false, backfill: false } })
    expect(await post('trigger', { scheduleId: 's-fast' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_READ_ONLY' } } })
    expect(await it.listExecutions({ scheduleId: 's-fast' })).toHaveLength(2)
    // authorize opens actions to whom it allows; readOnly: false to anyone.
    const guarded = await serve({ authorize: (req) => req.headers['x-role'] === 'admin' })
    expect(await guarded.post('trigger', { scheduleId: 's-fast' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_FORBIDDEN' } } })
    expect((await guarded.post('trigger', { scheduleId: 's-fast' }, { 'x-role': 'admin' })).status).toBe(200)
    expect((await (await serve({ readOnly: false })).post('trigger', { scheduleId: 's-fast' })).status).toBe(200)
    expect(() => dashboard(it, { readOnly: 'no' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', path: 'options.readOnly' }))
  })

  test('DNS rebinding: a Host other than the one the page was served under is refused, reads and actions alike', async () => {
    const { it, raw } = await serve({ readOnly: false })
    const attacker = { host: 'rebind.attacker.example', origin: 'http://rebind.attacker.example', 'sec-fetch-site': 'same-origin' }
    // Before the page is served under a name, no name is known: a view under one is refused.
    expect(await raw('GET', '/ops/tickflow/api/overview', { host: 'ops.example.com' })).toMatchObject({ status: 403, body: { error: { code: 'ERR_HOST_NOT_ALLOWED' } } })
    expect((await raw('GET', '/ops/tickflow/', { host: 'ops.example.com' })).status).toBe(200)
    expect((await raw('GET', '/ops/tickflow/api/overview', { host: 'OPS.example.com:443' })).status).toBe(200)
    for (const [method, path, body] of [['GET', '/ops/tickflow/', undefined], ['GET', '/ops/tickflow/api/overview', undefined], ['POST', '/ops/tickflow/api/actions/trigger', { scheduleId: 's-fast' }]]) {
      expect(await raw(method, path, attacker, body)).toMatchObject({ status: 403, body: { error: { code: 'ERR_HOST_NOT_ALLOWED' } } })
    }
    expect(await it.listExecutions({ scheduleId: 's-fast' })).toHaveLength(2)
    // Loopback names and IP addresses cannot be rebound: always allowed.
    expect((await raw('GET', '/ops/tickflow/api/overview', { host: 'localhost' })).status).toBe(200)
    expect((await raw('GET', '/ops/tickflow/api/overview', { host: '[::1]:8080' })).status).toBe(200)
  })

  test('allowedHosts lists the names, with subdomains for a leading dot; true allows any', async () => {
    const listed = await serve({ readOnly: false, allowedHosts: ['.example.com'] })
    expect((await listed.raw('GET', '/ops/tickflow/api/overview', { host: 'ops.example.com' })).status).toBe(200)
    expect((await listed.raw('GET', '/ops/tickflow/api/overview', { host: 'example.com' })).status).toBe(200)
    // A list keeps no other name, even one the page was served under.
    expect((await listed.raw('GET', '/ops/tickflow/', { host: 'badexample.com' })).status).toBe(403)
    expect((await listed.raw('GET', '/ops/tickflow/api/overview', { host: 'badexample.com' })).status).toBe(403)
    const any = await serve({ allowedHosts: true })
    expect((await any.raw('GET', '/ops/tickflow/api/overview', { host: 'whatever.example' })).status).toBe(200)
    expect(() => dashboard(any.it, { allowedHosts: 'example.com' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE', path: 'options.allowedHosts' }))
  })

  test('only the views are views: inherited names (constructor) are not found', async () => {
    const { get } = await serve()
    for (const name of ['constructor', 'overview-x']) {
      const r = await get(`api/${name}`)
      expect(r).toMatchObject({ status: 404, body: { error: { code: 'ERR_NOT_FOUND' } } })
      expect(JSON.stringify(r.body)).not.toMatch(/function|native code|_engine/)
    }
  })

  test('no redirect leaves the host: /../..//evil.example and its variants stay here', async () => {
    const { raw } = await serve()
    for (const path of ['/ops/tickflow/../..//evil.example', '/ops/tickflow/..\\..\\\\evil.example', '/ops/tickflow/../../https:evil.example', '/ops/tickflow/..%2f..%2f%2fevil.example']) {
      const r = await raw('GET', path)
      expect(r.status).toBe(301)
      const from = `http://127.0.0.1:1234${path}`
      expect(new URL(r.headers.location, from).host).toBe('127.0.0.1:1234')
    }
  })

  test("authorize's exception goes to integration.error; the client is only refused", async () => {
    const secret = 'redis://:hunter2@cache.internal:6379'
    const { it, get, post } = await serve({ authorize: (req, action) => {
      if (action === 'read') return true
      throw new Error(`cannot reach ${secret}`)
    } })
    const reported = []
    it.on('integration.error', (e) => reported.push(e))
    const refused = await post('trigger', { scheduleId: 's-fast' })
    expect(refused).toMatchObject({ status: 403, body: { error: { code: 'ERR_FORBIDDEN' } } })
    expect(JSON.stringify(refused.body)).not.toMatch(/hunter2|redis/)
    expect(reported).toEqual([expect.objectContaining({ type: 'integration.error', code: 'ERR_DASHBOARD_AUTHORIZE', message: expect.stringContaining('hunter2') })])
    // The overview asks for each action: refused, each reported, nothing sent.
    const overview = await get('api/overview')
    expect(overview.body.actions).toMatchObject({ trigger: false, pause: false })
    expect(JSON.stringify(overview.body)).not.toMatch(/hunter2/)
    expect(reported.length).toBeGreaterThan(1)
  })
})
