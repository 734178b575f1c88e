// The README's code runs as written. The quick start is examples/quick-start.js byte for
// byte, and that file runs the way a user runs it: `require('tickflow')` from a project
// whose node_modules/tickflow is this package. It must end by itself. The manual-clock
// test example passes under Jest, and Jest exits by itself.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { execFile } = require('node:child_process')

const ROOT = path.join(__dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const EXAMPLE = path.join(ROOT, 'examples', 'quick-start.js')

/** The first ```js block after the line `heading`, without its fences. */
function codeBlockAfter(heading) {
  const lines = README.split('\n')
  const at = lines.indexOf(heading)
  if (at < 0) throw new Error(`README.md has no line '${heading}'`)
  const open = lines.indexOf('```js', at + 1)
  if (open < 0) throw new Error(`README.md has no \`\`\`js block after '${heading}'`)
  const close = lines.indexOf('```', open + 1)
  if (close < 0) throw new Error(`the \`\`\`js block after '${heading}' is not closed`)
  return lines.slice(open + 1, close).join('\n') + '\n'
}

/**
 * Runs `node args` in `cwd` with extra `env`. Resolves { code, signal, stdout, stderr, ms }.
 * A process that does not end within `timeoutMs` is killed, and then `code` is 'killed'.
 */
function run(args, { cwd, env = {}, timeoutMs }) {
  const started = Date.now()
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env: { ...process.env, ...env }, timeout: timeoutMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.killed ? 'killed' : err.code) : 0, stdout, stderr, ms: Date.now() - started })
    })
  })
}

const dirs = []
function tempDir(prefix) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })
})

describe('the quick start', () => {
  test('the README block is examples/quick-start.js, byte for byte', () => {
    const block = codeBlockAfter('## Quick start')
    expect(block).toBe(fs.readFileSync(EXAMPLE, 'utf8'))
    // The example is what a user writes, not something only this repository can run.
    expect(block).toMatch(/require\('tickflow'\)/)
  })

  test('runs from a project that has tickflow in node_modules, fires the every-5-seconds handler, and ends by itself', async () => {
    const project = tempDir('tickflow-quick-start-')
    fs.mkdirSync(path.join(project, 'node_modules'))
    fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'tickflow'), 'dir')
    fs.copyFileSync(EXAMPLE, path.join(project, 'quick-start.js'))

    const first = await run(['quick-start.js'], { cwd: project, env: { QUICK_START_MS: '6000' }, timeoutMs: 40_000 })
    expect(first.stderr).toBe('')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^heartbeat: created, weekday-report: created$/m)
    // A 6 s run holds at least one multiple of 5 s.
    const beats = first.stdout.match(/^heartbeat \S+ for \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/gm) || []
    expect(beats.length).toBeGreaterThanOrEqual(1)
    for (const beat of beats) expect(Number(beat.match(/:(\d{2})\.000Z$/)[1]) % 5).toBe(0)
    // It ran for its QUICK_START_MS and then stopped itself: it was not killed.
    expect(first.ms).toBeGreaterThanOrEqual(6000)
    expect(first.ms).toBeLessThan(30_000)
    // The missing folder was created, and the schedules were kept in it.
    expect(fs.statSync(path.join(project, 'data', 'schedules.db')).isFile()).toBe(true)

    // Declaring again at the next boot is an upsert that changes nothing.
    const second = await run(['quick-start.js'], { cwd: project, env: { QUICK_START_MS: '500' }, timeoutMs: 30_000 })
    expect(second.stderr).toBe('')
    expect(second.code).toBe(0)
    expect(second.stdout).toMatch(/^heartbeat: unchanged, weekday-report: unchanged$/m)
  }, 90_000)
})

describe('the manual-clock test example', () => {
  test('passes under Jest, and Jest exits by itself', async () => {
    const block = codeBlockAfter('### Testing with a manual clock')
    expect(block).toMatch(/clock: 'manual'/)
    expect(block).toMatch(/advanceTime\(/)
    const requires = block.split("require('tickflow')").length - 1
    expect(requires).toBe(1)
    const dir = tempDir('tickflow-readme-jest-')
    fs.writeFileSync(path.join(dir, 'report.test.js'), block.replace("require('tickflow')", `require(${JSON.stringify(ROOT)})`))
    fs.writeFileSync(path.join(dir, 'jest.config.js'), "module.exports = { testEnvironment: 'node', rootDir: __dirname }\n")

    const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js')
    const r = await run([jest, '--ci', '--config', path.join(dir, 'jest.config.js')], { cwd: dir, timeoutMs: 60_000 })
    const output = r.stdout + r.stderr
    expect(output).toMatch(/Tests:\s+1 passed, 1 total/)
    expect(output).not.toMatch(/did not exit/)
    expect(r.code).toBe(0)
  }, 90_000)
})

describe('declaring schedules at every boot', () => {
  test('runs as pasted (CommonJS, no undefined names): declares, starts, and stops on SIGTERM', async () => {
    const block = codeBlockAfter('## Declaring schedules at every boot')
    const project = tempDir('tickflow-readme-boot-')
    fs.mkdirSync(path.join(project, 'node_modules'))
    fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'tickflow'), 'dir')
    fs.writeFileSync(path.join(project, 'boot.js'), block)
    const { spawn } = require('node:child_process')
    const child = spawn(process.execPath, ['boot.js'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    // Once it has declared and started, it is stopped as a service manager stops it.
    child.stdout.on('data', (d) => {
      stdout += d
      if (/created/.test(stdout)) setImmediate(() => child.kill('SIGTERM'))
    })
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000)
    const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])))
    clearTimeout(killer)
    expect(stderr).toBe('')
    expect(stdout).toMatch(/created: \[ 'nightly-report', 'cleanup' \]/)
    expect({ code, signal }).toEqual({ code: 0, signal: null })
  }, 60_000)
})

describe('secrets in actions', () => {
  test('the hooks.json block is valid with HOOK_TOKEN set, and names it when it is not', () => {
    const { checkSchedules } = require('../lib/cli/schedules-file.js')
    const lines = README.split('\n')
    const open = lines.findIndex((l, i) => l.trim() === '```json' && lines.slice(0, i).some((p) => p.includes('Saved as `hooks.json`')))
    const close = lines.findIndex((l, i) => i > open && l.trim() === '```')
    const doc = JSON.parse(lines.slice(open + 1, close).join('\n'))
    expect(checkSchedules(doc, { HOOK_TOKEN: 's3cret-value' })).toEqual({ errors: [], warnings: [] })
    expect(checkSchedules(doc, {}).errors.map((e) => `${e.path}: ${e.message}`)).toContain('schedules[0].http.headers.authorization: ${HOOK_TOKEN} is not set in the environment')
  })
})
