// tickflow dashboard page. Hand-written, no build step, no dependencies. Every URL is
// relative to the page (api/…), so the dashboard works under any mount path and behind
// proxies. Data is rendered with DOM calls (textContent), never as HTML.
'use strict'
;(function () {
  const POLL_MS = 2000
  const TIMELINE_EVERY_MS = 30000
  const PAGE_SIZE = 50
  const SCHEDULES_PER_PAGE = 50
  const MAX_LANES = 20
  const STATUSES = ['completed', 'failed', 'timeout', 'cancelled', 'running', 'queued', 'retrying', 'pending']
  const CANCELLABLE = ['running', 'queued', 'retrying', 'pending']
  const RETRYABLE = ['failed', 'timeout', 'cancelled']
  const LOCAL_ZONE = safeLocalZone()

  const STATUS_TEXT = {
    completed: 'completed', failed: 'failed', timeout: 'timed out', cancelled: 'cancelled',
    running: 'running', queued: 'queued', retrying: 'retrying', pending: 'pending',
  }
  const STATE_HELP = {
    active: 'Fires on its pattern',
    paused: 'Paused: no fires until resumed',
    disabled: 'Disabled: no fires until enabled',
    expired: 'Expired: past its end date or execution limit; it will not fire again',
    error: 'In error',
  }
  const SKIP_HELP = {
    overlap: 'The previous run was still going, and the overlap policy skipped this one.',
    misfire: 'The fire came too late (host asleep or overloaded) and the catch-up policy did not run it.',
    dst: 'The wall-clock time did not exist that day (clocks jumped forward) and dstGap is "skip".',
    disabled: 'The schedule was paused or disabled when this occurrence was due.',
    no_handler: 'No running process had a handler for this schedule (no schedule() declaration, no executor).',
  }
  const HANDLER_HELP = {
    undeclared: 'Undeclared: schedule() created it on an earlier boot and the running process has not declared it, so its fires are skipped. Declare it again, delete it, or start with { undeclared: "pause" | "delete" }.',
    'no handler': 'No handler: the running process has neither an executor nor a schedule() handler for it, so its fires are skipped.',
  }
  const DST_HELP = {
    gap: 'Daylight-saving gap: clocks jump forward around this fire, so the wall-clock time the pattern asks for does not exist that day; it fires at the first instant after the jump.',
    repeat: 'Daylight-saving repeat: clocks fall back around this fire, so this wall-clock time happens twice that day; the UTC offset tells which one this is.',
  }

  // ---- state ------------------------------------------------------------------------------

  const state = {
    route: { view: 'overview' },
    overview: null,
    // The overview's search, filters and page; `seq` tells a stale answer from the current one.
    schedulesQuery: { search: '', state: '', window: '', sort: 'id', offset: 0, seq: 0 },
    detail: null,
    detailError: null,
    executions: null,
    timeline: null,
    timelineAt: 0,
    timelineError: null,
    openExecutions: new Set(),
    busy: new Set(),
    preview: null,
  }

  // ---- small helpers ----------------------------------------------------------------------

  /** h('tag.class', { attr: value, onclick: fn, text: '…' }, ...children) */
  function h(spec, props, ...children) {
    const [tag, ...classes] = spec.split('.')
    const el = document.createElement(tag)
    if (classes.length) el.className = classes.join(' ')
    if (props) {
      for (const [key, value] of Object.entries(props)) {
        if (value === undefined || value === null || value === false) continue
        if (key === 'text') el.textContent = String(value)
        else if (key === 'class') el.className += (el.className ? ' ' : '') + value
        else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value)
        else if (value === true) el.setAttribute(key, '')
        else el.setAttribute(key, String(value))
      }
    }
    append(el, children)
    return el
  }

  function append(el, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue
      if (Array.isArray(child)) append(el, child)
      else el.append(child instanceof Node ? child : String(child))
    }
  }

  function byId(id) {
    return document.getElementById(id)
  }

  function replace(el, ...children) {
    el.replaceChildren()
    append(el, children)
  }

  function safeLocalZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local'
    } catch {
      return 'local'
    }
  }

  const formatters = new Map()
  function formatter(zone) {
    const key = zone || ''
    if (!formatters.has(key)) {
      const options = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'longOffset' }
      let f
      try {
        f = new Intl.DateTimeFormat('en-CA', zone ? { ...options, timeZone: zone } : options)
      } catch {
        f = new Intl.DateTimeFormat('en-CA', { ...options, timeZone: 'UTC' })
      }
      formatters.set(key, f)
    }
    return formatters.get(key)
  }

  /** { date: 'YYYY-MM-DD', time: 'HH:MM:SS', offset: '+01:00' } of an instant in a zone
   * (undefined zone: the viewer's). */
  function parts(value, zone) {
    const d = value instanceof Date ? value : new Date(value)
    if (Number.isNaN(d.getTime())) return null
    const p = {}
    for (const part of formatter(zone).formatToParts(d)) p[part.type] = part.value
    const offset = !p.timeZoneName || p.timeZoneName === 'GMT' ? '+00:00' : p.timeZoneName.replace('GMT', '')
    return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}:${p.second}`, offset }
  }

  function zoneTime(value, zone) {
    const p = parts(value, zone)
    return p ? `${p.date} ${p.time}` : '—'
  }

  function utcTime(value) {
    const d = new Date(value)
    return Number.isNaN(d.getTime()) ? '—' : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`
  }

  function localTime(value) {
    const p = parts(value, undefined)
    return p ? `${p.date} ${p.time} (UTC${p.offset}, ${LOCAL_ZONE})` : '—'
  }

  /** Time of day when the instant is on `now`'s date in that zone, else date and time. */
  function shortTime(value, zone, now) {
    const p = parts(value, zone)
    if (!p) return '—'
    const today = parts(now || Date.now(), zone)
    return today && today.date === p.date ? p.time : `${p.date.slice(5)} ${p.time}`
  }

  function threeTimes(value, zone) {
    return `${zoneTime(value, zone)} ${zone}\n${utcTime(value)}\n${localTime(value)} — your time`
  }

  function nowMs() {
    return state.overview ? Date.parse(state.overview.now) : Date.now()
  }

  function relative(value, now) {
    const ms = Date.parse(value) - (now === undefined ? nowMs() : now)
    if (Number.isNaN(ms)) return ''
    const abs = Math.abs(ms)
    let text
    if (abs < 1000) return ms >= 0 ? 'now' : 'just now'
    if (abs < 60_000) text = `${Math.round(abs / 1000)} s`
    else if (abs < 3_600_000) text = `${Math.round(abs / 60_000)} min`
    else if (abs < 86_400_000) text = `${Math.round(abs / 3_600_000)} h`
    else text = `${Math.round(abs / 86_400_000)} d`
    return ms >= 0 ? `in ${text}` : `${text} ago`
  }

  function duration(ms) {
    if (ms === null || ms === undefined || Number.isNaN(ms)) return '—'
    if (ms < 1000) return `${Math.round(ms)} ms`
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`
    const m = Math.floor(ms / 60_000)
    const s = Math.round((ms % 60_000) / 1000)
    return m < 60 ? `${m} min ${s} s` : `${Math.floor(m / 60)} h ${m % 60} min`
  }

  function seconds(value) {
    if (value === '+Inf') return '∞'
    if (value < 1) return `${Math.round(value * 1000)} ms`
    return `${value} s`
  }

  function shortId(id) {
    return id && id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id
  }

  function statusBadge(status) {
    return h(`span.badge.s-${status || 'none'}`, { text: STATUS_TEXT[status] || status || '—' })
  }

  function stateBadge(s, note) {
    const help = STATE_HELP[s] || s
    return h(`span.badge.st-${s}`, { title: note ? `${help}\nNote: ${note}` : help, text: s })
  }

  /** Runs still going past their schedule's period: a badge, and the oldest with its time so far. */
  function stalledNote(row) {
    if (!row.stalled || !row.stalled.length) return null
    const oldest = row.stalled[0]
    return h('div.stalled', null,
      h(`span.badge.stall-${oldest.severity}`, { title: row.stalled.map((s) => s.message).join('\n'), text: row.stalled.length > 1 ? `stalled ×${row.stalled.length}` : 'stalled' }),
      ' ', h('span.hint.mono', { 'data-execution-id': oldest.executionId, title: oldest.executionId, text: `${shortId(oldest.executionId)} running ${duration(oldest.runningMs)}` }))
  }

  /** 'undeclared' or 'no handler' beside the state, for a schedule nothing here runs. */
  function handlerBadge(row) {
    if (row.handled !== false) return null
    const text = row.undeclared ? 'undeclared' : 'no handler'
    return h('span.badge.no-handler', { title: HANDLER_HELP[text], text })
  }

  // ---- messages ---------------------------------------------------------------------------

  /** A visible message; errors stay until dismissed (or, keyed, until replaced/cleared). */
  function notify(kind, text, options = {}) {
    const box = byId('messages')
    if (options.key) {
      const old = box.querySelector(`[data-key="${options.key}"]`)
      if (old) old.remove()
    }
    const msg = h(`div.msg.${kind}`, { role: kind === 'error' ? 'alert' : null, 'data-key': options.key, 'data-execution-id': options.executionId },
      h('span.msg-text', { text }),
      h('button.btn.small.dismiss', { type: 'button', 'aria-label': 'Dismiss message', text: '×', onclick: () => msg.remove() }))
    box.append(msg)
    if (kind !== 'error') setTimeout(() => msg.remove(), 8000)
    while (box.children.length > 6) box.firstElementChild.remove()
    return msg
  }

  function clearKeyed(key) {
    const old = byId('messages').querySelector(`[data-key="${key}"]`)
    if (old) old.remove()
  }

  // ---- API --------------------------------------------------------------------------------

  class ApiError extends Error {
    constructor(code, message, status) {
      super(message)
      this.code = code
      this.status = status
    }
  }

  async function api(path, init) {
    let res
    try {
      res = await fetch(path, { credentials: 'same-origin', cache: 'no-store', ...init, headers: { Accept: 'application/json', ...(init && init.headers) } })
    } catch (err) {
      throw new ApiError('NETWORK', `Cannot reach the dashboard server (${err && err.message ? err.message : err})`, 0)
    }
    const text = await res.text()
    let body = null
    try {
      body = text ? JSON.parse(text) : null
    } catch {
      body = null
    }
    if (!res.ok) {
      const e = body && body.error
      throw new ApiError((e && e.code) || `HTTP_${res.status}`, (e && e.message) || `The server answered ${res.status} ${res.statusText}`.trim(), res.status)
    }
    if (body === null || typeof body !== 'object') throw new ApiError('BAD_RESPONSE', 'The server answered something that is not JSON', res.status)
    return body
  }

  function post(action, body) {
    return api(`api/actions/${action}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
  }

  function errorText(err) {
    return err && err.code && err.code !== 'NETWORK' ? `${err.message} (${err.code})` : String((err && err.message) || err)
  }

  /** Runs an action once at a time per key, shows its answer, then refreshes. */
  async function act(key, label, action, body, done) {
    if (state.busy.has(key)) return
    state.busy.add(key)
    render()
    try {
      const answer = await post(action, body)
      const text = typeof done === 'function' ? done(answer) : done
      notify('ok', text || `${label}: done`, { executionId: answer.executionId })
    } catch (err) {
      notify('error', `${label} failed: ${errorText(err)}`)
    } finally {
      state.busy.delete(key)
      state.timelineAt = 0
      refreshNow()
    }
  }

  // ---- routing ----------------------------------------------------------------------------

  function parseRoute() {
    const raw = location.hash.replace(/^#/, '')
    if (raw.startsWith('schedule=')) {
      let id = raw.slice('schedule='.length)
      try {
        id = decodeURIComponent(id)
      } catch {
        // keep it as written
      }
      return { view: 'schedule', id }
    }
    if (raw === 'executions' || raw.startsWith('executions?')) {
      const q = new URLSearchParams(raw.slice('executions'.length + 1))
      const statuses = (q.get('status') || '').split(',').filter((s) => STATUSES.includes(s))
      return { view: 'executions', scheduleId: q.get('scheduleId') || '', statuses, offset: Math.max(0, Number(q.get('offset')) || 0) }
    }
    return { view: 'overview' }
  }

  function executionsHash(r) {
    const q = new URLSearchParams()
    if (r.scheduleId) q.set('scheduleId', r.scheduleId)
    if (r.statuses && r.statuses.length) q.set('status', r.statuses.join(','))
    if (r.offset) q.set('offset', String(r.offset))
    const s = q.toString()
    return `#executions${s ? `?${s}` : ''}`
  }

  function scheduleHash(id) {
    return `#schedule=${encodeURIComponent(id)}`
  }

  function onRoute() {
    const previous = state.route
    state.route = parseRoute()
    const r = state.route
    for (const name of ['overview', 'executions', 'schedule']) byId(`view-${name}`).hidden = r.view !== name
    for (const a of document.querySelectorAll('[data-nav]')) {
      const current = a.dataset.nav === r.view || (r.view === 'schedule' && a.dataset.nav === 'overview')
      if (current) a.setAttribute('aria-current', 'page')
      else a.removeAttribute('aria-current')
    }
    if (r.view === 'schedule' && (previous.view !== 'schedule' || previous.id !== r.id)) {
      state.detail = null
      state.detailError = null
      state.preview = null
      state.openExecutions.clear()
      resetBackfill()
      byId('detail-title').textContent = r.id
      window.scrollTo(0, 0)
    }
    if (r.view === 'executions') {
      if (previous.view !== 'executions') state.executions = null
      syncFilterForm()
    }
    render()
    refreshNow()
  }

  // ---- polling ----------------------------------------------------------------------------

  let timer = null
  let inFlight = false
  let again = false

  async function poll() {
    timer = null
    if (inFlight) {
      again = true
      return
    }
    inFlight = true
    try {
      await refresh()
      clearKeyed('poll')
      // A poll still in flight when the page was hidden does not make it look live.
      setLive(document.hidden ? null : true)
    } catch (err) {
      notify('error', `Could not refresh: ${errorText(err)}`, { key: 'poll' })
      setLive(false)
    } finally {
      inFlight = false
    }
    if (again) {
      again = false
      poll()
      return
    }
    scheduleNext()
  }

  function scheduleNext() {
    if (timer === null && !document.hidden) timer = setTimeout(poll, POLL_MS)
  }

  function refreshNow() {
    if (timer !== null) {
      clearTimeout(timer)
      timer = null
    }
    poll()
  }

  document.addEventListener('visibilitychange', () => {
    if (document.hidden) {
      if (timer !== null) clearTimeout(timer)
      timer = null
      setLive(null)
    } else {
      refreshNow()
    }
  })

  function setLive(ok) {
    const el = byId('live')
    if (ok === null) {
      el.textContent = 'paused while hidden'
      el.className = 'live'
      return
    }
    el.className = ok ? 'live on' : 'live off'
    el.textContent = ok ? `live · updated ${parts(new Date(), undefined).time}` : 'reconnecting…'
  }

  /** Fetches what the current view shows; renders what arrived; throws the first error. */
  async function refresh() {
    const r = state.route
    const seq = state.schedulesQuery.seq
    const jobs = [api(`api/overview?${overviewQuery()}`).then((o) => {
      if (seq === state.schedulesQuery.seq) state.overview = o
    })]
    if (r.view === 'schedule') {
      const id = r.id
      jobs.push(api(`api/schedule?id=${encodeURIComponent(id)}`).then((d) => {
        if (state.route.view === 'schedule' && state.route.id === id) {
          state.detail = d
          state.detailError = null
        }
      }, (err) => {
        if (state.route.view === 'schedule' && state.route.id === id) {
          state.detail = null
          state.detailError = err
        }
        throw err
      }))
    }
    if (r.view === 'executions') {
      const q = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(r.offset || 0) })
      if (r.scheduleId) q.set('scheduleId', r.scheduleId)
      if (r.statuses.length) q.set('status', r.statuses.join(','))
      const query = q.toString()
      jobs.push(api(`api/executions?${query}`).then((e) => {
        state.executions = { ...e, query }
      }))
    }
    if (r.view === 'overview' && Date.now() - state.timelineAt > TIMELINE_EVERY_MS) {
      jobs.push(api('api/timeline?hours=24').then((t) => {
        state.timeline = t
        state.timelineAt = Date.now()
        state.timelineError = null
      }, (err) => {
        state.timelineError = err
        throw err
      }))
    }
    const results = await Promise.allSettled(jobs)
    render()
    const failed = results.find((x) => x.status === 'rejected')
    if (failed) throw failed.reason
  }

  /** The overview request's query: the search box, filters and page. */
  function overviewQuery() {
    const f = state.schedulesQuery
    const q = new URLSearchParams({ limit: String(SCHEDULES_PER_PAGE), offset: String(f.offset) })
    const text = f.search.trim()
    // An execution id finds the schedule that ran it.
    if (/^exec_/.test(text)) q.set('execution', text)
    else if (text) q.set('search', text)
    if (f.state) q.set('state', f.state)
    if (f.window) q.set('nextBefore', new Date(nowMs() + Number(f.window)).toISOString())
    if (f.sort !== 'id') q.set('sort', f.sort)
    return q
  }

  function onSchedulesQuery(offset) {
    const f = state.schedulesQuery
    f.search = byId('schedule-search').value
    f.state = byId('schedule-state').value
    f.window = byId('schedule-window').value
    f.sort = byId('schedule-sort').value
    f.offset = Math.max(0, offset)
    f.seq++
    refreshNow()
  }

  // ---- rendering --------------------------------------------------------------------------

  /** Re-renders the live parts, keeping keyboard focus on the control that had it. */
  function render() {
    const active = document.activeElement
    const focusKey = active && active.dataset ? active.dataset.focus : undefined
    renderHeader()
    const r = state.route
    if (r.view === 'overview') {
      renderSchedules()
      renderTimeline()
      renderCluster()
    } else if (r.view === 'executions') {
      renderFilterOptions()
      renderExecutions()
    } else if (r.view === 'schedule') {
      renderDetail()
    }
    if (focusKey && (!document.activeElement || document.activeElement === document.body || !document.activeElement.isConnected)) {
      const again = document.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)
      if (again) again.focus({ preventScroll: true })
    }
  }

  function renderHeader() {
    const o = state.overview
    if (!o) return
    const badge = byId('integration-state')
    badge.textContent = `integration ${o.state}`
    badge.className = `badge is-${o.state}`
    byId('readonly-notice').hidden = !o.readOnly
    document.body.classList.toggle('readonly', !!o.readOnly)
    const s = o.system
    replace(byId('counts'),
      count('Schedules', s.totalSchedules),
      count('Active', s.activeSchedules, 'c-active'),
      count('Paused', s.pausedSchedules, s.pausedSchedules ? 'c-paused' : ''),
      count('Executions', s.totalExecutions),
      count('Succeeded', s.successfulExecutions, 'c-ok'),
      count('Failed', s.failedExecutions, s.failedExecutions ? 'c-bad' : ''))
    const p = parts(o.now, 'UTC')
    const l = parts(o.now, undefined)
    replace(byId('clock'),
      h('div', null, h('span.label', { text: 'Now ' }), h('time.mono', { datetime: o.now, text: `${p.date} ${p.time} UTC` })),
      h('div.hint', { text: `${l.time} your time (${LOCAL_ZONE}, UTC${l.offset})` }))
    document.title = `tickflow · ${s.totalSchedules} schedule${s.totalSchedules === 1 ? '' : 's'}${s.failedExecutions ? ` · ${s.failedExecutions} failed` : ''}`
  }

  function count(label, value, cls) {
    return h(`div.count${cls ? `.${cls}` : ''}`, null, h('dt', { text: label }), h('dd', { text: value === undefined ? '—' : value.toLocaleString('en') }))
  }

  function actionButtons(row, where) {
    const o = state.overview
    if (!o || o.readOnly) return []
    const id = row.scheduleId
    const out = []
    if (o.actions.trigger && row.state !== 'expired') {
      const key = `trigger:${id}`
      out.push(h('button.btn.small', {
        type: 'button', 'data-focus': `${where}:${key}`, 'data-action': 'trigger', disabled: state.busy.has(key),
        'aria-label': `Trigger ${id} now`, text: state.busy.has(key) ? 'Triggering…' : 'Trigger now',
        onclick: () => act(key, `Trigger ${id}`, 'trigger', { scheduleId: id }, (a) => `Triggered ${id}: execution ${a.executionId}`),
      }))
    }
    if (row.state === 'paused' && o.actions.resume) {
      const key = `resume:${id}`
      out.push(h('button.btn.small', {
        type: 'button', 'data-focus': `${where}:${key}`, 'data-action': 'resume', disabled: state.busy.has(key),
        'aria-label': `Resume ${id}`, text: 'Resume',
        onclick: () => act(key, `Resume ${id}`, 'resume', { scheduleId: id }, `Resumed ${id}`),
      }))
    } else if (row.state === 'active' && o.actions.pause) {
      const key = `pause:${id}`
      out.push(h('button.btn.small', {
        type: 'button', 'data-focus': `${where}:${key}`, 'data-action': 'pause', disabled: state.busy.has(key),
        'aria-label': `Pause ${id}`, text: 'Pause…',
        onclick: () => askPause(id, `${where}:${key}`),
      }))
    }
    return out
  }

  function askPause(id, focusKey) {
    const dialog = byId('pause-dialog')
    const input = byId('pause-note')
    byId('pause-what').textContent = `No fires of ${id} until it is resumed. Manual triggers still work.`
    input.value = ''
    dialog.returnValue = ''
    const onClose = () => {
      dialog.removeEventListener('close', onClose)
      const back = document.querySelector(`[data-focus="${CSS.escape(focusKey)}"]`)
      if (back) back.focus()
      if (dialog.returnValue !== 'pause') return
      const note = input.value.trim()
      act(`pause:${id}`, `Pause ${id}`, 'pause', note ? { scheduleId: id, note } : { scheduleId: id }, `Paused ${id}${note ? ` (${note})` : ''}`)
    }
    dialog.addEventListener('close', onClose)
    dialog.showModal()
    input.focus()
  }

  function renderSchedules() {
    const o = state.overview
    if (!o) return
    const body = byId('schedules-body')
    const page = o.page || { offset: 0, matching: o.schedules.length }
    const shown = o.schedules.length
    const of = page.matching === o.system.totalSchedules ? '' : ` (of ${o.system.totalSchedules.toLocaleString('en')})`
    byId('schedules-page-info').textContent = shown
      ? `${(page.offset + 1).toLocaleString('en')}–${(page.offset + shown).toLocaleString('en')} of ${page.matching.toLocaleString('en')}${of}`
      : `0 of ${page.matching.toLocaleString('en')}${of}`
    byId('schedules-prev').disabled = page.offset === 0
    byId('schedules-next').disabled = page.offset + shown >= page.matching
    if (!shown) {
      const text = o.system.totalSchedules === 0 ? 'No schedules yet.' : page.offset > 0 ? 'No more schedules: go back a page.' : 'No schedule matches.'
      replace(body, h('tr', null, h('td.empty', { colspan: 8, text })))
      return
    }
    const now = nowMs()
    replace(body, o.schedules.map((row) => {
      const tr = h('tr.clickable', { 'data-schedule-id': row.scheduleId },
        h('td', null,
          h('a.name', { href: scheduleHash(row.scheduleId), 'data-focus': `link:${row.scheduleId}`, text: row.scheduleId }),
          row.name && row.name !== row.scheduleId ? h('div.hint', { text: row.name }) : null,
          row.workflowId !== row.scheduleId ? h('div.hint', { text: `workflow ${row.workflowId}` }) : null),
        h('td', null, h('code', { text: row.cron }), h('div.hint', { text: row.description || '' })),
        h('td.mono.zone', { text: row.timezone }),
        h('td', null, stateBadge(row.state, row.pauseNote), ' ', handlerBadge(row), row.pauseNote ? h('div.hint.note', { title: row.pauseNote, text: `“${row.pauseNote}”` }) : null, stalledNote(row)),
        h('td', null, nextFires(row, now)),
        h('td', null, lastOutcome(row)),
        h('td', null, strip(row.recent)),
        h('td.actions', null, actionButtons(row, 'table')))
      tr.addEventListener('click', (e) => {
        if (e.target.closest('a, button, input, select, summary')) return
        location.hash = scheduleHash(row.scheduleId)
      })
      return tr
    }))
  }

  function nextFires(row, now) {
    if (!row.nextFires || !row.nextFires.length) return h('span.hint', { text: row.state === 'active' ? 'none' : '—' })
    const [first, ...rest] = row.nextFires
    return h('div.fires', null,
      h('div', null,
        h('time.mono.strong', { datetime: first, title: threeTimes(first, row.timezone), text: shortTime(first, row.timezone, now) }),
        ' ', h('span.hint', { text: relative(first, now) })),
      h('div.hint.mono', { title: localTime(first), text: `${shortTime(first, 'UTC', now)} UTC` }),
      rest.length ? h('div.hint.mono.more', null, 'then ', rest.map((at, i) => [i ? ', ' : '', h('time', { datetime: at, title: threeTimes(at, row.timezone), text: shortTime(at, row.timezone, now) })])) : null)
  }

  function lastOutcome(row) {
    if (!row.last) return h('span.hint', { text: 'no runs yet' })
    return h('div', null,
      statusBadge(row.last.status),
      row.last.at ? h('div.hint', { title: threeTimes(row.last.at, row.timezone), text: relative(row.last.at) }) : null,
      row.last.error ? h('div.err', { title: row.last.error, text: row.last.error }) : null)
  }

  function strip(recent) {
    if (!recent || !recent.length) return h('span.hint', { text: '—' })
    const counts = {}
    for (const r of recent) counts[r.status] = (counts[r.status] || 0) + 1
    const summary = Object.entries(counts).map(([s, n]) => `${n} ${STATUS_TEXT[s] || s}`).join(', ')
    return h('div.strip', { role: 'img', 'aria-label': `Last ${recent.length} runs: ${summary}` },
      recent.map((r) => h(`span.cell.s-${r.status}`, {
        'data-execution-id': r.executionId,
        title: `${STATUS_TEXT[r.status] || r.status} · ${utcTime(r.scheduledTime)}${r.duration !== null && r.duration !== undefined ? ` · ${duration(r.duration)}` : ''}\n${r.executionId}`,
      })))
  }

  // ---- cluster ----------------------------------------------------------------------------

  /** The nodes of a PostgreSQL store's cluster (the overview's `cluster`; null elsewhere). */
  function renderCluster() {
    const c = state.overview && state.overview.cluster
    byId('cluster-panel').hidden = !c
    if (!c) return
    const body = byId('cluster-body')
    if (c.error) return replace(body, h('tr', null, h('td.err', { colspan: 7, text: `Nodes unavailable: ${c.error.code}: ${c.error.message}` })))
    if (!c.nodes.length) return replace(body, h('tr', null, h('td.empty', { colspan: 7, text: 'No node is running on this database.' })))
    replace(body, ...c.nodes.map((n) => h('tr', { 'data-node': n.token },
      h('td', { text: n.self ? `${n.nodeId} (this process)` : n.nodeId }),
      h('td.mono', { text: n.token }),
      h('td', null, h(`span.badge.s-${n.alive ? 'completed' : 'failed'}`, { text: n.alive ? 'alive' : 'not answering' })),
      h('td.num', { text: duration(n.leaseRemainingMs) }),
      h('td.mono', { text: utcTime(n.lastRenewal) }),
      h('td.num', { text: n.clockOffsetMs === null || n.clockOffsetMs === undefined ? '—' : `${n.clockOffsetMs > 0 ? '+' : ''}${n.clockOffsetMs} ms` }),
      h('td.mono', { text: utcTime(n.startedAt) }))))
  }

  // ---- timeline ---------------------------------------------------------------------------

  function renderTimeline() {
    const box = byId('timeline')
    const t = state.timeline
    if (!t) {
      if (state.timelineError) replace(box, h('p.err', { text: `Timeline unavailable: ${errorText(state.timelineError)}` }))
      return
    }
    const from = Date.parse(t.from)
    const to = Date.parse(t.to)
    const span = Math.max(to - from, 1)
    const now = Math.max(nowMs(), from)
    byId('timeline-range').textContent = `${utcTime(t.from)} → ${utcTime(t.to)} · one mark per 5 minutes with a fire, hover for counts`
    // Lanes for the schedules that fire first (the server lists the first fires of all).
    const ids = (t.schedules || []).slice(0, MAX_LANES).map((x) => x.scheduleId)
    const perSchedule = new Map(ids.map((id) => [id, []]))
    // Red marks: the collisions below, not every shared instant of frequent jobs.
    const together = new Set(t.collisions ? t.collisions.instants.map((x) => x.at) : [])
    for (const fire of t.fires) {
      for (const id of fire.scheduleIds) if (perSchedule.has(id)) perSchedule.get(id).push(fire)
    }
    const SLOTS = 288
    const slotMs = span / SLOTS
    const axis = h('div.axis', { 'aria-hidden': 'true' })
    const step = span > 36 * 3_600_000 ? 12 * 3_600_000 : span > 6 * 3_600_000 ? 3 * 3_600_000 : 3_600_000
    const first = h('span.tick', { text: 'now' })
    first.style.left = '0%'
    axis.append(first)
    for (let at = Math.ceil(from / step) * step; at <= to; at += step) {
      if ((at - from) / span < 0.06 || (to - at) / span < 0.03) continue
      const p = parts(at, 'UTC')
      const tick = h('span.tick', { text: p.time === '00:00:00' ? `${p.date.slice(5)} 00:00Z` : `${p.time.slice(0, 5)}Z` })
      tick.style.left = `${((at - from) / span) * 100}%`
      axis.append(tick)
    }
    const lanes = h('div.lanes')
    for (const [id, fires] of perSchedule) {
      const lane = h('div.lane-track')
      const slots = new Map()
      for (const fire of fires) {
        const i = Math.min(SLOTS - 1, Math.floor((Date.parse(fire.at) - from) / slotMs))
        const slot = slots.get(i) || { n: 0, collide: 0 }
        slot.n++
        if (together.has(fire.at)) slot.collide++
        slots.set(i, slot)
      }
      for (const [i, slot] of slots) {
        const start = from + i * slotMs
        const mark = h(`span.mark${slot.collide ? '.collide' : ''}`, {
          title: `${id}: ${slot.n} fire${slot.n === 1 ? '' : 's'}${slot.collide ? ` (${slot.collide} in a collision)` : ''}\n${utcTime(start)} – ${utcTime(start + slotMs)}`,
        })
        mark.style.left = `${(i / SLOTS) * 100}%`
        mark.style.width = `${100 / SLOTS}%`
        lane.append(mark)
      }
      // When the listing ends before the window does, counts are lower bounds.
      const capped = t.truncated
      lanes.append(h('div.lane', null,
        h('a.lane-name.mono', { href: scheduleHash(id), text: id }),
        lane,
        h('span.lane-count.hint', {
          text: fires.length ? `${fires.length}${capped ? '+' : ''} fire${fires.length === 1 ? '' : 's'}` : 'no fires',
          title: capped ? `Fires until ${utcTime(t.until)} are listed by the server.` : null,
        })))
    }
    const moreLanes = (t.schedules || []).length - ids.length
    if (moreLanes > 0) lanes.append(h('p.hint', { text: `… and ${moreLanes.toLocaleString('en')} more schedules firing in that time.` }))
    if (t.truncated) lanes.append(h('p.hint', { id: 'timeline-truncated', text: `The server lists the first ${t.fires.reduce((n, f) => n + f.scheduleIds.length, 0).toLocaleString('en')} fires of all schedules: up to ${utcTime(t.until)}.` }))

    const chips = (list) => [list.slice(0, 5).map((id) => h('a.chip', { href: scheduleHash(id), text: id })), list.length > 5 ? h('span.hint', { text: ` +${list.length - 5}` }) : null]
    const upcoming = t.fires.filter((f) => Date.parse(f.at) >= now).slice(0, 10)
    const list = h('ol.fire-list', null, upcoming.map((f) => h('li', null,
      h('time.mono', { datetime: f.at, title: `${utcTime(f.at)}\n${localTime(f.at)} — your time`, text: utcTime(f.at) }), ' ',
      h('span.hint', { text: relative(f.at, nowMs()) }), ' ',
      chips(f.scheduleIds))))
    replace(box,
      h('div.chart', null, h('div.lane.axis-row', null, h('span.lane-name'), axis, h('span.lane-count')), lanes),
      h('div.columns', null,
        h('div', null, h('h3', { text: 'Next fires' }), upcoming.length ? list : h('p.hint', { text: 'Nothing fires in the next 24 hours.' })),
        h('div', null, h('h3', { text: 'Collisions' }), h('div', { id: 'timeline-collisions' }, collisionsBox(t.collisions, chips)))))
  }

  /** The instants where schedules that fire at most hourly meet, largest first. Frequent
   * jobs are left out: a 5 s and a 10 s job meet every 10 s by construction, which says
   * nothing; an hourly and a daily job meeting at midnight is a pile-up worth spreading. */
  function collisionsBox(c, chips) {
    if (!c) return h('p.hint', { text: '—' })
    const minutes = Math.round(c.minPeriodMs / 60_000)
    const rule = `Counted among schedules whose next fire is at least ${minutes >= 60 ? `${minutes / 60} h` : `${minutes} min`} away; more frequent jobs meet everything by construction.`
    const reach = c.complete ? '' : ` Counted up to ${utcTime(c.until)} (the server merges a bounded number of fires).`
    if (!c.instants.length) return h('div.collisions', null, h('p.hint', { text: `No collisions. ${rule}${reach}` }))
    return h('div.collisions', null,
      h('p', null, h('strong', { text: `${c.total.toLocaleString('en')} instant${c.total === 1 ? '' : 's'}` }), ' where several rarely-firing schedules fire together, the largest first:'),
      h('ul', null, c.instants.slice(0, 8).map((x, i) => h('li', null,
        h('span.badge.collision', { text: `×${x.count.toLocaleString('en')}${!c.complete && i === 0 && x.at === c.until ? '+' : ''}` }), ' ',
        h('time.mono', { datetime: x.at, title: localTime(x.at), text: utcTime(x.at) }), ' ',
        chips(x.scheduleIds),
        x.count > x.scheduleIds.length ? h('span.hint', { text: ` (${x.scheduleIds.length} of ${x.count.toLocaleString('en')} named)` }) : null))),
      h('p.hint', { text: `${rule}${reach}` }))
  }

  // ---- executions ---------------------------------------------------------------------------

  function renderFilterOptions() {
    const select = byId('filter-schedule')
    const ids = state.overview ? state.overview.schedules.map((s) => s.scheduleId) : []
    const want = state.route.scheduleId || ''
    if (want && !ids.includes(want)) ids.push(want)
    const have = [...select.options].slice(1).map((o) => o.value)
    if (have.join('\n') !== ids.join('\n')) {
      replace(select, h('option', { value: '', text: 'All schedules' }), ids.map((id) => h('option', { value: id, text: id })))
    }
    select.value = want
  }

  function syncFilterForm() {
    const r = state.route
    renderFilterOptions()
    const box = byId('filter-status')
    if (!box.children.length) {
      append(box, STATUSES.map((s) => h('label.check', null,
        h('input', { type: 'checkbox', value: s, name: 'status' }),
        statusBadge(s))))
    }
    for (const input of box.querySelectorAll('input')) input.checked = r.statuses.includes(input.value)
  }

  function onFiltersChanged(offset = 0) {
    const statuses = [...byId('filter-status').querySelectorAll('input:checked')].map((i) => i.value)
    const hash = executionsHash({ scheduleId: byId('filter-schedule').value, statuses, offset })
    history.replaceState(null, '', hash)
    onRoute()
  }

  function executionRows(list, where, options = {}) {
    const o = state.overview
    const canAct = o && !o.readOnly
    const rows = []
    for (const e of list) {
      const open = state.openExecutions.has(e.id)
      const attempts = e.attempts || []
      const expandable = attempts.length > 0 || e.error || e.cancelReason
      const buttons = []
      if (canAct && o.actions.cancel && CANCELLABLE.includes(e.status)) {
        const key = `cancel:${e.id}`
        buttons.push(h('button.btn.small.danger', {
          type: 'button', 'data-focus': `${where}:${key}`, 'data-action': 'cancel', disabled: state.busy.has(key),
          'aria-label': `Cancel execution ${e.id}`, text: 'Cancel',
          onclick: () => act(key, `Cancel ${shortId(e.id)}`, 'cancel', { executionId: e.id }, `Cancelled execution ${e.id}`),
        }))
      }
      if (canAct && o.actions.retry && RETRYABLE.includes(e.status)) {
        const key = `retry:${e.id}`
        buttons.push(h('button.btn.small', {
          type: 'button', 'data-focus': `${where}:${key}`, 'data-action': 'retry', disabled: state.busy.has(key),
          'aria-label': `Retry execution ${e.id}`, text: 'Retry',
          onclick: () => act(key, `Retry ${shortId(e.id)}`, 'retry', { executionId: e.id }, (a) => `Retrying ${shortId(e.id)}: new execution ${a.executionId}`),
        }))
      }
      const detailId = `${where}-x-${e.id}`
      rows.push(h(`tr.s-row-${e.status}`, { 'data-execution-id': e.id, 'data-status': e.status },
        h('td.mono', null,
          expandable
            ? h('button.disclosure', {
              type: 'button', 'aria-expanded': open ? 'true' : 'false', 'aria-controls': detailId, 'data-focus': `${where}:open:${e.id}`,
              title: e.id, 'aria-label': `Details of execution ${e.id}`,
              onclick: () => {
                if (state.openExecutions.has(e.id)) state.openExecutions.delete(e.id)
                else state.openExecutions.add(e.id)
                render()
              },
            }, h('span.caret', { 'aria-hidden': 'true', text: open ? '▾' : '▸' }), ` ${shortId(e.id)}`)
            : h('span', { title: e.id, text: shortId(e.id) })),
        options.withSchedule ? h('td', null, h('a.mono', { href: scheduleHash(e.scheduleId), text: e.scheduleId })) : null,
        h('td', null, statusBadge(e.status)),
        h('td', { text: e.triggerType }),
        h('td.mono', { title: localTime(e.scheduledTime) + ' — your time', text: utcTime(e.scheduledTime).replace(' UTC', '') }),
        h('td.mono', { title: e.actualStartTime ? `${localTime(e.actualStartTime)} — your time` : null, text: e.actualStartTime ? utcTime(e.actualStartTime).replace(' UTC', '') : '—' }),
        h('td.num', { text: duration(e.duration) }),
        h('td.num', { text: String(attempts.length) }),
        h('td.err', { title: e.error ? `${e.error.code}: ${e.error.message}` : null, text: e.error ? `${e.error.code}: ${e.error.message}` : (e.cancelReason || '') }),
        h('td.actions', null, buttons)))
      if (open && expandable) {
        rows.push(h('tr.expanded', { id: detailId },
          h('td', { colspan: options.withSchedule ? 10 : 9 },
            h('div.attempts', null,
              h('p', null, h('strong', { text: 'Execution ' }), h('span.mono', { text: e.id }),
                e.retryCount ? h('span.hint', { text: ` · ${e.retryCount} retr${e.retryCount === 1 ? 'y' : 'ies'}` }) : null,
                e.completionTime ? h('span.hint', { text: ` · finished ${utcTime(e.completionTime)}` }) : null),
              e.error ? h('p.err', { text: `${e.error.code}: ${e.error.message}` }) : null,
              e.cancelReason ? h('p.hint', { text: `Cancelled: ${e.cancelReason}` }) : null,
              attempts.length
                ? h('table.grid.compact.inner', null,
                  h('thead', null, h('tr', null, ['Attempt', 'Started (UTC)', 'Ended (UTC)', 'Took', 'Error'].map((t) => h('th', { scope: 'col', text: t })))),
                  h('tbody', null, attempts.map((a) => h('tr', null,
                    h('td.num', { text: String(a.attempt) }),
                    h('td.mono', { text: a.startTime ? utcTime(a.startTime) : '—' }),
                    h('td.mono', { text: a.endTime ? utcTime(a.endTime) : 'running' }),
                    h('td.num', { text: a.startTime && a.endTime ? duration(Date.parse(a.endTime) - Date.parse(a.startTime)) : '—' }),
                    h('td', null, a.error ? h('span.err', { text: `${a.error.code}: ${a.error.message}` }) : h('span.ok', { text: 'ok' }))))))
                : h('p.hint', { text: 'No attempt started.' })))))
      }
    }
    return rows
  }

  function renderExecutions() {
    const body = byId('executions-body')
    const x = state.executions
    const r = state.route
    if (!x) {
      replace(body, h('tr', null, h('td.empty', { colspan: 10, text: 'Loading…' })))
      return
    }
    byId('executions-total').textContent = `${x.total.toLocaleString('en')} matching`
    replace(body, x.executions.length ? executionRows(x.executions, 'execs', { withSchedule: true }) : h('tr', null, h('td.empty', { colspan: 10, text: 'No executions match.' })))
    const offset = r.offset || 0
    byId('page-prev').disabled = offset === 0
    byId('page-next').disabled = offset + PAGE_SIZE >= x.total
    byId('page-info').textContent = x.total ? `${offset + 1}–${Math.min(offset + PAGE_SIZE, x.total)} of ${x.total}` : ''
  }

  // ---- schedule detail ----------------------------------------------------------------------

  function renderDetail() {
    const r = state.route
    const d = state.detail
    const missing = byId('detail-missing')
    const body = byId('detail-body')
    byId('history-all').setAttribute('href', executionsHash({ scheduleId: r.id }))
    if (!d) {
      body.hidden = !!state.detailError
      missing.hidden = !state.detailError
      if (state.detailError) {
        missing.textContent = state.detailError.status === 404 ? `No schedule '${r.id}' here. ` : `Could not load '${r.id}': ${errorText(state.detailError)} `
        missing.append(h('a', { href: '#', text: 'Back to all schedules' }))
        replace(byId('detail-actions'))
        byId('detail-summary').textContent = ''
      }
      return
    }
    body.hidden = false
    missing.hidden = true
    const s = d.schedule
    byId('detail-title').textContent = s.name && s.name !== s.scheduleId ? `${s.scheduleId} — ${s.name}` : s.scheduleId
    replace(byId('detail-summary'),
      h('code', { text: s.cron }), ' ', h('span', { text: s.description || '' }), ' · ',
      h('span.mono', { text: s.timezone }), ' · ', stateBadge(s.state, s.pauseNote), ' ', handlerBadge(s),
      s.pauseNote ? h('span.note', { text: ` “${s.pauseNote}”` }) : null,
      s.workflowId !== s.scheduleId ? h('span.hint', { text: ` · workflow ${s.workflowId}` }) : null,
      stalledNote(s),
      h('div.strip-row', null, h('span.hint', { text: 'Recent runs ' }), strip(s.recent)))
    replace(byId('detail-actions'), actionButtons(s, 'detail'))

    replace(byId('upcoming-body'), d.upcoming.length
      ? d.upcoming.map((u, i) => h(`tr${u.dst ? '.dst' : ''}`, null,
        h('td.num', { text: String(i + 1) }),
        h('td.mono', null, u.zoneTime, ' ', h('span.hint', { text: u.offset })),
        h('td.mono', { text: utcTime(u.at).replace(' UTC', '') }),
        h('td.mono', { title: localTime(u.at), text: zoneTime(u.at, undefined) }),
        h('td', null, u.dst ? h(`span.badge.dst-${u.dst}`, { tabindex: 0, title: DST_HELP[u.dst] || u.dst, 'aria-label': `${u.dst}: ${DST_HELP[u.dst] || ''}`, text: u.dst === 'gap' ? 'DST gap' : 'DST repeat' }) : null)))
      : h('tr', null, h('td.empty', { colspan: 5, text: 'No upcoming fires.' })))

    renderLateness(d.lateness)

    replace(byId('history-body'), d.history.length
      ? executionRows(d.history, 'hist')
      : h('tr', null, h('td.empty', { colspan: 9, text: 'No executions yet.' })))

    replace(byId('skipped'), d.skipped.length
      ? h('table.grid.compact', null,
        h('thead', null, h('tr', null, ['Scheduled (UTC)', 'Reason', 'Recorded (UTC)'].map((t) => h('th', { scope: 'col', text: t })))),
        h('tbody', null, d.skipped.map((k) => h('tr', null,
          h('td.mono', { title: localTime(k.scheduledTime), text: utcTime(k.scheduledTime).replace(' UTC', '') }),
          h('td', null, h('span.badge.reason', { title: SKIP_HELP[k.reason] || k.reason, text: k.reason }), h('div.hint', { text: SKIP_HELP[k.reason] || '' })),
          h('td.mono', { text: k.recordedAt ? utcTime(k.recordedAt).replace(' UTC', '') : '—' })))))
      : h('p.hint', { text: 'None: every due occurrence ran.' }))

    const configText = JSON.stringify(d.config, null, 2)
    const pre = byId('detail-config')
    if (pre.textContent !== configText) pre.textContent = configText

    const canBackfill = state.overview && !state.overview.readOnly && state.overview.actions.backfill
    byId('backfill-run').hidden = !canBackfill
  }

  function renderLateness(l) {
    const box = byId('lateness')
    if (!l || !l.count) {
      replace(box, h('p.hint', { text: 'No fires measured yet.' }))
      return
    }
    const max = Math.max(1, ...l.buckets.map((b) => b.count))
    let lower = 0
    const bars = l.buckets.map((b) => {
      const label = b.le === '+Inf' ? `>${seconds(lower)}` : `≤${seconds(b.le)}`
      const range = b.le === '+Inf' ? `over ${seconds(lower)}` : `${seconds(lower)} – ${seconds(b.le)}`
      if (b.le !== '+Inf') lower = b.le
      const bar = h('span.bar', { 'aria-hidden': 'true' })
      bar.style.height = `${b.count ? Math.max(3, (b.count / max) * 100) : 0}%`
      return h(`div.col${b.count ? '' : '.zero'}`, { title: `${b.count} fire${b.count === 1 ? '' : 's'} late by ${range}`, role: 'listitem', 'aria-label': `${label}: ${b.count}` },
        h('span.n', { text: b.count ? String(b.count) : '' }),
        h('div.bar-box', null, bar),
        h('span.lbl', { text: label }))
    })
    replace(box,
      h('div.histogram', { role: 'list' }, bars),
      h('p.hint', { text: `${l.count} fire${l.count === 1 ? '' : 's'}, mean ${seconds(l.sum / l.count)} late` }))
  }

  // ---- backfill -----------------------------------------------------------------------------

  function toInputValue(ms) {
    return new Date(ms).toISOString().slice(0, 19)
  }

  function fromInputValue(value) {
    if (!value) return null
    const text = value.length === 16 ? `${value}:00` : value
    const d = new Date(`${text}Z`)
    return Number.isNaN(d.getTime()) ? null : d.toISOString()
  }

  function resetBackfill() {
    const now = Math.floor(nowMs() / 60_000) * 60_000
    byId('backfill-from').value = toInputValue(now - 3_600_000)
    byId('backfill-to').value = toInputValue(now)
    replace(byId('backfill-result'))
    byId('backfill-run').disabled = true
    state.preview = null
  }

  function backfillRange() {
    const from = fromInputValue(byId('backfill-from').value)
    const to = fromInputValue(byId('backfill-to').value)
    if (!from || !to) throw new Error('Enter both times.')
    if (Date.parse(from) >= Date.parse(to)) throw new Error('"From" must be before "To".')
    return { from, to }
  }

  async function previewBackfill(e) {
    e.preventDefault()
    const id = state.route.id
    const out = byId('backfill-result')
    byId('backfill-run').disabled = true
    state.preview = null
    let range
    try {
      range = backfillRange()
    } catch (err) {
      replace(out, h('p.err', { role: 'alert', text: err.message }))
      return
    }
    replace(out, h('p.hint', { text: 'Listing occurrences…' }))
    try {
      const q = new URLSearchParams({ id, from: range.from, to: range.to })
      const p = await api(`api/backfill-preview?${q}`)
      if (state.route.view !== 'schedule' || state.route.id !== id) return
      state.preview = { id, ...range, count: p.count }
      const shown = p.occurrences.slice(0, 20)
      replace(out,
        h('p', null, h('strong', { text: `${p.count}${p.truncated ? '+' : ''} occurrence${p.count === 1 ? '' : 's'}` }),
          ` between ${utcTime(range.from)} and ${utcTime(range.to)}`, p.truncated ? ' (list truncated by the server)' : ''),
        shown.length ? h('ol.occurrences.mono', null, shown.map((at) => h('li', { title: threeTimes(at, state.detail ? state.detail.schedule.timezone : 'UTC'), text: utcTime(at) }))) : null,
        p.occurrences.length > shown.length ? h('p.hint', { text: `… and ${p.occurrences.length - shown.length} more` }) : null)
      byId('backfill-run').disabled = p.count === 0
    } catch (err) {
      replace(out, h('p.err', { role: 'alert', text: `Preview failed: ${errorText(err)}` }))
      notify('error', `Backfill preview failed: ${errorText(err)}`)
    }
  }

  async function runBackfill() {
    const p = state.preview
    if (!p || p.id !== state.route.id) return
    const out = byId('backfill-result')
    const button = byId('backfill-run')
    button.disabled = true
    try {
      const answer = await post('backfill', { scheduleId: p.id, from: p.from, to: p.to })
      const n = (answer.executionIds || []).length
      replace(out, h('p.ok', { text: `Backfill queued ${n} execution${n === 1 ? '' : 's'}.` }))
      notify('ok', `Backfill of ${p.id}: ${n} execution${n === 1 ? '' : 's'} queued`)
      state.preview = null
    } catch (err) {
      replace(out, h('p.err', { role: 'alert', text: `Backfill failed: ${errorText(err)}` }))
      notify('error', `Backfill of ${p.id} failed: ${errorText(err)}`)
      button.disabled = false
    }
    refreshNow()
  }

  // ---- wiring -------------------------------------------------------------------------------

  function start() {
    byId('pause-cancel').addEventListener('click', () => byId('pause-dialog').close('cancel'))
    byId('backfill-form').addEventListener('submit', previewBackfill)
    byId('backfill-run').addEventListener('click', runBackfill)
    for (const id of ['backfill-from', 'backfill-to']) {
      byId(id).addEventListener('input', () => {
        byId('backfill-run').disabled = true
        state.preview = null
      })
    }
    byId('exec-filters').addEventListener('change', () => onFiltersChanged(0))
    byId('exec-filters').addEventListener('submit', (e) => e.preventDefault())
    byId('filter-clear').addEventListener('click', () => {
      history.replaceState(null, '', '#executions')
      onRoute()
    })
    byId('schedule-filters').addEventListener('submit', (e) => {
      e.preventDefault()
      onSchedulesQuery(0)
    })
    for (const id of ['schedule-state', 'schedule-window', 'schedule-sort']) byId(id).addEventListener('change', () => onSchedulesQuery(0))
    // The search box's clear button sends 'search' with an empty value.
    byId('schedule-search').addEventListener('search', () => onSchedulesQuery(0))
    byId('schedules-prev').addEventListener('click', () => onSchedulesQuery(state.schedulesQuery.offset - SCHEDULES_PER_PAGE))
    byId('schedules-next').addEventListener('click', () => onSchedulesQuery(state.schedulesQuery.offset + SCHEDULES_PER_PAGE))
    byId('page-prev').addEventListener('click', () => onFiltersChanged(Math.max(0, (state.route.offset || 0) - PAGE_SIZE)))
    byId('page-next').addEventListener('click', () => onFiltersChanged((state.route.offset || 0) + PAGE_SIZE))
    document.querySelector('.skip').addEventListener('click', (e) => {
      e.preventDefault()
      byId('main').focus()
    })
    window.addEventListener('hashchange', onRoute)
    onRoute()
  }

  start()
})()
