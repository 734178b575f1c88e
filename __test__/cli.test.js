// The tickflow command, run as a user runs it: `node bin/tickflow.js ...` in a child process,
// judged by its exit code and what it prints. The file checks, the store reconciliation and
// the status table are also tested in-process against a manual-clock integration.
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')

const { WorkflowScheduleIntegration } = require('..')
const { checkSchedules, readSchedulesFile, toWorkflowConfig, rules } = require('../lib/cli/schedules-file.js')
const { reconcile, plan } = require('../lib/cli/reconcile.js')
const { renderStatus } = require('../lib/cli/status.js')
const { renderHistory } = require('../lib/cli/history.js')
const { colours } = require('../lib/cli/format.js')

const ROOT = path.join(__dirname, '..')
const BIN = path.join(ROOT, 'bin', 'tickflow.js')
const FIXTURES = path.join(__dirname, 'fixtures')
const fixture = (name) => path.join(FIXTURES, name)

/**
 * Runs the CLI; resolves with its exit code, signal and output. `onStdout(text, child)` sees
 * the output as it grows (to send a signal at the right moment).
 */
function tickflow(args, { cwd = ROOT, env = {}, onStdout, killAfterMs = 30_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: '1', TZ: 'UTC', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => {
      stdout += d
      if (onStdout) onStdout(stdout, child)
    })
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
  })
}

const tempDirs = []
function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-cli-'))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

