// Crash safety: a child process runs a workload on an sqlite store and is killed with
// SIGKILL at random moments, several times; a last run stops gracefully and reports the
// store. Every due occurrence must be executed or recorded as skipped, each exactly once;
// every execution must end in a final state; no attempt may run twice; and the counters
// must agree with the records.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const WORKER = path.join(__dirname, 'fixtures', 'crash-worker.js')
const FINAL = new Set(['completed', 'failed', 'cancelled', 'timeout'])

function runWorker(db, logFile, { killAfterMs, finish = false }) {
  return new Promise((resolve, reject) => {
    const args = [WORKER, db, logFile, ...(finish ? ['finish'] : [])]
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d) => (out += d))
    child.stderr.on('data', (d) => (out += d))
    const timer = killAfterMs === undefined ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      clearTimeout(guard)
      resolve({ code, signal, out })
    })
  })
}

test('SIGKILL at random moments loses no occurrence, no execution and no count', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-crash-'))
  const db = path.join(dir, 'state.db')
  const logFile = path.join(dir, 'attempts.log')
  try {
    let killed = 0
    for (let round = 0; round < 6; round++) {
      const r = await runWorker(db, logFile, { killAfterMs: 300 + Math.floor(Math.random() * 2200) })
      if (r.signal === 'SIGKILL') killed++
      else throw new Error(`round ${round} ended by itself (${r.code}): ${r.out}`)
    }
    expect(killed).toBe(6)
    const last = await runWorker(db, logFile, { finish: true })
    expect(last.code).toBe(0)
    const records = JSON.parse(last.out.match(/^RECORDS (.*)$/m)[1])
    const lines = fs.readFileSync(logFile, 'utf8').trim().split('\n').map((l) => l.split(' '))

    // No store error and no crash of the worker in any round.
    expect(lines.filter(([kind]) => kind === 'error' || kind === 'crash')).toEqual([])

    // Every execution ended in a final state.
    const executions = records.executions
    expect(executions.length).toBeGreaterThan(10)
    expect(executions.filter((e) => !FINAL.has(e.status))).toEqual([])

    // No attempt started twice: an attempt number is used once per execution, and a new
    // attempt follows only a recorded failure (an interruption counts as one).
    const started = new Map()
    for (const [kind, id, attempt] of lines) {
      if (kind !== 'start') continue
      const key = `${id}#${attempt}`
      expect(started.has(key)).toBe(false)
      started.set(key, true)
    }
    const byId = new Map(executions.map((e) => [e.id, e]))
    for (const key of started.keys()) {
      const [id, attempt] = key.split('#')
      const e = byId.get(id)
      expect(e).toBeDefined()
      expect(e.attempts.length).toBeGreaterThanOrEqual(Number(attempt))
      const earlier = e.attempts.slice(0, Number(attempt) - 1)
      for (const a of earlier) expect(a.error).not.toBeNull()
    }
    // An attempt the executor finished is recorded as such, unless the kill fell between
    // its return and the commit (then it is INTERRUPTED, never silently lost).
    for (const [kind, id, attempt] of lines) {
      if (kind !== 'end') continue
      const a = byId.get(id).attempts[Number(attempt) - 1]
      if (a.error) expect(a.error.code).toBe('INTERRUPTED')
    }

    for (const schedule of records.schedules) {
      const [, , before, after] = lines.find(([kind, id]) => kind === 'created' && id === schedule.id).map(Number)
      const runs = executions.filter(
        (e) => e.scheduleId === schedule.id && (e.triggerType === 'scheduled' || e.triggerType === 'catchup'),
      )
      const handled = [
        ...runs.map((e) => new Date(e.scheduledTime).getTime()),
        ...schedule.skipped.map((s) => new Date(s.scheduledTime).getTime()),
      ].sort((a, b) => a - b)
      // Each occurrence handled once: never both run and skipped, never run twice.
      expect(new Set(handled).size).toBe(handled.length)
      // And none missing: every whole second from creation to the last handled one. The
      // creation instant lies between the times read before and after the call.
      const firstSecondAfter = (ms) => Math.floor(ms / 1000) * 1000 + 1000
      const first = handled[0]
      expect(first).toBeGreaterThanOrEqual(firstSecondAfter(before))
      expect(first).toBeLessThanOrEqual(firstSecondAfter(after))
      const lastHandled = handled[handled.length - 1]
      const expected = []
      for (let t = first; t <= lastHandled; t += 1000) expected.push(t)
      expect(handled).toEqual(expected)

      // The counters agree with the records.
      const count = (status) => runs.filter((e) => status.includes(e.status)).length
      expect(schedule.metrics.totalExecutions).toBe(runs.length)
      expect(schedule.metrics.successfulExecutions).toBe(count(['completed']))
      expect(schedule.metrics.failedExecutions).toBe(count(['failed', 'timeout']))
      expect(schedule.metrics.cancelledExecutions).toBe(count(['cancelled']))
      expect(schedule.metrics.skippedFires).toBe(schedule.skipped.length)
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}, 90_000)
