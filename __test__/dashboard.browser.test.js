// The dashboard page in a real browser: Debian's Chromium driven by puppeteer-core, against a
// running integration on the system clock, served by node:http under a sub-path. Once with
// req.url left as it came (/ops/tickflow/…: the handler finds its routes at the end of the
// path) and once with the prefix stripped and readOnly (/ro/…). Never skipped: without
// /usr/bin/chromium the launch fails (.ci/run installs it).

const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const puppeteer = require('puppeteer-core')
const { WorkflowScheduleIntegration } = require('..')
const { dashboard } = require('../lib/dashboard')

jest.setTimeout(60_000)

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

let integration
let server
let browser
let origin
let profileDir
let shotDir

beforeAll(async () => {
  integration = new WorkflowScheduleIntegration({ defaultTimezone: 'UTC' })
  await integration.initialize()
  await integration.start()
  await integration.schedule('ticker', '*/2 * * * * *', { name: 'Ticker', timezone: 'Europe/Berlin' }, async () => {
    await sleep(20)
    return { ok: true }
  })
  await integration.schedule('flaky', '*/3 * * * * *', { name: 'Flaky export', timezone: 'America/New_York', retries: { maxAttempts: 2, delayMs: 100 } }, async () => {
    const err = new Error('upstream is down')
    err.code = 'UPSTREAM_DOWN'
    throw err
  })
  await integration.schedule('nightly', '0 30 2 * * *', { name: 'Nightly backup', timezone: 'Europe/London' }, async () => 'done')
  await integration.pauseSchedule('nightly', 'maintenance window')
  // Every Sunday of March and October at 02:30 in Berlin: any 10 upcoming fires hold a last
  // Sunday of March (02:30 does not exist: a gap) and of October (02:30 happens twice).
  // Runs until cancelled (once a year otherwise).
  await integration.schedule('slow', '0 0 0 1 1 *', { name: 'Slow job' }, ({ signal }) => new Promise((resolve) => {
    const timer = setTimeout(resolve, 30_000)
    signal.addEventListener('abort', () => {
      clearTimeout(timer)
      resolve()
    })
  }))
  await integration.schedule('doomed', '0 0 0 1 1 *', async () => undefined)
  await integration.schedule('dst-sundays', '0 30 2 * 3,10 0', { timezone: 'Europe/Berlin' }, async () => undefined)

  const handler = dashboard(integration, { readOnly: false })
  const readOnly = dashboard(integration, { readOnly: true })
  const notFound = (res) => () => {
    res.statusCode = 404
    res.end()
  }
  server = http.createServer((req, res) => {
    // As it came: the handler serves under any prefix.
    if (req.url.startsWith('/ops/tickflow')) return handler(req, res, notFound(res))
    // Stripped, as Express does (which keeps the full path in req.originalUrl).
    if (req.url.startsWith('/ro')) {
      req.originalUrl = req.url
      req.url = req.url.slice('/ro'.length) || '/'
      return readOnly(req, res, notFound(res))
    }
    notFound(res)()
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${server.address().port}`

  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-chromium-'))
  shotDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-dashboard-'))
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      `--user-data-dir=${profileDir}`,
    ],
  })
})

afterAll(async () => {
  if (browser) await browser.close()
  if (server) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  if (integration) await integration.stop({ graceMs: 1000 })
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true })
})

/** A page whose console errors, page errors, failed requests and HTTP errors are collected;
 * `expect(url)` lets a response the test provokes through. */
async function openPage() {
  const page = await browser.newPage()
  page.setDefaultTimeout(20_000)
  await page.setViewport({ width: 1280, height: 900 })
  const problems = []
  const requests = []
  const provoked = []
  const isProvoked = (url) => provoked.some((part) => url.includes(part))
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return
    const url = (msg.location() && msg.location().url) || ''
    if (/Failed to load resource/.test(msg.text()) && isProvoked(url)) return
    problems.push(`console error: ${msg.text()} ${url}`)
  })
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
  page.on('request', (req) => {
    if (!req.url().startsWith('data:')) requests.push(req.url())
  })
  page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure() && req.failure().errorText}`))
  page.on('response', (res) => {
    if (res.status() >= 400 && !isProvoked(res.url())) problems.push(`HTTP ${res.status()}: ${res.url()}`)
  })
  return { page, problems, requests, expect: (part) => provoked.push(part) }
}

/** Clicks the first element matching `selector` once it is there and enabled; the page
 * re-renders every poll, so the lookup and the click happen in one go. */
async function clickWhenReady(page, selector) {
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel)
    if (!el || el.disabled) return false
    el.click()
    return true
  }, {}, selector)
}