describe('help and usage', () => {
  test('--help lists every command and the exit codes', async () => {
    const r = await tickflow(['--help'])
    expect(r.code).toBe(0)
    for (const command of ['run', 'next', 'status', 'history', 'validate']) expect(r.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))
    expect(r.stdout).toMatch(/0 ok, 1 runtime error .*, 2 usage or validation error/)
  })

  test.each(['run', 'next', 'status', 'history', 'validate'])('%s --help', async (command) => {
    const r = await tickflow([command, '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^Usage: tickflow ${command}`))
    expect(r.stdout).toMatch(/Exit status:/)
  })

  test.each(['status', 'history'])('%s --help lists every option it takes, --store included', async (command) => {
    const r = await tickflow([command, '--help'])
    for (const option of ['--db', '--store', '--help']) expect(r.stdout).toMatch(new RegExp(`^\\s+(-\\w, )?${option}\\b`, 'm'))
    expect(r.stdout.split('\n')[0]).toMatch(/--store postgres:\/\//)
  })

  test('--version prints the package version', async () => {
    const r = await tickflow(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout.trim()).toBe(`tickflow ${require('../package.json').version}`)
  })

  test('no command, an unknown command or an unknown option: usage on stderr, exit 2', async () => {
    const none = await tickflow([])
    expect(none.code).toBe(2)
    expect(none.stderr).toMatch(/no command given[\s\S]*Usage: tickflow <command>/)

    const unknown = await tickflow(['nxt'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/unknown command 'nxt'/)

    const flag = await tickflow(['next', '* * * * *', '--bogus'])
    expect(flag.code).toBe(2)
    expect(flag.stderr).toMatch(/tickflow next: unknown option '--bogus'[\s\S]*Usage: tickflow next/)

    const missing = await tickflow(['next'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/missing argument <pattern>/)

    const count = await tickflow(['next', '* * * * *', '-n', 'many'])
    expect(count.code).toBe(2)
    expect(count.stderr).toMatch(/--count expects a whole number from 1 to 1000, got 'many'/)
  })
})

describe('tickflow next', () => {
  test('a table of runs in the zone and in UTC, across a daylight-saving change', async () => {
    const r = await tickflow(['next', '0 9 * * 1-5', '--tz', 'Europe/Berlin', '--from', '2026-03-27T00:00:00Z', '-n', '3'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('At 09:00, Monday through Friday (0 9 * * 1-5), in Europe/Berlin')
    expect(lines[1].split(/\s{2,}/)).toEqual(['#', 'local (Europe/Berlin)', 'UTC', 'when'])
    expect(lines.slice(2).map((l) => l.trim().split(/\s{2,}/))).toEqual([
      ['1', '2026-03-27 09:00:00 Fri +01:00', '2026-03-27 08:00:00Z', 'in 8h'],
      ['2', '2026-03-30 09:00:00 Mon +02:00', '2026-03-30 07:00:00Z', 'in 3d 7h'],
      ['3', '2026-03-31 09:00:00 Tue +02:00', '2026-03-31 07:00:00Z', 'in 4d 7h'],
    ])
  })

  test('six fields count seconds', async () => {
    const r = await tickflow(['next', '*/20 * * * * *', '--from', '2026-01-01T00:00:00Z', '-n', '2'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/1 {2}2026-01-01 00:00:20 Thu \+00:00 {2}2026-01-01 00:00:20Z {2}in 20s/)
    expect(r.stdout).toMatch(/2 {2}2026-01-01 00:00:40 Thu \+00:00 {2}2026-01-01 00:00:40Z {2}in 40s/)
  })

  test('--from takes a date and time with its offset only, as the API does', async () => {
    for (const from of ['2026-03-07T00:00:00', '2026-03-07', '2026-02-30T00:00:00Z', '2026-03-07T24:00:00Z', 'soon']) {
      const r = await tickflow(['next', '0 9 * * *', '--from', from])
      expect({ from, code: r.code }).toEqual({ from, code: 2 })
      expect(r.stderr).toContain(`--from expects an ISO 8601 date and time with its offset, such as 2026-03-29T00:00:00Z, got '${from}'`)
    }
    const offset = await tickflow(['next', '0 9 * * *', '--from', '2026-03-07T00:00:00.5+01:00', '-n', '1'])
    expect(offset.code).toBe(0)
    expect(offset.stdout).toContain('2026-03-07 09:00:00Z')
  })

  test('an invalid pattern: each bad field and token, underlined, exit 2', async () => {
    const r = await tickflow(['next', '0 0 32 * 8'])
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.split('\n')
    expect(lines[0]).toBe("tickflow next: invalid cron pattern '0 0 32 * 8'")
    expect(lines[1]).toBe('  0 0 32 * 8')
    expect(lines[2]).toBe("      ^^      day-of-month: '32' is out of range 1-31")
    expect(lines[3]).toBe("           ^  day-of-week: '8' is out of range 0-7")
  })

  test('an unknown time zone, exit 2', async () => {
    const r = await tickflow(['next', '* * * * *', '--tz', 'Mars/Olympus_Mons'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--tz: unknown time zone 'Mars\/Olympus_Mons'/)
  })
})

describe('tickflow validate', () => {
  test('a valid file (every field used) and the shipped example: exit 0', async () => {
    for (const file of [fixture('valid.json'), path.join(ROOT, 'examples', 'schedules.json'), path.join(ROOT, 'examples', 'schedules-http.json')]) {
      const r = await tickflow(['validate', file])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^ok .*: \d+ schedules?, no errors/)
    }
  })

  test('an invalid file: every error with its path, exit 2', async () => {
    const r = await tickflow(['validate', fixture('invalid.json')])
    expect(r.code).toBe(2)
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim())
    expect(errors.map((e) => e.slice(0, e.indexOf(': ')))).toEqual([
      'colour',
      'timezone',
      'schedules[1].command',
      'schedules[1].retries.maxAttempts',
      'schedules[1].id',
      'schedules[1].cron',
      'schedules[1].cron',
      'schedules[2].id',
      'schedules[2].http.url',
      'schedules[2].cwd',
      'schedules[2].http.body',
      'schedules[3].endDate',
      'schedules[3].http',
      'schedules[3].startDate',
      'schedules[4].timeoutMs',
      'schedules[4].overlapPolicy',
      'schedules[4].retries.jitter',
      'schedules[5].id',
      'schedules[5].cron',
      'schedules[5]',
    ])
    expect(r.stderr).toMatch(/^tickflow validate: .*invalid\.json: 20 errors$/m)
    expect(errors).toContain("schedules[1].cron: day-of-month: '32' is out of range 1-31")
    expect(errors).toContain("schedules[1].id: duplicate id 'first' (also schedules[0].id)")
    expect(errors).toContain("schedules[3].startDate: is not a date on the calendar: '2026-02-30T00:00:00Z'")
  })

  test('bad JSON is located by line and column; a missing file is named; both exit 2', async () => {
    const bad = await tickflow(['validate', fixture('not-json.json')])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/not-json\.json is not valid JSON \(line 3, column 60\): unexpected '\}', expected a property name in double quotes/)

    const missing = await tickflow(['validate', fixture('no-such-file.json')])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/cannot read .*no-such-file\.json: no such file/)
  })

  test('run refuses an invalid file with the same errors, exit 2', async () => {
    const r = await tickflow(['run', fixture('invalid.json'), '--store', 'memory', '--for', '1s'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/invalid\.json: 20 errors/)
    expect(r.stderr).toMatch(/schedules\[4\]\.overlapPolicy: expected one of/)
  })
})

describe('tickflow run', () => {
  test('--store memory --for 3s: a schedule firing every second runs its command, then a summary, exit 0', async () => {
    const out = path.join(tempDir(), 'runs.txt')
    const r = await tickflow(['run', fixture('append-every-second.json'), '--store', 'memory', '--for', '3s'], { env: { TICKFLOW_TEST_OUT: out } })
    expect(r.stderr).toBe('')
    expect(r.signal).toBeNull()
    expect(r.code).toBe(0)

    // The command ran, once per execution, with the execution's variables.
    const appended = fs.readFileSync(out, 'utf8').trim().split('\n')
    expect(appended.length).toBeGreaterThanOrEqual(1)
    for (const line of appended) expect(line).toMatch(/^append exec_\w+$/)

    // The live log: one line per event, in order for an execution.
    const [, firstId] = appended[0].split(' ')
    const ofFirst = r.stdout.split('\n').filter((l) => l.includes(firstId)).map((l) => l.split(/\s{2,}/)[2])
    expect(ofFirst).toEqual(['triggered', 'running', 'completed'])
    expect(r.stdout).toMatch(new RegExp(`append +completed +${firstId} +#1 +\\S+ +appended`))

    // The summary counts what ran.
    expect(r.stdout).toMatch(/3\.0s passed: stopping/)
    const summary = r.stdout.slice(r.stdout.indexOf('Summary after'))
    const row = summary.split('\n').find((l) => l.startsWith('append')).trim().split(/\s+/)
    const [, runs, completed, failed, cancelled, skipped] = row
    expect(Number(completed)).toBe(appended.length)
    expect(Number(runs)).toBe(appended.length)
    expect([failed, cancelled, skipped]).toEqual(['0', '0', '0'])
    expect(summary).toMatch(new RegExp(`${appended.length} executions?: ${appended.length} completed, 0 failed`))
  }, 30_000)

  test('failures, retries and timeouts are logged with their codes and counted', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'schedules.json')
    fs.writeFileSync(file, JSON.stringify({
      schedules: [
        {
          id: 'flaky', cron: '* * * * * *',
          retries: { maxAttempts: 2, delayMs: 100 },
          command: [process.execPath, '-e', "if (process.env.TICKFLOW_ATTEMPT === '1') { console.error('not yet'); process.exit(3) }"],
        },
        { id: 'slow', cron: '* * * * * *', timeoutMs: 200, command: [process.execPath, '-e', 'setTimeout(() => {}, 10000)'] },
      ],
    }))
    const r = await tickflow(['run', file, '--store', 'memory', '--for', '2500ms', '--grace', '1s'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/flaky +retrying +exec_\w+ +#2 in 100ms +EXIT_3: exited with code 3: not yet/)
    expect(r.stdout).toMatch(/flaky +completed +exec_\w+ +#2/)
    expect(r.stdout).toMatch(/slow +timeout +exec_\w+ +#1 +after/)
    expect(r.stdout).toMatch(/slow +failed +exec_\w+ +#1 +\S+ +TIMEOUT:/)
    // No slow run completes; one still running at the stop may be cancelled instead of failed.
    const summary = r.stdout.slice(r.stdout.indexOf('Summary after'))
    const [runs, completed, failed, cancelled] = summary.split('\n').find((l) => l.startsWith('slow')).trim().split(/\s+/).slice(1, 5).map(Number)
    expect(completed).toBe(0)
    expect(failed).toBeGreaterThanOrEqual(1)
    expect(failed + cancelled).toBe(runs)
  }, 30_000)

  test('Ctrl-C (SIGINT) stops gracefully: the running action finishes, then the summary, exit 0', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'schedules.json')
    fs.writeFileSync(file, JSON.stringify({
      schedules: [{ id: 'pause', cron: '* * * * * *', command: [process.execPath, '-e', "setTimeout(() => console.log('done'), 300)"] }],
    }))
    let sent = false
    const r = await tickflow(['run', file, '--store', 'memory'], {
      onStdout(text, child) {
        if (!sent && /pause +running/.test(text)) {
          sent = true
          child.kill('SIGINT')
        }
      },
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/SIGINT received: stopping, letting 1 running action finish/)
    expect(r.stdout).toMatch(/pause +completed +exec_\w+ +#1 +\S+ +done/)
    expect(r.stdout).toMatch(/Summary after/)
  }, 30_000)

  test('a stop that interrupts a running action says so in the summary: it runs again at the next start', async () => {
    const dir = tempDir()
    const file = path.join(dir, 'schedules.json')
    fs.writeFileSync(file, JSON.stringify({
      schedules: [{ id: 'hang', cron: '* * * * * *', command: [process.execPath, '-e', "console.log('started'); setTimeout(() => {}, 60000)"] }],
    }))
    let sent = false
    const r = await tickflow(['run', file, '--db', path.join(dir, 'state.db'), '--grace', '100ms'], {
      onStdout(text, child) {
        if (!sent && /hang +running/.test(text)) {
          sent = true
          child.kill('SIGINT')
        }
      },
    })
    expect(sent).toBe(true)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/1 execution: 0 completed, 0 failed, 0 cancelled; 1 not finished at the stop \(it runs again at the next start\)/)
  }, 30_000)

  test('HTTP actions: a 2xx completes with the answer, another status fails with HTTP_<status>', async () => {
    const hits = []
    const server = http.createServer((req, res) => {
      let body = ''
      req.on('data', (d) => (body += d))
      req.on('end', () => {
        hits.push({ url: req.url, method: req.method, body, execution: req.headers['x-tickflow-execution-id'], type: req.headers['content-type'] })
        res.writeHead(req.url === '/ok' ? 200 : 503, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ ok: req.url === '/ok' }))
      })
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const base = `http://127.0.0.1:${server.address().port}`
      const file = path.join(tempDir(), 'schedules.json')
      fs.writeFileSync(file, JSON.stringify({
        schedules: [
          { id: 'post', cron: '* * * * * *', http: { url: `${base}/ok`, method: 'POST', body: { hello: 'world' } } },
          { id: 'down', cron: '* * * * * *', http: { url: `${base}/down` } },
        ],
      }))
      const r = await tickflow(['run', file, '--store', 'memory', '--for', '2s'])
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/post +completed +exec_\w+ +#1 +\S+ +HTTP 200/)
      expect(r.stdout).toMatch(/down +failed +exec_\w+ +#1 +\S+ +HTTP_503: GET .*\/down answered 503 Service Unavailable/)
      const post = hits.find((h) => h.url === '/ok')
      expect(post).toMatchObject({ method: 'POST', body: '{"hello":"world"}', type: 'application/json' })
      expect(post.execution).toMatch(/^exec_/)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    }
  }, 30_000)

  test('bad options: --store memory with --db, an unknown store, a bad duration; exit 2', async () => {
    const file = fixture('append-every-second.json')
    const both = await tickflow(['run', file, '--store', 'memory', '--db', 'x.db'])
    expect(both.code).toBe(2)
    expect(both.stderr).toMatch(/--db names a sqlite file; it does not go with --store memory/)
    const store = await tickflow(['run', file, '--store', 'redis'])
    expect(store.code).toBe(2)
    expect(store.stderr).toMatch(/--store expects 'sqlite', 'memory' or a postgres:\/\/ connection string, got 'redis'/)
    const duration = await tickflow(['run', file, '--store', 'memory', '--for', '20'])
    expect(duration.code).toBe(2)
    expect(duration.stderr).toMatch(/--for expects a duration such as 20s/)
  })
})

describe('the sqlite store: run, then status and history', () => {
  test('run keeps its state in ./.tickflow/state.db (a private folder); status and history read it', async () => {
    const cwd = tempDir()
    const out = path.join(cwd, 'runs.txt')
    const r = await tickflow(['run', fixture('append-every-second.json'), '--for', '2s'], { cwd, env: { TICKFLOW_TEST_OUT: out } })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/store {2}sqlite \.tickflow\/state\.db/)
    expect(r.stdout).toMatch(/schedules {2}1 new/)
    const folder = fs.statSync(path.join(cwd, '.tickflow'))
    expect(folder.mode & 0o777).toBe(0o700)
    const ran = fs.readFileSync(out, 'utf8').trim().split('\n').length

    const status = await tickflow(['status'], { cwd })
    expect(status.code).toBe(0)
    const row = status.stdout.split('\n').find((l) => l.startsWith('append')).split(/\s{2,}/)
    expect(row[1]).toBe('* * * * * *')
    expect(row[2]).toBe('active')
    // Nothing holds the store: nothing fires, whatever the pattern says.
    expect(row[3]).toBe('not running')
    expect(status.stdout).toMatch(/^1 schedule in \.tickflow\/state\.db \(not running/)
    expect(row.slice(5)).toEqual(['completed', String(ran), '100%', expect.stringMatching(/ms$|s$/)])

    const json = await tickflow(['status', '--json'], { cwd })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ scheduleId: 'append', cron: '* * * * * *', timezone: 'UTC', state: 'active', nextRun: null, running: false, lastStatus: 'completed', runs: ran, successRate: 1 }),
    ])

    // --watch shows it again every 2 s until interrupted; the dashboard serves it read-only.
    let views = 0
    const watch = await tickflow(['status', '--watch', '--json'], {
      cwd,
      onStdout: (text, child) => {
        views = text.split('"scheduleId"').length - 1
        if (views === 2) child.kill('SIGINT')
      },
    })
    expect(views).toBe(2)
    expect(watch.code).toBe(0)
    let pages = null
    const served = await tickflow(['dashboard', '--port', '0'], {
      cwd,
      onStdout: (text, child) => {
        const url = /at (http:\S+)/.exec(text)
        if (!url || pages) return
        pages = Promise.all([fetch(`${url[1]}api/overview`).then((r) => r.json()), fetch(`${url[1]}api/actions/trigger`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"scheduleId":"append"}' }).then((r) => r.status)])
        pages.finally(() => child.kill('SIGINT'))
      },
    })
    expect(served.code).toBe(0)
    const [overview, triggerStatus] = await pages
    expect(overview).toMatchObject({ readOnly: true, schedules: [{ scheduleId: 'append', cron: '* * * * * *' }] })
    expect(triggerStatus).toBe(403)

    const history = await tickflow(['history', 'append', '-n', '1'], { cwd })
    expect(history.code).toBe(0)
    expect(history.stdout).toMatch(/^append {2}\* \* \* \* \* \* \(UTC\)$/m)
    expect(history.stdout).toMatch(new RegExp(`last status completed · success 100% · avg duration \\S+ · ${ran} runs`))
    const rows = history.stdout.split('\n').filter((l) => /^\d{4}-/.test(l))
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatch(/scheduled +completed +1 +\S+ +appended$/)

    // The same file again: the schedule is kept (with its history), not created anew.
    const again = await tickflow(['run', fixture('append-every-second.json'), '--for', '1s'], { cwd, env: { TICKFLOW_TEST_OUT: out } })
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/schedules {2}1 unchanged/)

    const unknown = await tickflow(['history', 'nope'], { cwd })
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/no schedule 'nope' in \.tickflow\/state\.db\n {2}it has: append/)
  }, 40_000)

  test("run on an application's store removes only what the file created; --dry-run prints the plan and changes nothing", async () => {
    const cwd = tempDir()
    const db = path.join(cwd, 'app.db')
    const env = { TICKFLOW_TEST_OUT: path.join(cwd, 'runs.txt') }
    // Dry run on a store that does not exist yet: the plan, and no file made.
    const first = await tickflow(['run', fixture('append-every-second.json'), '--db', db, '--dry-run'], { cwd, env })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/would create {2}append\n/)
    expect(first.stdout).toMatch(/Dry run: nothing was changed, nothing ran\./)
    expect(fs.existsSync(db)).toBe(false)

    // An application's store, with a schedule of its own.
    const app = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: db } })
    await app.schedule('app-report', '0 9 * * *', () => 'sent')
    await app.stop()
    // A file-made schedule from an earlier run, no longer in the file.
    const old = new WorkflowScheduleIntegration({ executor: () => null, store: { type: 'sqlite', path: db } })
    const gone = { schedules: [{ id: 'gone', cron: '@daily', command: ['true'] }] }
    await old.createScheduledWorkflow(toWorkflowConfig(gone.schedules[0], gone))
    await old.stop()

    const dry = await tickflow(['run', fixture('append-every-second.json'), '--db', db, '--dry-run'], { cwd, env })
    expect(dry.code).toBe(0)
    expect(dry.stdout).toMatch(/would create {2}append\n {2}would update {2}-\n {2}unchanged {5}-\n {2}would remove {2}gone \(no longer in the file\)\n/)
    expect(fs.existsSync(env.TICKFLOW_TEST_OUT)).toBe(false) // nothing ran
    const ids = async () => {
      const it = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: db, readonly: true } })
      await it.initialize()
      const found = it.getScheduledWorkflows().map((c) => c.id).sort()
      await it.stop()
      return found
    }
    expect(await ids()).toEqual(['app-report', 'gone'])

    const r = await tickflow(['run', fixture('append-every-second.json'), '--db', db, '--for', '1s'], { cwd, env })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/schedules {2}1 new, removed gone \(no longer in the file\)/)
    expect(await ids()).toEqual(['app-report', 'append'])
  }, 40_000)

  test("run does not run an application's schedules in the store it shares: their fires are skipped no_handler, never failed", async () => {
    const cwd = tempDir()
    const db = path.join(cwd, 'app.db')
    const env = { TICKFLOW_TEST_OUT: path.join(cwd, 'runs.txt') }
    const app = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: db } })
    await app.schedule('app-tick', '* * * * * *', () => 'ticked')
    await app.stop()

    const r = await tickflow(['run', fixture('append-every-second.json'), '--db', db, '--for', '2s'], { cwd, env })
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(fs.readFileSync(env.TICKFLOW_TEST_OUT, 'utf8').length).toBeGreaterThan(0) // the file's schedule ran

    const it = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: db, readonly: true } })
    await it.initialize()
    try {
      expect(await it.listExecutions({ scheduleId: 'app-tick' })).toEqual([])
      const skipped = await it.getSkippedOccurrences('app-tick')
      expect(skipped.length).toBeGreaterThan(0)
      expect(skipped.every((s) => s.reason === 'no_handler')).toBe(true)
    } finally {
      await it.stop()
    }
  }, 40_000)

  test('status lists schedules by id, whatever order the store holds them in', async () => {
    const cwd = tempDir()
    const db = path.join(cwd, 'app.db')
    const app = new WorkflowScheduleIntegration({ executor: () => null, store: { type: 'sqlite', path: db } })
    for (const id of ['m', 'z', 'a']) await app.createScheduledWorkflow({ id, workflowId: 'w', scheduleConfig: { cronExpression: '0 9 * * *' } })
    await app.stop()
    const json = await tickflow(['status', '--db', db, '--json'], { cwd })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).map((r) => r.scheduleId)).toEqual(['a', 'm', 'z'])
    const table = await tickflow(['status', '--db', db], { cwd })
    expect(table.stdout.split('\n').filter((l) => /^[amz] /.test(l)).map((l) => l[0])).toEqual(['a', 'm', 'z'])
  })

  test('run --help names --dry-run', async () => {
    const r = await tickflow(['run', '--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/--dry-run +print which schedules the store would get created, updated and\n/)
    expect(r.stdout).toMatch(/Schedules the file did not create \(an application's, in a\nstore it shares\) are left alone\./)
  })

  test('while a run holds the store, status reads it and a second run is refused (ERR_STORE_LOCKED, exit 1)', async () => {
    const cwd = tempDir()
    const env = { TICKFLOW_TEST_OUT: path.join(cwd, 'runs.txt') }
    let others = null
    const first = tickflow(['run', fixture('append-every-second.json')], {
      cwd, env,
      onStdout(text, child) {
        if (others === null && /append +completed/.test(text)) {
          others = Promise.all([tickflow(['status'], { cwd }), tickflow(['run', fixture('append-every-second.json'), '--for', '1s'], { cwd, env })])
          others.then(() => child.kill('SIGTERM'))
        }
      },
    })
    const r = await first
    const [status, second] = await others
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/SIGTERM received: stopping/)
    expect(status.code).toBe(0)
    expect(status.stdout).toMatch(/^append +\* \* \* \* \* \* +active +(in \d+s|now) /m)
    expect(status.stdout).not.toMatch(/not running/)
    expect(second.code).toBe(1)
    expect(second.stderr).toMatch(/cannot open the store \(sqlite \.tickflow\/state\.db\): .* \(ERR_STORE_LOCKED\)\n {2}another 'tickflow run'/)
  }, 40_000)

  test('a store another program owns, or a damaged one, is refused with its code and left as it was', async () => {
    const cwd = tempDir()
    const foreign = path.join(cwd, 'other.db')
    fs.copyFileSync(fixture('foreign.db'), foreign)
    const damaged = path.join(cwd, 'notes.db')
    fs.writeFileSync(damaged, 'not a database\n'.repeat(500))
    for (const [file, code] of [[foreign, 'ERR_STORE_FOREIGN'], [damaged, 'ERR_STORE_CORRUPT']]) {
      const before = fs.readFileSync(file)
      for (const args of [['status', '--db', file], ['run', fixture('append-every-second.json'), '--db', file, '--for', '1s']]) {
        const r = await tickflow(args, { cwd })
        expect(r.code).toBe(1)
        expect(r.stderr).toContain(`(${code})`)
        expect(r.stderr).toMatch(/name another store with --db/)
      }
      expect(fs.readFileSync(file).equals(before)).toBe(true)
    }
  }, 30_000)

  test('status with no store: a clear message, exit 1', async () => {
    const r = await tickflow(['status', '--db', path.join(tempDir(), 'missing.db')])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/no store at .*missing\.db\n {2}tickflow run <schedules\.json> creates it/)
  })
})

