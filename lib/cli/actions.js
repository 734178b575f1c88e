'use strict'
// The actions a schedules file can run: a command (no shell) or an HTTP request. Each is
// given the execution's AbortSignal, so a timeout, a cancel or a stop ends it, and fails
// with a code the retry policy can match: EXIT_<n>, SIGNAL_<name>, HTTP_<status>, or the
// system's code (ENOENT, ECONNREFUSED, ...). `${NAME}` in an action is read from the
// environment as it starts; what the action returns or throws holds `${NAME}`, not the value.

const { spawn } = require('node:child_process')
const fs = require('node:fs')
const { hideSecret } = require('./terminal.js')
const { resolveAction } = require('./variables.js')

const OUTPUT_LIMIT = 4000 // characters of stdout, stderr or response body kept in a result
const KILL_GRACE_MS = 2000 // after SIGTERM, before SIGKILL

/**
 * The integration's executor: runs the action of the schedule that fired. Its `abortAll()`
 * ends every running action at once (a second Ctrl-C while `tickflow run` is stopping).
 */
function actionExecutor(actions) {
  const running = new Set()
  function runAction(request) {
    const action = actions.get(request.scheduledWorkflowId)
    if (action === undefined) {
      throw failure('NO_ACTION', `schedule '${request.scheduledWorkflowId}' is in the store but not in the schedules file`)
    }
    let resolved
    try {
      resolved = resolveAction(action, process.env)
    } catch (err) {
      throw failure(err.code, err.message)
    }
    for (const { value } of resolved.used) hideSecret(value)
    const hide = concealer(resolved.used)
    // Aborted by the integration (timeout, cancel, stop) or by abortAll().
    const controller = new AbortController()
    const forward = () => controller.abort()
    if (request.signal.aborted) forward()
    else request.signal.addEventListener('abort', forward, { once: true })
    running.add(controller)
    const run = action.type === 'command' ? runCommand : runHttp
    return run(resolved.action, request, controller.signal).then(hide, (err) => Promise.reject(hide(err))).finally(() => {
      running.delete(controller)
      request.signal.removeEventListener('abort', forward)
    })
  }
  runAction.abortAll = () => running.forEach((controller) => controller.abort())
  return runAction
}

/** Puts `${NAME}` back wherever a value read from the environment turns up in a result or
 * an error (a server that echoes its URL, a command that prints its arguments): these are
 * stored, sent in events and printed. Values under 4 characters, as for the print boundary,
 * are left: replacing them would garble ordinary output, and they guard nothing. */
function concealer(used) {
  const values = [...new Map(used.filter((u) => u.value.length >= 4).map((u) => [u.value, u.name]))].sort((a, b) => b[0].length - a[0].length)
  if (values.length === 0) return (x) => x
  const text = (s) => values.reduce((out, [value, name]) => out.split(value).join(`\${${name}}`), s)
  const deep = (x) => {
    if (typeof x === 'string') return text(x)
    if (Array.isArray(x)) return x.map(deep)
    if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [text(k), deep(v)]))
    return x
  }
  return (x) => {
    if (!(x instanceof Error)) return deep(x)
    x.message = text(x.message)
    x.stack = text(String(x.stack))
    return x
  }
}

/** An Error for a failed action; its stack names the action, not tickflow's own frames. */
function failure(code, message) {
  const err = new Error(message)
  err.code = code
  err.stack = `${code}: ${message}`
  return err
}