const textOf = (page, selector) => page.$eval(selector, (el) => el.textContent)
const row = (id) => `#schedules-body tr[data-schedule-id="${id}"]`

test('the page lists the schedules, runs actions, shows a schedule and its history', async () => {
  const { page, problems, requests, expect: provoke } = await openPage()
  await page.goto(`${origin}/ops/tickflow/`, { waitUntil: 'load' })

  // The schedules, with pattern, zone, state and the paused one's note.
  for (const id of ['ticker', 'flaky', 'nightly', 'dst-sundays']) await page.waitForSelector(`${row(id)} a.name`)
  const ids = await page.$$eval('#schedules-body tr[data-schedule-id] a.name', (as) => as.map((a) => a.textContent))
  expect(ids).toEqual(['doomed', 'dst-sundays', 'flaky', 'nightly', 'slow', 'ticker'])
  expect(await textOf(page, row('ticker'))).toContain('*/2 * * * * *')
  expect(await textOf(page, row('ticker'))).toContain('Europe/Berlin')
  expect(await textOf(page, row('nightly'))).toMatch(/paused[\s\S]*maintenance window/)
  expect(await textOf(page, row('ticker'))).toContain('UTC')
  expect(await textOf(page, '#integration-state')).toContain('running')

  // Live: runs appear in the strips without a reload (green for ticker, red for flaky).
  await page.waitForSelector(`${row('ticker')} .strip .cell.s-completed`)
  await page.waitForSelector(`${row('flaky')} .strip .cell.s-failed`)
  await page.waitForSelector('#timeline .lane-track .mark')

  // Trigger now: the answer names the execution, which shows up in the strip, completed.
  await clickWhenReady(page, `${row('nightly')} button[data-action="trigger"]`)
  const executionId = await (await page.waitForFunction(() => {
    const msg = [...document.querySelectorAll('#messages .msg.ok')].find((m) => m.textContent.includes('Triggered nightly'))
    return msg && msg.dataset.executionId
  })).jsonValue()
  expect(executionId).toMatch(/\S/)
  await page.waitForSelector(`${row('nightly')} .strip .cell.s-completed[data-execution-id="${executionId}"]`)

  // …and in the executions view, filtered by schedule, as a manual run.
  await page.click('a[data-nav="executions"]')
  await page.waitForSelector('#view-executions:not([hidden])')
  await page.select('#filter-schedule', 'nightly')
  await page.waitForFunction(() => location.hash.includes('scheduleId=nightly'))
  const execRow = `#executions-body tr[data-execution-id="${executionId}"]`
  await page.waitForSelector(execRow)
  expect(await textOf(page, execRow)).toMatch(/completed[\s\S]*manual/)

  // Cancel a running execution from the executions view.
  const slowId = await integration.triggerScheduledExecution('slow')
  await page.select('#filter-schedule', 'slow')
  const slowRow = `#executions-body tr[data-execution-id="${slowId}"]`
  await page.waitForSelector(`${slowRow}[data-status="running"]`)
  await clickWhenReady(page, `${slowRow} button[data-action="cancel"]`)
  await page.waitForSelector(`${slowRow}[data-status="cancelled"]`)
  await page.waitForSelector(`${slowRow} button[data-action="retry"]`)

  // Pause with a note through the dialog (Enter submits it), then resume.
  await page.click('a[data-nav="overview"]')
  await clickWhenReady(page, `${row('ticker')} button[data-action="pause"]`)
  await page.waitForSelector('#pause-dialog[open]')
  await page.type('#pause-note', 'deploy freeze')
  await page.keyboard.press('Enter')
  await page.waitForFunction((sel) => {
    const el = document.querySelector(sel)
    return el && /paused/.test(el.textContent) && /deploy freeze/.test(el.textContent)
  }, {}, row('ticker'))
  await clickWhenReady(page, `${row('ticker')} button[data-action="resume"]`)
  await page.waitForFunction((sel) => {
    const el = document.querySelector(`${sel} .badge.st-active`)
    return el !== null
  }, {}, row('ticker'))

  // A schedule's detail, opened from the keyboard: its link, then Enter.
  await page.focus(`${row('flaky')} a.name`)
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => location.hash === '#schedule=flaky')
  await page.waitForSelector('#view-schedule:not([hidden]) #upcoming-body tr')
  expect(await textOf(page, '#detail-title')).toContain('flaky')
  expect(await page.$$eval('#upcoming-body tr', (trs) => trs.length)).toBe(10)
  expect(await textOf(page, '#upcoming-body tr:first-child')).toMatch(/-0[45]:00/)
  await page.waitForSelector('#history-body tr[data-status="failed"]')
  await page.waitForSelector('#lateness .histogram .col')

  // A failed run expands to its attempts and their errors.
  await clickWhenReady(page, '#history-body tr[data-status="failed"] button.disclosure')
  await page.waitForSelector('#history-body tr.expanded')
  const expanded = await textOf(page, '#history-body tr.expanded')
  expect(expanded).toContain('UPSTREAM_DOWN: upstream is down')
  expect(await page.$$eval('#history-body tr.expanded table.inner tbody tr', (trs) => trs.length)).toBe(2)

  // Retry a failed run: the answer's new execution appears in the history as a retry.
  await clickWhenReady(page, '#history-body tr[data-status="failed"] button[data-action="retry"]')
  const retryId = await (await page.waitForFunction(() => {
    const msg = [...document.querySelectorAll('#messages .msg.ok')].find((m) => m.textContent.includes('new execution'))
    return msg && msg.dataset.executionId
  })).jsonValue()
  await page.waitForFunction((id) => {
    const tr = document.querySelector(`#history-body tr[data-execution-id="${id}"]`)
    return tr && tr.textContent.includes('retry')
  }, {}, retryId)

  // Backfill: the preview lists the occurrences in [from, to) (UTC inputs), then runs them.
  await page.evaluate(() => {
    location.hash = '#schedule=ticker'
  })
  await page.waitForFunction(() => document.querySelector('#detail-title').textContent.startsWith('ticker'))
  const start = await page.evaluate(() => {
    const t = Math.floor(Date.now() / 60_000) * 60_000 - 120_000
    const set = (id, ms) => {
      const input = document.getElementById(id)
      input.value = new Date(ms).toISOString().slice(0, 19)
      input.dispatchEvent(new Event('input', { bubbles: true }))
    }
    set('backfill-from', t)
    set('backfill-to', t + 10_000)
    return t
  })
  await page.click('#backfill-preview')
  await page.waitForFunction(() => /5 occurrences/.test(document.getElementById('backfill-result').textContent))
  const listed = await page.$$eval('#backfill-result li', (lis) => lis.map((li) => li.textContent))
  expect(listed[0]).toBe(`${new Date(start).toISOString().slice(0, 19).replace('T', ' ')} UTC`)
  await clickWhenReady(page, '#backfill-run')
  await page.waitForFunction(() => /queued 5 executions/.test(document.getElementById('backfill-result').textContent))

  // Upcoming fires across daylight-saving changes carry a badge that explains them.
  await page.evaluate(() => {
    location.hash = '#schedule=dst-sundays'
  })
  await page.waitForSelector('#upcoming-body .badge.dst-gap')
  await page.waitForSelector('#upcoming-body .badge.dst-repeat')
  const gap = await page.$eval('#upcoming-body .badge.dst-gap', (el) => ({ title: el.title, row: el.closest('tr').textContent }))
  expect(gap.title).toMatch(/clocks jump forward/)
  expect(gap.row).toContain('03:00:00 +02:00')
  expect(await page.$eval('#upcoming-body .badge.dst-repeat', (el) => el.title)).toMatch(/happens twice/)

  // An API error is shown on the page (here a 404 the test provokes), not only in the console.
  provoke('api/schedule?id=missing')
  await page.evaluate(() => {
    location.hash = '#schedule=missing'
  })
  await page.waitForFunction(() => /schedule 'missing' not found/.test(document.getElementById('messages').textContent))
  expect(await page.$eval('#detail-missing', (el) => !el.hidden)).toBe(true)

  await page.evaluate(() => {
    location.hash = ''
  })
  await page.waitForSelector(`${row('ticker')} .strip .cell`)

  // Polling stops while the page is hidden and starts again when it is shown: fetch calls
  // are counted in the page from the moment it is hidden.
  await page.evaluate(() => {
    const fetch = window.fetch
    window.fetchCalls = 0
    window.fetch = (...args) => {
      window.fetchCalls++
      return fetch(...args)
    }
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
    document.dispatchEvent(new Event('visibilitychange'))
  })
  await sleep(2 * 2000 + 500)
  expect(await page.evaluate(() => window.fetchCalls)).toBe(0)
  expect(await textOf(page, '#live')).toContain('paused')
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false })
    document.dispatchEvent(new Event('visibilitychange'))
  })
  await page.waitForFunction(() => window.fetchCalls > 0 && /live/.test(document.getElementById('live').textContent))

  // An action the server refuses shows its error message: the page still lists 'doomed'
  // (hidden, so not refreshed) when it is deleted and then triggered.
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => true })
    document.dispatchEvent(new Event('visibilitychange'))
  })
  await integration.deleteScheduledWorkflow('doomed')
  provoke('api/actions/trigger')
  await clickWhenReady(page, `${row('doomed')} button[data-action="trigger"]`)
  const refusal = await (await page.waitForFunction(() => {
    const msg = document.querySelector('#messages .msg.error')
    return msg && /Trigger doomed failed/.test(msg.textContent) && msg.textContent
  })).jsonValue()
  expect(refusal).toMatch(/doomed/)
  expect(refusal).not.toMatch(/HTTP|status \d/)
  await page.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false })
    document.dispatchEvent(new Event('visibilitychange'))
  })
  await page.waitForFunction(() => !document.querySelector('#schedules-body tr[data-schedule-id="doomed"]'))
  await page.screenshot({ path: path.join(shotDir, 'dashboard.png') })
  expect(fs.statSync(path.join(shotDir, 'dashboard.png')).size).toBeGreaterThan(10_000)

  expect(problems).toEqual([])
  // Every request stayed under the mount path on this host: relative URLs, nothing fetched
  // from elsewhere.
  expect(requests.length).toBeGreaterThan(10)
  expect(requests.filter((url) => !url.startsWith(`${origin}/ops/tickflow/`))).toEqual([])
  await page.close()
})

test('read-only, mounted with the prefix stripped: no actions, a notice, same data', async () => {
  const { page, problems, requests } = await openPage()
  // The mount root without its slash redirects to it, so relative URLs resolve under it.
  await page.goto(`${origin}/ro`, { waitUntil: 'load' })
  expect(new URL(page.url()).pathname).toBe('/ro/')
  await page.waitForSelector(`${row('ticker')} a.name`)
  await page.waitForSelector('#readonly-notice:not([hidden])')
  expect(await page.$$('button[data-action]')).toHaveLength(0)

  await page.click(`${row('flaky')} td:nth-child(2)`)
  await page.waitForSelector('#view-schedule:not([hidden]) #upcoming-body tr')
  expect(await page.$$('#detail-actions button')).toHaveLength(0)
  expect(await page.$eval('#backfill-run', (el) => el.hidden)).toBe(true)
  await page.waitForSelector('#history-body tr[data-status]')
  expect(await page.$$('#history-body button[data-action]')).toHaveLength(0)

  expect(problems).toEqual([])
  expect(requests.filter((url) => url !== `${origin}/ro` && !url.startsWith(`${origin}/ro/`))).toEqual([])
  await page.close()
})
