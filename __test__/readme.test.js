// The README's code runs as written: every ```js and ```ts block, as a user pastes it into a
// file of a project whose node_modules/tickflow is this package.
// - The quick start is examples/quick-start.js byte for byte; that file runs with
//   QUICK_START_MS and must end by itself.
// - A block with `test(` is a Jest test file: it passes under Jest, and Jest exits by itself.
// - Any other ```js block is a program run with `node`. Either it ends by itself (exit 0), or
//   it is a service (it listens, or stops on SIGTERM): once ready it has written nothing to
//   stderr, a block that listens answers its probes, and a block that stops on SIGTERM then
//   exits 0. Express and prom-client come from this repository's node_modules (NODE_PATH).
// - A ```ts block type-checks with `tsc --strict` (and production-ccs's stricter flags)
//   against index.d.ts, beside a stub of the user's own modules it imports.
// - The ```json hooks file is checked at the end. Other blocks (sh, yaml) are not run: they
//   are shell commands and configuration of other programs.
const fs = require('node:fs')
const os = require('node:os')
const net = require('node:net')
const path = require('node:path')
const { execFile, spawn } = require('node:child_process')
const { startPostgres } = require('./helpers/postgres')

const ROOT = path.join(__dirname, '..')
const README = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')
const EXAMPLE = path.join(ROOT, 'examples', 'quick-start.js')

/** Every fenced block of README.md: { lang, line (of the opening fence), code }, unindented. */
function readmeBlocks() {
  const lines = README.split('\n')
  const blocks = []
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i].match(/^( *)```(\S*)\s*$/)
    if (!open) continue
    const close = lines.findIndex((l, j) => j > i && l.trim() === '```')
    if (close < 0) throw new Error(`README.md:${i + 1}: the block is not closed`)
    const indent = open[1].length
    const code = lines.slice(i + 1, close).map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))
    blocks.push({ lang: open[2], line: i + 1, code: code.join('\n') + '\n' })
    i = close
  }
  return blocks
}
const BLOCKS = readmeBlocks()

/** The first ```js block after the line `heading`. */
function blockAfter(heading) {
  const at = README.split('\n').indexOf(heading)
  if (at < 0) throw new Error(`README.md has no line '${heading}'`)
  const block = BLOCKS.find((b) => b.lang === 'js' && b.line > at + 1)
  if (!block) throw new Error(`README.md has no \`\`\`js block after '${heading}'`)
  return block
}
const QUICK_START = blockAfter('## Quick start')

/**
 * Runs `node args` in `cwd` with extra `env`. Resolves { code, stdout, stderr, ms }.
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

/** A user's project: node_modules/tickflow is this package (and `extra` names come from ours). */
function userProject(prefix, extra = []) {
  const project = tempDir(prefix)
  fs.mkdirSync(path.join(project, 'node_modules', '@types'), { recursive: true })
  fs.symlinkSync(ROOT, path.join(project, 'node_modules', 'tickflow'), 'dir')
  for (const name of extra) fs.symlinkSync(path.join(ROOT, 'node_modules', name), path.join(project, 'node_modules', name), 'dir')
  return project
}