function runCommand({ argv, cwd, env }, request, signal = request.signal) {
  // spawn reports a missing cwd as ENOENT, as if the program were missing: say which it is.
  if (!isDirectory(cwd)) return Promise.reject(failure('ENOENT', `cannot run '${argv[0]}': working directory ${cwd} does not exist`))
  return new Promise((resolve, reject) => {
    // Its own process group (detached), so a timeout also ends whatever it started.
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      env: { ...process.env, ...env, ...executionVariables(request) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: process.platform !== 'win32',
      windowsHide: true,
    })
    const stdout = capture(child.stdout)
    const stderr = capture(child.stderr)
    let killTimer = null
    let settled = false
    const kill = (sig) => {
      try {
        if (process.platform !== 'win32') process.kill(-child.pid, sig)
        else child.kill(sig)
      } catch {
        // already gone
      }
    }
    const onAbort = () => {
      kill('SIGTERM')
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS)
    }
    const settle = (fn, value) => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      clearTimeout(killTimer)
      fn(value)
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })

    child.on('error', (err) => {
      const why = err.code === 'ENOENT' ? 'command not found' : err.code === 'EACCES' ? 'permission denied' : err.message
      settle(reject, failure(err.code || 'SPAWN_FAILED', `cannot run '${argv[0]}': ${why}`))
    })
    child.on('close', (code, sig) => {
      const out = stdout.text()
      const err = stderr.text()
      if (code === 0) return settle(resolve, { exitCode: 0, stdout: out, ...(err && { stderr: err }) })
      const how = code !== null ? `exited with code ${code}` : `was killed by ${sig}`
      if (signal.aborted) return settle(reject, failure('ABORTED', `'${argv[0]}' was stopped by tickflow and ${how}`))
      const lastErrorLine = err.split('\n').filter(Boolean).pop()
      settle(reject, failure(code !== null ? `EXIT_${code}` : `SIGNAL_${sig}`, lastErrorLine ? `${how}: ${lastErrorLine}` : how))
    })
  })
}

async function runHttp({ url, shownUrl = url, method = 'GET', headers = {}, body }, request, signal = request.signal) {
  const sent = { ...headers }
  const has = (name) => Object.keys(sent).some((k) => k.toLowerCase() === name)
  // Lets the server recognise a retried attempt of the same execution.
  if (!has('x-tickflow-execution-id')) sent['x-tickflow-execution-id'] = request.executionId
  let payload
  if (typeof body === 'string') payload = body
  else if (body !== undefined) {
    payload = JSON.stringify(body)
    if (!has('content-type')) sent['content-type'] = 'application/json'
  }

  let response
  let text
  try {
    response = await fetch(url, { method, headers: sent, body: payload, signal })
    text = method === 'HEAD' ? '' : await response.text()
  } catch (err) {
    if (signal.aborted) throw failure('ABORTED', `${method} ${shownUrl} was stopped by tickflow`)
    const cause = err.cause || {}
    throw failure(cause.code || 'HTTP_ERROR', `${method} ${shownUrl} failed: ${cause.message || err.message}`)
  }
  if (!response.ok) {
    const said = text.trim().split('\n', 1)[0]
    throw failure(`HTTP_${response.status}`, `${method} ${shownUrl} answered ${response.status} ${response.statusText}${said ? `: ${cut(said, 200)}` : ''}`)
  }
  return { status: response.status, body: responseBody(text, response.headers.get('content-type')) }
}

/** JSON bodies as values, others as (cut) text. */
function responseBody(text, contentType) {
  if (contentType && contentType.includes('json') && text.length <= OUTPUT_LIMIT) {
    try {
      return JSON.parse(text)
    } catch {
      // not JSON after all: keep the text
    }
  }
  return cut(text.trim(), OUTPUT_LIMIT)
}

/** What a command can read about the run that started it. */
function executionVariables(request) {
  return {
    TICKFLOW_SCHEDULE_ID: request.scheduleId,
    TICKFLOW_EXECUTION_ID: request.executionId,
    TICKFLOW_ATTEMPT: String(request.attempt),
    TICKFLOW_SCHEDULED_TIME: request.scheduledTime.toISOString(),
  }
}

/** Collects a stream's first OUTPUT_LIMIT characters and counts the rest. */
function capture(stream) {
  let kept = ''
  let dropped = 0
  stream.setEncoding('utf8')
  stream.on('data', (chunk) => {
    const room = Math.max(OUTPUT_LIMIT - kept.length, 0)
    kept += chunk.slice(0, room)
    dropped += Math.max(chunk.length - room, 0)
  })
  return { text: () => (dropped > 0 ? `${kept.trimEnd()}\n… (${dropped} more characters)` : kept.trim()) }
}

function isDirectory(dir) {
  try {
    return fs.statSync(dir).isDirectory()
  } catch {
    return false
  }
}

const cut = (text, max) => (text.length > max ? `${text.slice(0, max)}… (${text.length - max} more characters)` : text)

module.exports = { actionExecutor, runCommand, runHttp, failure }
