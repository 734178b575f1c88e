// Acknowledged means stored, and one writer per store file: a command that could not be
// written is refused and leaves nothing behind, a disk that fills loses nothing that was
// acknowledged, a file this process may not write is refused at start, and a second
// writer is kept out whatever name it opens the store by.
const { spawn, execFileSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { WorkflowScheduleIntegration } = require('..')
const { START, config } = require('./support')
const { rejection } = require('./helpers')

const ROOT = process.getuid && process.getuid() === 0
// Mounting a tmpfs and switching to `nobody` need root, which CI has: there these tests
// must run, never skip.
if (process.env.CI && !ROOT) throw new Error('durability tests need root in CI (tmpfs, setpriv)')
const asRoot = ROOT ? test : test.skip

let dir
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-durable-'))
})
afterEach(() => {
  try {
    execFileSync('umount', [path.join(dir, 'small')], { stdio: 'ignore' })
  } catch {}
  fs.rmSync(dir, { recursive: true, force: true })
})

function open(file) {
  const integration = new WorkflowScheduleIntegration({ clock: 'manual', startTime: START, store: { type: 'sqlite', path: file } })
  const errors = []
  integration.on('integration.error', (e) => errors.push(e))
  return { integration, errors }
}

asRoot('on a disk that fills, every acknowledged change is stored and every refused one is gone', async () => {
  const small = path.join(dir, 'small')
  fs.mkdirSync(small)
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small])
  const file = path.join(small, 'state.db')
  const { integration } = open(file)
  const payload = 'x'.repeat(200_000)
  const acknowledged = []
  const refused = []
  for (let i = 0; i < 40; i++) {
    try {
      await integration.createScheduledWorkflow(config(`w${i}`, '0 * * * *', { metadata: { payload } }))
      acknowledged.push(`w${i}`)
    } catch (err) {
      expect(err).toBeInstanceOf(Error)
      expect(err.code).toBe('ERR_STORE_WRITE')
      refused.push(`w${i}`)
    }
  }
  expect(refused.length).toBeGreaterThan(0)
  expect(acknowledged.length).toBeGreaterThan(0)
  // In memory, as in the store: exactly what was acknowledged.
  expect(integration.getScheduledWorkflows().map((c) => c.id).sort()).toEqual([...acknowledged].sort())
  await integration.stop()

  const reopened = open(file).integration
  await reopened.initialize()
  expect(reopened.getScheduledWorkflows().map((c) => c.id).sort()).toEqual([...acknowledged].sort())
  await reopened.stop()
})

asRoot('a store file this process may not write is refused at start, not at the first commit', async () => {
  fs.chmodSync(dir, 0o777)
  const file = path.join(dir, 'state.db')
  const { integration } = open(file)
  await integration.createScheduledWorkflow(config('a', '0 * * * *'))
  await integration.stop()
  fs.chmodSync(file, 0o644)
  fs.rmSync(`${file}-lock`, { force: true })
  const script = `
    const { WorkflowScheduleIntegration } = require(${JSON.stringify(readableCopy())})
    const i = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: ${JSON.stringify(file)} } })
    i.start().then(
      () => i.stop().then(() => console.log('STARTED')),
      (err) => console.log('REFUSED ' + JSON.stringify({ code: err.code, message: err.message })),
    )`
  const out = execFileSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, '-e', script], { encoding: 'utf8' })
  const refused = out.match(/^REFUSED (.*)$/m)
  expect(refused).not.toBeNull()
  const err = JSON.parse(refused[1])
  expect(err.code).toBe('ERR_STORE_OPEN')
  expect(err.message).toContain('may not write')
})

/**
 * The package where `nobody` can read it: a checkout may sit in a folder only its owner
 * can enter (/root).
 */
function readableCopy() {
  const root = path.resolve(__dirname, '..')
  const copy = path.join(dir, 'pkg')
  const files = ['package.json', 'index.js', 'native.js', 'lib', ...fs.readdirSync(root).filter((f) => f.endsWith('.node'))]
  for (const f of files) fs.cpSync(path.join(root, f), path.join(copy, f), { recursive: true })
  execFileSync('chmod', ['-R', 'a+rX', copy])
  return copy
}

/** A child process that holds the store at `file` until its stdin closes. */
async function holder(file) {
  const script = `
    const { WorkflowScheduleIntegration } = require(${JSON.stringify(readableCopy())})
    const i = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: ${JSON.stringify(file)} } })
    i.start().then(() => console.log('HOLDING'))
    process.stdin.on('end', () => i.stop())
    process.stdin.resume()`
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] })
  await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (d) => {
      out += d
      if (out.includes('HOLDING')) resolve()
    })
    child.on('exit', (code) => reject(new Error(`the holder exited (${code}) before holding the store`)))
  })
  return {
    release: () =>
      new Promise((resolve) => {
        child.removeAllListeners('exit')
        child.on('exit', resolve)
        child.stdin.end()
      }),
  }
}

test('a symlink to a store another process holds is locked out; a hard link is refused', async () => {
  const file = path.join(dir, 'state.db')
  const held = await holder(file)
  try {
    const link = path.join(dir, 'link.db')
    fs.symlinkSync(file, link)
    const viaLink = open(link).integration
    const err = await rejection(viaLink.start())
    expect(err).toBeInstanceOf(Error)
    expect(err.code).toBe('ERR_STORE_LOCKED')
    expect(fs.existsSync(`${link}-lock`)).toBe(false)
    await viaLink.stop()
  } finally {
    await held.release()
  }
  const hard = path.join(dir, 'hard.db')
  fs.linkSync(file, hard)
  for (const name of [file, hard]) {
    const integration = open(name).integration
    const err = await rejection(integration.start())
    expect(err.code).toBe('ERR_STORE_OPEN')
    expect(err.message).toContain('hard links')
    await integration.stop()
  }
})

test('files that are not a store of this version get no lock file beside them', async () => {
  const foreign = path.join(dir, 'notes.txt')
  fs.writeFileSync(foreign, 'not a database '.repeat(500))
  const folder = path.join(dir, 'folder')
  fs.mkdirSync(folder)
  for (const [file, code] of [[foreign, 'ERR_STORE_CORRUPT'], [folder, 'ERR_STORE_OPEN']]) {
    const integration = open(file).integration
    const err = await rejection(integration.start())
    expect(err.code).toBe(code)
    expect(fs.existsSync(`${file}-lock`)).toBe(false)
    await integration.stop()
  }
})