describe('in process', () => {
  const paint = colours({ isTTY: false })

  test('the valid fixture passes the checks and the engine accepts every config it makes', async () => {
    const doc = readSchedulesFile(fixture('valid.json'))
    expect(checkSchedules(doc)).toEqual({ errors: [], warnings: [] })
    const integration = new WorkflowScheduleIntegration({ executor: () => null, clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z') })
    await integration.initialize()
    for (const s of doc.schedules) await integration.createScheduledWorkflow(toWorkflowConfig(s, doc))
    const report = integration.getScheduledWorkflow('nightly-report')
    expect(report.executionConfig).toEqual({
      timeout: 60000,
      priority: 'high',
      retryPolicy: { maxAttempts: 3, backoffStrategy: 'exponential', initialDelay: 1000, maxDelay: 30000, multiplier: 2, jitter: 0.2, retryableErrors: ['EXIT_1', 'TIMEOUT'] },
    })
    expect(report.scheduleConfig.timezone).toBe('America/New_York')
    expect(integration.getScheduledWorkflow('ping').scheduleConfig.timezone).toBe('Europe/Berlin') // the file's
    await integration.stop()
  })

  test('reconcile: new schedules are created, changed ones updated (removed fields cleared), missing ones deleted', async () => {
    const integration = new WorkflowScheduleIntegration({ executor: () => null, clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z') })
    await integration.initialize()
    const doc = {
      schedules: [
        { id: 'a', cron: '* * * * *', timeoutMs: 1000, command: ['true'] },
        { id: 'b', cron: '0 * * * *', command: ['true'] },
        { id: 'c', cron: '0 0 * * *', command: ['true'] },
      ],
    }
    const configs = (d) => d.schedules.map((s) => toWorkflowConfig(s, d))
    expect(await reconcile(integration, configs(doc))).toEqual({ created: ['a', 'b', 'c'], updated: [], unchanged: [], removed: [] })
    expect(await reconcile(integration, configs(doc))).toEqual({ created: [], updated: [], unchanged: ['a', 'b', 'c'], removed: [] })

    const changed = { schedules: [{ id: 'a', cron: '*/2 * * * *', command: ['true'] }, doc.schedules[1], { id: 'd', cron: '@daily', command: ['true'] }] }
    expect(await reconcile(integration, configs(changed))).toEqual({ created: ['d'], updated: ['a'], unchanged: ['b'], removed: ['c'] })
    const a = integration.getScheduledWorkflow('a')
    expect(a.scheduleConfig.cronExpression).toBe('*/2 * * * *')
    expect(a.executionConfig.timeout == null).toBe(true) // the file no longer has timeoutMs
    expect(integration.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(['a', 'b', 'd'])
    await integration.stop()
  })

  test("reconcile leaves an application's schedules alone; plan tells what it would do, changing nothing", async () => {
    const integration = new WorkflowScheduleIntegration({ executor: () => null, clock: 'manual', startTime: new Date('2026-01-01T00:00:00Z') })
    await integration.createScheduledWorkflow({ id: 'app-job', workflowId: 'wf-app', scheduleConfig: { cronExpression: '@hourly' } })
    const doc = { schedules: [{ id: 'a', cron: '* * * * *', command: ['true'] }, { id: 'b', cron: '@daily', command: ['true'] }] }
    const configs = (d) => d.schedules.map((s) => toWorkflowConfig(s, d))
    expect(await reconcile(integration, configs(doc))).toEqual({ created: ['a', 'b'], updated: [], unchanged: [], removed: [] })
    const changed = { schedules: [{ id: 'a', cron: '*/2 * * * *', command: ['true'] }, { id: 'c', cron: '@daily', command: ['true'] }] }
    expect(plan(integration, configs(changed))).toEqual({ created: ['c'], updated: ['a'], unchanged: [], removed: ['b'] })
    expect(integration.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(['a', 'app-job', 'b'])
    expect(await reconcile(integration, configs(changed))).toEqual({ created: ['c'], updated: ['a'], unchanged: [], removed: ['b'] })
    expect(integration.getScheduledWorkflows().map((c) => c.id).sort()).toEqual(['a', 'app-job', 'c'])
    await integration.stop()
  })

  test('status and history tables from a store', async () => {
    const start = new Date('2026-01-01T00:00:00Z')
    let calls = 0
    const integration = new WorkflowScheduleIntegration({
      clock: 'manual', startTime: start,
      executor: () => {
        calls++
        if (calls === 3) throw Object.assign(new Error('exited with code 1: disk full'), { code: 'EXIT_1' })
        return { exitCode: 0, stdout: `run ${calls}` }
      },
    })
    await integration.start()
    await integration.createScheduledWorkflow(toWorkflowConfig({ id: 'tick', cron: '*/10 * * * * *', command: ['x'] }, {}))
    await integration.advanceTime(40_000)

    const now = new Date(start.getTime() + 45_000)
    const status = (await renderStatus(integration, { paint, source: 'test.db', now })).split('\n')
    expect(status[0]).toBe('1 schedule in test.db')
    expect(status[2].split(/\s{2,}/)).toEqual(['tick', '*/10 * * * * *', 'active', 'in 5s', '5s ago', 'completed', '4', '75%', '0ms'])

    const history = (await renderHistory(integration, 'tick', { paint, count: 2, source: 'test.db', now, timeZone: 'UTC' })).split('\n')
    expect(history[0]).toBe('tick  */10 * * * * * (UTC)')
    expect(history[1]).toBe('state active · next run in 5s · last status completed · success 75% · avg duration 0ms · 4 runs')
    expect(history.slice(4).map((l) => l.split(/\s{2,}/))).toEqual([
      ['2026-01-01 00:00:40 Thu +00:00', 'scheduled', 'completed', '1', '0ms', 'run 4'],
      ['2026-01-01 00:00:30 Thu +00:00', 'scheduled', 'failed', '1', '0ms', 'EXIT_1: exited with code 1: disk full'],
    ])
    await integration.stop()
  })
})

describe('the hand-written checks agree with schema/schedules.schema.json', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'schedules.schema.json'), 'utf8'))
  const resolve = (node) => (node.$ref ? resolve(node.$ref.slice(2).split('/').reduce((at, key) => at[key], schema)) : node)
  // RegExp.source writes '/' as '\/'; JSON Schema patterns need not.
  const source = (pattern) => pattern && pattern.replace(/\\\//g, '/')

  /** Walks a schema node and a check's meta side by side, collecting every disagreement. */
  function compare(node, meta, at, problems) {
    node = resolve(node)
    const differ = (what, a, b) => problems.push(`${at}: ${what} ${JSON.stringify(a)} in the schema, ${JSON.stringify(b)} in the checks`)
    if (node.enum) {
      if (JSON.stringify(node.enum) !== JSON.stringify(meta.enum)) differ('enum', node.enum, meta.enum)
      return
    }
    if (node.anyOf) return node.anyOf.forEach((n, i) => compare(n, meta.anyOf[i], `${at}|${i}`, problems))
    if (node.type === undefined) return // any value
    if (node.type !== meta.type) return differ('type', node.type, meta.type)
    if (node.type === 'integer' || node.type === 'number') {
      if (node.minimum !== meta.minimum) differ('minimum', node.minimum, meta.minimum)
      if (node.maximum !== meta.maximum) differ('maximum', node.maximum, meta.maximum)
    }
    if (node.type === 'string') {
      if ((node.minLength || 0) !== meta.minLength) differ('minLength', node.minLength, meta.minLength)
      if ((node.maxLength === undefined ? Infinity : node.maxLength) !== meta.maxLength) differ('maxLength', node.maxLength, meta.maxLength)
      if (node.pattern !== source(meta.pattern)) differ('pattern', node.pattern, source(meta.pattern))
    }
    if (node.type === 'array') {
      if ((node.minItems || 0) !== meta.minItems) differ('minItems', node.minItems, meta.minItems)
      compare(node.items, meta.items, `${at}[]`, problems)
    }
    if (node.type === 'object' && node.properties) {
      if (node.additionalProperties !== false) differ('additionalProperties', node.additionalProperties, false)
      const names = Object.keys(node.properties)
      if (JSON.stringify(names) !== JSON.stringify(Object.keys(meta.properties))) differ('properties', names, Object.keys(meta.properties))
      if (JSON.stringify([...(node.required || [])].sort()) !== JSON.stringify([...meta.required].sort())) differ('required', node.required, meta.required)
      for (const name of names) if (meta.properties[name]) compare(node.properties[name], meta.properties[name].meta, `${at}.${name}`, problems)
    } else if (node.type === 'object') {
      compare(node.additionalProperties, meta.additionalProperties, `${at}.*`, problems)
    }
  }

  test('the same fields, types, enums, bounds and patterns', () => {
    const problems = []
    compare(schema, rules.FILE.meta, '(file)', problems)
    expect(problems).toEqual([])
  })

  test("integration.schedule()'s options are the file entry's fields, by the same rules", () => {
    const { OPTIONS } = require('../lib/schedule-options.js')
    const problems = []
    compare(schema.$defs.options, OPTIONS.meta, '(options)', problems)
    expect(problems).toEqual([])
    const entry = Object.keys(schema.$defs.schedule.properties)
    expect(Object.keys(schema.$defs.options.properties)).toEqual(entry.filter((k) => !['id', 'cron', 'command', 'cwd', 'env', 'http'].includes(k)))
  })

  test("the schema's cross-field rules are also checked", () => {
    const s = schema.$defs.schedule
    expect(s.oneOf.map((o) => o.required)).toEqual([['command'], ['http']])
    expect(s.dependentRequired).toEqual({ cwd: ['command'], env: ['command'] })
    const errors = (schedule) => checkSchedules({ schedules: [schedule] }).errors.map((e) => `${e.path}: ${e.message}`)
    expect(errors({ id: 'x', cron: '@daily' })).toEqual(["schedules[0]: needs an action: 'command' or 'http'"])
    expect(errors({ id: 'x', cron: '@daily', command: ['a'], http: { url: 'http://a/' } })).toEqual(["schedules[0].http: a schedule has one action: 'command' or 'http', not both"])
    expect(errors({ id: 'x', cron: '@daily', http: { url: 'http://a/' }, env: {} })).toEqual(["schedules[0].env: applies to a 'command' action only"])
    expect(errors({ id: 'x', cron: '@daily', http: { url: 'http://a/', method: 'HEAD', body: 'x' } })).toEqual(["schedules[0].http.body: a HEAD request has no body; set 'method' (POST, PUT, ...)"])
    expect(errors({ id: 'x', cron: '@daily', command: [''] })).toEqual(['schedules[0].command[0]: must not be empty'])
  })
})

describe('secrets and control characters', () => {
  const { redact } = require('../lib/cli/redact.js')
  const FORMS = [
    ['postgres://app@127.0.0.1:1/db?password=hunter2', 'postgres://app@127.0.0.1:1/db?password=***'],
    ['postgresql://:hunter2@127.0.0.1:1/db?user=a', 'postgresql://:***@127.0.0.1:1/db?user=a'],
    ['postgres://u:hun%2Fter%40two@127.0.0.1:1/db', 'postgres://u:***@127.0.0.1:1/db'],
    ['postgres://u:hun/ter@two@127.0.0.1:1/db', 'postgres://u:***@127.0.0.1:1/db'],
    ['postgres://u@127.0.0.1:1/db?sslmode=disable&pass%77ord=hunter2', 'postgres://u@127.0.0.1:1/db?sslmode=disable&pass%77ord=***'],
    ["host=127.0.0.1 port=1 password='hunter 2 \\' x' dbname=db", 'host=127.0.0.1 port=1 password=*** dbname=db'],
    ['host=127.0.0.1 port=1 password = hunter2', 'host=127.0.0.1 port=1 password = ***'],
  ]
  // Mistyped, as a usage error echoes them.
  const TYPOS = [
    ['postgress://u:hunter2@h/db', 'postgress://u:***@h/db'],
    ['postgres:/u:hunter2@h/db', 'postgres:/u:***@h/db'],
    ['postgres//u:hunter2@h/db', 'postgres//u:***@h/db'],
    ['postgres://u:hunter2', 'postgres://u:***'],
  ]
  const leaks = (text) => /hunter|hun\/ter|hun%2Fter|ter@two/.test(text)

  test.each([...FORMS, ...TYPOS])('redact(%j) is %j', (text, shown) => {
    expect(redact(text)).toBe(shown)
  })

  test('no password reaches the output: a store that cannot be reached, in every form, by run, status, history and dashboard', async () => {
    const runs = FORMS.flatMap(([url]) => [
      ['run', fixture('append-every-second.json'), '--store', url, '--for', '1s'],
      ['status', '--store', url],
      ['history', 'append', '--store', url],
      ['dashboard', '--store', url, '--port', '0'],
    ])
    const results = await Promise.all(runs.map((args) => tickflow(args)))
    results.forEach((r, i) => {
      const out = r.stdout + r.stderr
      expect({ args: runs[i], out, leaks: leaks(out) }).toEqual({ args: runs[i], out: expect.stringMatching(/cannot open the store \(postgres .*\*\*\*.*\): .*ERR_STORE_CONNECT/), leaks: false })
      expect(r.code).toBe(1)
    })
  }, 60_000)

  test('nor in usage errors: a mistyped store, a connection string where a file belongs', async () => {
    const runs = [
      ...TYPOS.map(([url]) => ['status', '--store', url]),
      ...TYPOS.map(([url]) => ['run', fixture('append-every-second.json'), '--store', url]),
      ['status', 'postgres://u:hunter2@h/db'],
      ['history', 'x', 'postgres://u:hunter2@h/db'],
    ]
    for (const args of runs) {
      const r = await tickflow(args)
      // 2, or 1 for a URL that is well-formed but names no host one can reach.
      expect({ args, failed: r.code > 0, leaks: leaks(r.stdout + r.stderr) }).toEqual({ args, failed: true, leaks: false })
      expect(r.stderr).toMatch(/\*\*\*/)
    }
    // --db where --store was meant: pointed to it, and no file named after the URL is made.
    const cwd = tempDir()
    for (const args of [
      ['status', '--db', 'postgres://u:hunter2@h/db'],
      ['history', 'x', '--db', 'postgres://u:hunter2@h/db'],
      ['run', fixture('append-every-second.json'), '--db', 'postgres://u:hunter2@h/db', '--for', '1s'],
    ]) {
      const r = await tickflow(args, { cwd })
      expect({ args, code: r.code, leaks: leaks(r.stdout + r.stderr) }).toEqual({ args, code: 2, leaks: false })
      expect(r.stderr).toContain('--db names a sqlite file; for PostgreSQL, use --store postgres://u:***@h/db')
    }
    expect(fs.readdirSync(cwd)).toEqual([])
  }, 60_000)

  test("a connection string passed as the integration's store: its value is shown without the password", () => {
    let err
    try {
      new WorkflowScheduleIntegration({ store: 'postgres://app:hunter2@db/app?password=hunter2' })
    } catch (e) {
      err = e
    }
    expect(err).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', path: 'options.store', value: 'postgres://app:***@db/app?password=***' })
    expect(leaks(`${err.message} ${err.value}`)).toBe(false)
  })

  test("control characters from a command's output, an HTTP answer and error text are escaped in everything printed", async () => {
    const evil = '\x1b]0;pwned\x07\x1b[2J\rforged\u202e'
    const server = http.createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' })
      res.end(`${evil} down`)
    })
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
    const cwd = tempDir()
    try {
      const file = path.join(cwd, 'schedules.json')
      fs.writeFileSync(file, JSON.stringify({
        schedules: [
          { id: 'says', cron: '* * * * * *', command: ['node', '-e', `process.stdout.write(${JSON.stringify(evil)} + 'out')`] },
          { id: 'fails', cron: '* * * * * *', command: ['node', '-e', `process.stderr.write(${JSON.stringify(evil)} + 'err'); process.exit(3)`] },
          { id: 'http', cron: '* * * * * *', http: { url: `http://127.0.0.1:${server.address().port}/` } },
        ],
      }))
      const r = await tickflow(['run', file, '--for', '2s'], { cwd })
      expect(r.code).toBe(0)
      const printed = [r.stdout + r.stderr]
      for (const args of [['status'], ['history', 'says'], ['history', 'fails'], ['history', 'http']]) {
        const shown = await tickflow(args, { cwd })
        expect(shown.code).toBe(0)
        printed.push(shown.stdout + shown.stderr)
      }
      for (const text of printed) {
        expect(text).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/)
      }
      // Escaped, not dropped: what was said can still be read.
      expect(printed[0]).toMatch(/says +completed .*\\x1b\]0;pwned\\x07\\x1b\[2J\\x0dforged\\u202eout/)
      expect(printed[0]).toMatch(/fails +failed .*EXIT_3: exited with code 3: \\x1b\]0;pwned/)
      expect(printed[0]).toMatch(/http +failed .*HTTP_500: .*\\x1b\]0;pwned/)
      expect(printed[2]).toMatch(/\\x1b\]0;pwned/)
    } finally {
      await new Promise((resolve) => server.close(resolve))
    }
  }, 40_000)

  describe('${NAME} in the schedules file', () => {
    const TOKEN = 'tok-3f9a7c1e5b'
    // Answers with what it was sent (a server that echoes its URL must not put the token in
    // the store either): /ok with 200, anything else with 500.
    async function echoServer() {
      const hits = []
      const server = http.createServer((req, res) => {
        hits.push({ url: req.url, authorization: req.headers.authorization })
        res.writeHead(req.url.startsWith('/ok') ? 200 : 500, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ url: req.url, authorization: req.headers.authorization }))
      })
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
      const close = () => new Promise((resolve) => server.close(resolve))
      return { hits, base: `http://127.0.0.1:${server.address().port}`, close }
    }
    const hook = (base, id, path) => ({
      id, cron: '* * * * * *', http: { url: `${base}${path}?token=\${HOOK_TOKEN}&literal=$\${HOOK_TOKEN}`, headers: { authorization: 'Bearer ${HOOK_TOKEN}' } },
    })
    const everyFile = (dir) => fs.readdirSync(dir, { recursive: true }).map((f) => path.join(dir, f)).filter((f) => fs.statSync(f).isFile())

    test('the server receives the value; the store, the output and the history never hold it', async () => {
      const server = await echoServer()
      const cwd = tempDir()
      try {
        const file = path.join(cwd, 'schedules.json')
        const out = path.join(cwd, 'command-saw.txt')
        fs.writeFileSync(file, JSON.stringify({
          schedules: [
            hook(server.base, 'ok', '/ok'),
            hook(server.base, 'down', '/down'),
            // A command that prints what it was given.
            { id: 'cmd', cron: '* * * * * *', env: { K: '${HOOK_TOKEN}' },
              command: ['node', '-e', 'require("fs").appendFileSync(process.env.OUT, process.argv[1] + " " + process.env.K + "\\n"); console.log(process.argv[1])', '${HOOK_TOKEN}'] },
          ],
        }))
        const env = { HOOK_TOKEN: TOKEN, OUT: out }
        const valid = await tickflow(['validate', file], { cwd, env })
        expect(valid.code).toBe(0)
        const r = await tickflow(['run', file, '--for', '2s'], { cwd, env })
        expect(r.code).toBe(0)
        expect(r.stdout).toMatch(/ok +completed +exec_\w+ +#1 +\S+ +HTTP 200/)
        expect(r.stdout).toMatch(/down +failed +exec_\w+ +#1 .*HTTP_500: GET http:\/\/127\.0\.0\.1:\d+\/down\?token=\$\{HOOK_TOKEN\}&literal=\$\$\{HOOK_TOKEN\} answered 500/)
        expect(r.stdout).toMatch(/cmd +completed +exec_\w+ +#1 +\S+ +\$\{HOOK_TOKEN\}/)
        // What was sent: the value, and a literal '${' where the file wrote '$${'.
        expect(server.hits.length).toBeGreaterThan(1)
        for (const hit of server.hits) {
          expect(hit.url).toMatch(new RegExp(`\\?token=${TOKEN}&literal=\\$\\{HOOK_TOKEN\\}$`))
          expect(hit.authorization).toBe(`Bearer ${TOKEN}`)
        }
        expect(fs.readFileSync(out, 'utf8').split('\n')[0]).toBe(`${TOKEN} ${TOKEN}`)

        const printed = [r.stdout + r.stderr + valid.stdout + valid.stderr]
        for (const args of [['status'], ['status', '--json'], ['history', 'ok'], ['history', 'down'], ['history', 'cmd']]) {
          const shown = await tickflow(args, { cwd })
          expect(shown.code).toBe(0)
          printed.push(shown.stdout + shown.stderr)
        }
        for (const text of printed) expect(text).not.toContain(TOKEN)
        // The store keeps the file's text: ${HOOK_TOKEN}, in the action and in what was recorded.
        const stored = everyFile(path.join(cwd, '.tickflow')).map((f) => fs.readFileSync(f).toString('latin1')).join('')
        expect(stored).toContain('/ok?token=${HOOK_TOKEN}')
        expect(stored).toContain('"authorization":"Bearer ${HOOK_TOKEN}"')
        expect(stored).not.toContain(TOKEN)
      } finally {
        await server.close()
      }
    }, 40_000)

    test('events never carry the value, and each run reads the variable anew', async () => {
      const { actionExecutor } = require('../lib/cli/actions.js')
      const { actionsOf } = require('../lib/cli/schedules-file.js')
      const server = await echoServer()
      const integration = new WorkflowScheduleIntegration({ executor: actionExecutor(actionsOf(doc(), __filename)) })
      function doc() {
        return { schedules: [{ ...hook(server.base, 'ok', '/ok'), cron: '@yearly' }, { ...hook(server.base, 'down', '/down'), cron: '@yearly' }] }
      }
      const events = []
      integration.on('event', (e) => events.push(e))
      const settled = (n) => new Promise((resolve) => {
        const check = () => events.filter((e) => ['workflow.completed', 'workflow.failed'].includes(e.type)).length >= n && resolve()
        integration.on('event', check)
      })
      process.env.HOOK_TOKEN = TOKEN
      try {
        await integration.start()
        for (const s of doc().schedules) await integration.createScheduledWorkflow(toWorkflowConfig(s, doc()))
        let done = settled(2)
        await integration.triggerScheduledExecution('ok')
        await integration.triggerScheduledExecution('down')
        await done
        process.env.HOOK_TOKEN = `${TOKEN}-rotated`
        done = settled(3)
        await integration.triggerScheduledExecution('ok')
        await done
      } finally {
        delete process.env.HOOK_TOKEN
        await integration.stop()
        await server.close()
      }
      expect(server.hits.map((h) => h.authorization)).toEqual([`Bearer ${TOKEN}`, `Bearer ${TOKEN}`, `Bearer ${TOKEN}-rotated`])
      const completed = events.filter((e) => e.type === 'workflow.completed')
      expect(completed[0].result.body.authorization).toBe('Bearer ${HOOK_TOKEN}')
      expect(events.find((e) => e.type === 'workflow.failed').error.message).toMatch(/\?token=\$\{HOOK_TOKEN\}.* answered 500/)
      expect(events.find((e) => e.scheduleId === 'ok').metadata.action).toMatch(/^GET http:.*\/ok\?token=\$\{HOOK_TOKEN\}/)
      expect(JSON.stringify(events)).not.toContain(TOKEN)
    }, 20_000)

    test('a variable that is not set fails validation, naming it and the entry, before anything runs', async () => {
      const cwd = tempDir()
      const file = path.join(cwd, 'schedules.json')
      const entries = [
        { id: 'hook', cron: '* * * * * *', http: { url: 'https://hooks.example/x?token=${HOOK_TOKEN}', headers: { 'x-key': '${API_KEY}' } } },
        { id: 'cmd', cron: '* * * * * *', command: ['echo', '${BAD NAME}', '$${NOT_READ}'], env: { K: '${HOOK_TOKEN}' } },
      ]
      fs.writeFileSync(file, JSON.stringify({ schedules: entries }))
      const expected = [
        '  schedules[0].http.headers.x-key: ${API_KEY} is not set in the environment',
        "  schedules[1].command[1]: '${' starts a variable: write ${NAME} (letters, digits and _), or $${ for a literal '${'",
      ]
      // HOOK_TOKEN is set (empty is a value); API_KEY is not.
      const env = { HOOK_TOKEN: '', API_KEY: undefined }
      for (const args of [['validate', file], ['run', file, '--store', 'memory', '--for', '1s']]) {
        const r = await tickflow(args, { cwd, env })
        expect(r.code).toBe(2)
        expect(r.stdout).not.toMatch(/Running/)
        expect(r.stderr.split('\n').slice(1)).toEqual([...expected, ''])
      }
      const { errors } = checkSchedules({ schedules: entries }, { HOOK_TOKEN: 'x' })
      expect(errors.find((e) => e.message.includes('API_KEY'))).toMatchObject({ code: 'ERR_ENV_UNSET', path: 'schedules[0].http.headers.x-key' })
    }, 30_000)

    test('credentials written in a URL: a warning that shows none of them, and *** wherever the URL is shown', async () => {
      const cwd = tempDir()
      const file = path.join(cwd, 'schedules.json')
      fs.writeFileSync(file, JSON.stringify({ schedules: [{ id: 'inline', cron: '@yearly', http: { url: 'http://bot:hunter2pw@127.0.0.1:1/x?api_key=hunter2key&page=2' } }] }))
      const valid = await tickflow(['validate', file], { cwd })
      expect(valid.code).toBe(0)
      expect(valid.stdout).toMatch(/^warning schedules\[0\]\.http\.url: holds credentials \(the user and password and query parameter 'api_key'\) written in the file; name an environment variable instead, as in \$\{HOOK_TOKEN\}$/m)
      const r = await tickflow(['run', file, '--for', '1s'], { cwd })
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/GET http:\/\/\*\*\*@127\.0\.0\.1:1\/x\?api_key=\*\*\*&page=2/)
      const status = await tickflow(['status', '--json'], { cwd })
      const stored = everyFile(path.join(cwd, '.tickflow')).map((f) => fs.readFileSync(f).toString('latin1')).join('')
      for (const text of [valid.stdout, valid.stderr, r.stdout, r.stderr, status.stdout, stored]) expect(text).not.toMatch(/hunter2/)
    }, 30_000)
  })

  test('colour on a terminal still works through the boundary; text from outside cannot forge it', () => {
    const { guard } = require('../lib/cli/terminal.js')
    let written = ''
    const out = guard({ isTTY: true, write: (text) => (written += text) })
    const paint = colours(out)
    out.write(`${paint.red('failed')} \x1b[32mnot ours\x1b[0m\n`)
    expect(written).toBe('\x1b[31mfailed\x1b[0m \\x1b[32mnot ours\\x1b[0m\n')
  })

  test('tickflow dashboard on a port in use: a coded error, no stack trace', async () => {
    const busy = http.createServer()
    await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve))
    const cwd = tempDir()
    try {
      await tickflow(['run', fixture('append-every-second.json'), '--for', '1s'], { cwd, env: { TICKFLOW_TEST_OUT: path.join(cwd, 'x') } })
      const r = await tickflow(['dashboard', '--port', String(busy.address().port)], { cwd })
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^tickflow dashboard: cannot listen on 127\.0\.0\.1:\d+: the port is in use \(EADDRINUSE\)\n {2}--port N/)
      expect(r.stderr).not.toMatch(/ at /)
    } finally {
      await new Promise((resolve) => busy.close(resolve))
    }
  }, 30_000)
})