describe('the quick start', () => {
  test('the README block is examples/quick-start.js, byte for byte', () => {
    const block = QUICK_START.code
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

test('every README block is of a kind this file knows how to check', () => {
  const kinds = new Set(BLOCKS.map((b) => b.lang))
  expect([...kinds].filter((k) => !['js', 'ts', 'json', 'sh', 'yaml'].includes(k))).toEqual([])
  expect(BLOCKS.filter((b) => b.lang === 'js').length).toBeGreaterThanOrEqual(10)
})

const JEST_BLOCKS = BLOCKS.filter((b) => b.lang === 'js' && /^\s*test\(/m.test(b.code))
const PROGRAM_BLOCKS = BLOCKS.filter((b) => b.lang === 'js' && b !== QUICK_START && !JEST_BLOCKS.includes(b))

describe('Jest blocks pass under Jest, and Jest exits by itself', () => {
  test.each(JEST_BLOCKS.map((b) => [b.line, b]))('README.md:%i', async (line, block) => {
    const project = userProject('tickflow-readme-jest-')
    fs.writeFileSync(path.join(project, `readme-${line}.test.js`), block.code)
    fs.writeFileSync(path.join(project, 'jest.config.js'), "module.exports = { testEnvironment: 'node', rootDir: __dirname }\n")
    const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js')
    const r = await run([jest, '--ci', '--config', path.join(project, 'jest.config.js')], { cwd: project, timeoutMs: 60_000 })
    const output = r.stdout + r.stderr
    const tests = block.code.match(/^\s*test\(/gm).length
    expect(output).toMatch(new RegExp(`Tests:\\s+${tests} passed, ${tests} total`))
    expect(output).not.toMatch(/did not exit/)
    expect(r.code).toBe(0)
  }, 90_000)
})

// What a service block must show before it is stopped, found by a line of the block.
// `probes`: HTTP answers of a block that listens; `ready(project, output)`: a condition.
let pg
const SERVICES = [
  { has: 'syncScheduledWorkflows(schedules', ready: (_, out) => /created: \[ 'nightly-report', 'cleanup' \]/.test(out.stdout) },
  { has: 'historyRetention', ready: (project) => fs.existsSync(path.join(project, 'tickflow.db')) },
  {
    has: "type: 'postgres'",
    ready: async () => (await pg.query("select count(*) from tickflow.schedules where config_id = 'cleanup'", { database: 'readme' }).catch(() => '0')) === '1',
  },
  { has: "app.get('/metrics', async (req, res) => res.type('text/plain", probes: [{ path: '/metrics', status: 200, body: /^tickflow_schedules 1$/m }] },
  { has: 'integration.metricsStream()', probes: [{ path: '/metrics', status: 200, body: /^tickflow_fires_total\{schedule="heartbeat"\} \d+$/m }] },
  { has: 'client.register.metrics()', probes: [{ path: '/metrics', status: 200, body: /^tickflow_schedules 1$/m }] },
  {
    has: "require('tickflow/dashboard')",
    probes: [
      { path: '/admin/tickflow/', status: 200, body: /<html/i },
      { path: '/ops/tickflow/', status: 401, body: /log in first/ },
    ],
  },
]

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** Polls `condition` (sync or async) until it holds; rejects with `what()` after `ms`. */
async function waitFor(condition, what, ms = 30_000) {
  const deadline = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** The failures of `probes` against the server on `port`; [] once every one answers as expected. */
async function probeFailures(port, probes) {
  const failures = []
  for (const probe of probes) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}${probe.path}`)
      const body = await res.text()
      if (res.status !== probe.status || !probe.body.test(body)) failures.push(`${probe.path}: ${res.status} ${body.slice(0, 200)}`)
    } catch (err) {
      failures.push(`${probe.path}: ${err.message}`)
    }
  }
  return failures
}

describe('program blocks run with node as pasted', () => {
  beforeAll(async () => {
    if (!PROGRAM_BLOCKS.some((b) => b.code.includes('DATABASE_URL'))) return
    pg = await startPostgres()
    await pg.query('CREATE DATABASE readme')
  }, 90_000)
  afterAll(() => pg?.stop())

  test.each(PROGRAM_BLOCKS.map((b) => [b.line, b]))('README.md:%i', async (line, block) => {
    const project = userProject('tickflow-readme-block-')
    fs.writeFileSync(path.join(project, 'block.js'), block.code)
    const port = await freePort()
    const env = { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules'), PORT: String(port) }
    if (block.code.includes('DATABASE_URL')) env.DATABASE_URL = pg.urlFor('readme')
    const child = spawn(process.execPath, ['block.js'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const out = { stdout: '', stderr: '' }
    child.stdout.on('data', (d) => (out.stdout += d))
    child.stderr.on('data', (d) => (out.stderr += d))
    let exit = null
    const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((exit = { code, signal }))))
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    try {
      const stopsOnSigterm = /process\.(once|on)\('SIGTERM'/.test(block.code)
      const listens = /\.listen\(process\.env\.PORT/.test(block.code)
      if (!stopsOnSigterm && !listens) {
        // A block that is no service ends by itself.
        expect({ ...(await exited), stderr: out.stderr }).toEqual({ code: 0, signal: null, stderr: '' })
        return
      }
      const service = SERVICES.filter((s) => block.code.includes(s.has))
      const probes = service.flatMap((s) => s.probes || [])
      if (listens && !probes.length) throw new Error(`README.md:${line} listens: give it probes in SERVICES`)
      let failures = []
      const ready = async () => {
        if (exit) throw new Error(`README.md:${line} ended before it was ready: ${JSON.stringify(exit)}\n${out.stderr}`)
        for (const s of service) if (s.ready && !(await s.ready(project, out))) return false
        failures = await probeFailures(port, probes)
        return failures.length === 0
      }
      if (service.length) await waitFor(ready, () => `README.md:${line} to be ready: ${failures.join('; ')}`)
      else await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]) // a few seconds without a crash
      expect({ exit, stderr: out.stderr }).toEqual({ exit: null, stderr: '' })
      if (!stopsOnSigterm) return
      child.kill('SIGTERM')
      expect({ ...(await exited), stderr: out.stderr }).toEqual({ code: 0, signal: null, stderr: '' })
    } finally {
      clearTimeout(killer)
      if (!exit) child.kill('SIGKILL')
      await exited
    }
  }, 90_000)
})

describe('TypeScript blocks type-check as a user file', () => {
  // The user's own modules that a block imports (./workflows: production-ccs's executor and logger).
  const STUBS = {
    'workflows.ts': `export interface WorkflowDefinition { id: string; name: string }
export const definitions = new Map<string, WorkflowDefinition>([['report', { id: 'report', name: 'Report' }]])
export const workflowExecutor = {
  async executeWorkflow(definition: WorkflowDefinition, context?: Record<string, unknown>) {
    return { id: \`run-\${definition.id}\`, status: 'completed' as const, context }
  },
}
export const logger = {
  info(message: string, meta?: Record<string, unknown>): void { console.log(message, meta) },
  error(message: string, meta?: Record<string, unknown>): void { console.error(message, meta) },
}
`,
  }
  const TSCONFIG = {
    compilerOptions: {
      target: 'ES2022', module: 'nodenext', types: ['node'], noEmit: true, skipLibCheck: false,
      // --strict, and the flags production-ccs adds that reach a user's code.
      strict: true, exactOptionalPropertyTypes: true, noUncheckedIndexedAccess: true, noPropertyAccessFromIndexSignature: true,
      noImplicitReturns: true, noUnusedLocals: true,
    },
  }
  const TS_BLOCKS = BLOCKS.filter((b) => b.lang === 'ts')

  test.each(TS_BLOCKS.map((b) => [b.line, b]))('README.md:%i', async (line, block) => {
    const project = userProject('tickflow-readme-ts-', ['@types/node'])
    fs.writeFileSync(path.join(project, 'package.json'), '{ "private": true }\n')
    fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2))
    for (const [name, text] of Object.entries(STUBS)) fs.writeFileSync(path.join(project, name), text)
    fs.writeFileSync(path.join(project, `readme-${line}.ts`), block.code)
    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
    const r = await run([tsc, '-p', project], { cwd: project, timeoutMs: 60_000 })
    expect(r.stdout + r.stderr).toBe('')
    expect(r.code).toBe(0)
  }, 90_000)
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
