// The package as users get it: what `npm pack` puts in the main tarball and in this
// platform's package, the package.json they install, what loading says without the binary,
// and both tarballs installed together. Packs a copy of the repository (never the work tree:
// packing rewrites package.json while it runs), with cargo kept off the PATH.
const { spawnSync } = require('node:child_process')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const zlib = require('node:zlib')

const ROOT = path.join(__dirname, '..')
const REPO_MANIFEST = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')
const repo = JSON.parse(REPO_MANIFEST)
const WIN = process.platform === 'win32'

/** This machine as the platform packages name it, worked out here, not by lib/native.js. */
function hostPlatform() {
  const { platform, arch } = process
  if (platform === 'linux') return `${platform}-${arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`
  return platform === 'win32' ? `${platform}-${arch}-msvc` : `${platform}-${arch}`
}
const HOST = hostPlatform()
const HOST_ADDON = path.join(ROOT, `tickflow.${HOST}.node`)

/** The environment for child npm/node runs: no npm_* variables from an enclosing `npm test`, no cargo. */
function childEnv(extra = {}) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v
  const key = Object.keys(env).find((k) => k.toUpperCase() === 'PATH')
  env[key] = env[key]
    .split(path.delimiter)
    .filter((p) => !/\.cargo|rustup/.test(p))
    .join(path.delimiter)
  return { ...env, NO_COLOR: '1', ...extra }
}

function npm(args, cwd) {
  const r = spawnSync(WIN ? 'npm.cmd' : 'npm', args, { cwd, env: childEnv(), encoding: 'utf8', shell: WIN, timeout: 120_000 })
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`)
  return r
}

function node(args, cwd, extraEnv) {
  return spawnSync(process.execPath, args, { cwd, env: childEnv(extraEnv), encoding: 'utf8', timeout: 60_000 })
}

/** The files of a .tgz as path -> Buffer (ustar, with pax path records). */
function untar(file) {
  const buf = zlib.gunzipSync(fs.readFileSync(file))
  const files = new Map()
  const str = (b, from, len) => b.toString('utf8', from, from + len).replace(/\0[\s\S]*$/, '')
  let paxPath = null
  for (let off = 0; off + 512 <= buf.length; ) {
    const header = buf.subarray(off, off + 512)
    if (header.every((b) => b === 0)) break
    const size = parseInt(str(header, 124, 12).trim() || '0', 8)
    const type = String.fromCharCode(header[156])
    const body = buf.subarray(off + 512, off + 512 + size)
    const prefix = str(header, 345, 155)
    const name = paxPath || (prefix ? `${prefix}/${str(header, 0, 100)}` : str(header, 0, 100))
    if (type === 'x') {
      const m = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))
      paxPath = m ? m[1] : null
    } else {
      if (type === '0' || type === '\0') files.set(name, body)
      paxPath = null
    }
    off += 512 + Math.ceil(size / 512) * 512
  }
  return files
}

const tempDirs = []
function tempDir(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tickflow-${name}-`))
  tempDirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true })
})

/** A copy of the repository's files (with the root .node, so that its absence from the
 * tarball is tested), without node_modules, target, .git or stores. */
function copyRepo() {
  const dest = path.join(tempDir('repo'), 'tickflow')
  const skip = new Set(['node_modules', 'target', '.git', '.tickflow'])
  fs.cpSync(ROOT, dest, { recursive: true, filter: (src) => !skip.has(path.basename(src)) })
  return dest
}

let src // the packed copy
let out // where the tarballs go
let mainTgz
let platformTgz
let main // path -> Buffer of the main tarball
let packed // its package.json
let platformFiles

beforeAll(() => {
  if (!fs.existsSync(HOST_ADDON)) throw new Error(`${HOST_ADDON} is missing: build the addon (npm run build) first`)
  src = copyRepo()
  out = tempDir('tarballs')
  const [report] = JSON.parse(npm(['pack', '--json', '--pack-destination', out], src).stdout)
  mainTgz = path.join(out, report.filename)
  main = untar(mainTgz)
  packed = JSON.parse(main.get('package/package.json').toString('utf8'))

  // This platform's package, filled as `napi artifacts` fills it in the release workflow.
  const platformDir = path.join(tempDir('platform'), HOST)
  fs.cpSync(path.join(ROOT, 'npm', HOST), platformDir, { recursive: true })
  fs.copyFileSync(HOST_ADDON, path.join(platformDir, path.basename(HOST_ADDON)))
  const [platformReport] = JSON.parse(npm(['pack', '--json', '--pack-destination', out], platformDir).stdout)
  platformTgz = path.join(out, platformReport.filename)
  platformFiles = [...untar(platformTgz).keys()].sort()
}, 180_000)

describe('the main tarball', () => {
  const names = () => [...main.keys()].map((p) => p.replace(/^package\//, ''))

  test('holds the entry, types, loader, command, schema and example files', () => {
    const files = names()
    for (const file of [
      'package.json',
      'README.md',
      'index.js',
      'index.d.ts',
      'native.js',
      'native.d.ts',
      'lib/native.js',
      'lib/integration.js',
      'bin/tickflow.js',
      'lib/cli/main.js',
      'schema/schedules.schema.json',
      'examples/schedules.json',
      'examples/schedules-http.json',
      'examples/local-server.js',
    ]) {
      expect(files).toContain(file)
    }
  })

  test('holds no tests, benchmarks, Rust sources, platform packages, build scripts or addon', () => {
    const unwanted = names().filter((f) =>
      /^(__test__|bench|crates|src|npm|scripts|target|\.ci|\.github|examples\/production-ccs-consumer)\//.test(f) || /\.node$|^Cargo\.|^build\.rs$/.test(f)
    )
    expect(unwanted).toEqual([])
  })

  test("every example and schema file the command's help mentions is in it", () => {
    const mentioned = new Set()
    for (const args of [['--help'], ...['run', 'next', 'status', 'history', 'validate'].map((c) => [c, '--help'])]) {
      const r = node([path.join(ROOT, 'bin', 'tickflow.js'), ...args], ROOT)
      expect(r.status).toBe(0)
      for (const m of r.stdout.matchAll(/\b(?:examples|schema)\/[\w.-]+\.(?:json|js)\b/g)) mentioned.add(m[0])
    }
    expect([...mentioned]).toEqual(expect.arrayContaining(['examples/schedules.json', 'schema/schedules.schema.json']))
    for (const file of mentioned) expect(names()).toContain(file)
  })

  test('every file its package.json points at is in it', () => {
    const targets = [packed.main, packed.types, ...Object.values(packed.bin)]
    const walk = (v) => (typeof v === 'string' ? targets.push(v) : Object.values(v).forEach(walk))
    walk(packed.exports)
    expect(packed.exports['./schema/schedules.schema.json']).toBe('./schema/schedules.schema.json')
    expect(packed.exports['./package.json']).toBe('./package.json')
    for (const target of targets) expect(names()).toContain(path.posix.normalize(target))
    for (const entry of packed.files) {
      const dir = entry.endsWith('/')
      expect(names().some((f) => (dir ? f.startsWith(entry) : f === entry))).toBe(true)
    }
  })

  test('its package.json has no scripts or dev dependencies, and has os and cpu from napi.targets', () => {
    expect(packed.scripts).toBeUndefined()
    expect(packed.devDependencies).toBeUndefined()
    expect(packed.jest).toBeUndefined()
    expect(packed.os).toEqual(['linux', 'darwin', 'win32'])
    expect(packed.cpu).toEqual(['x64', 'arm64'])
    expect(packed.name).toBe(repo.name)
    expect(packed.version).toBe(repo.version)
    expect(packed.napi.targets).toEqual(repo.napi.targets)
  })

  test("the repository's package.json is back, byte for byte, with its prepare", () => {
    expect(fs.readFileSync(path.join(src, 'package.json'), 'utf8')).toBe(REPO_MANIFEST)
    expect(fs.existsSync(path.join(src, '.package.json.repo'))).toBe(false)
    // The clone keeps its build on `npm install`; packing (with no cargo on the PATH) did not
    // run it, or the pack in beforeAll would have failed.
    expect(JSON.parse(REPO_MANIFEST).scripts.prepare).toBe('npm run build')
  })
})

describe('the platform packages', () => {
  test('npm/ has one package per napi target, and lib/native.js lists the same platforms', () => {
    const dirs = fs.readdirSync(path.join(ROOT, 'npm')).sort()
    expect(dirs).toHaveLength(repo.napi.targets.length)
    const { SUPPORTED_PLATFORMS } = require('../lib/native.js')
    expect([...SUPPORTED_PLATFORMS].sort()).toEqual(dirs)
    for (const dir of dirs) {
      const p = JSON.parse(fs.readFileSync(path.join(ROOT, 'npm', dir, 'package.json'), 'utf8'))
      const [platform, arch, abi] = dir.split('-')
      expect(p).toMatchObject({ name: `tickflow-${dir}`, version: repo.version, os: [platform], cpu: [arch], main: `tickflow.${dir}.node`, files: [`tickflow.${dir}.node`] })
      if (platform === 'linux') expect(p.libc).toEqual([abi === 'musl' ? 'musl' : 'glibc'])
      else expect(p.libc).toBeUndefined()
      expect(p.scripts).toBeUndefined()
    }
  })

  test(`this platform's (${HOST}) tarball holds its manifest, README and the addon`, () => {
    expect(platformFiles).toEqual(['package/README.md', 'package/package.json', `package/tickflow.${HOST}.node`])
  })
})

describe('installed', () => {
  function project(...tarballs) {
    const dir = tempDir('app')
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }))
    const r = npm(['install', '--offline', '--no-audit', '--no-fund', ...tarballs], dir)
    return { dir, log: r.stdout + r.stderr }
  }
  const load = `
    try {
      const t = require('tickflow')
      console.log(JSON.stringify({ ok: t.nextRuns('0 9 * * *', { count: 1, from: new Date('2030-01-01T00:00:00Z'), timezone: 'UTC' }).map((d) => d.toISOString()) }))
    } catch (e) {
      console.log(JSON.stringify({ code: e.code, platform: e.platform, message: e.message }))
    }`

  test('the main tarball without its platform package: ERR_NO_BINARY naming the platform and the way out', () => {
    const { dir, log } = project(mainTgz)
    expect(log).not.toMatch(/install-scripts|prepare/)
    const r = node(['-e', load], dir)
    const err = JSON.parse(r.stdout)
    expect(err.code).toBe('ERR_NO_BINARY')
    expect(err.platform).toBe(HOST)
    expect(err.message).toContain(`no native binary for ${HOST}`)
    expect(err.message).toContain(`tickflow-${HOST}`)
    expect(err.message).toMatch(/optional dependencies enabled/)
    expect(err.message).toMatch(/from source with Rust/)
    expect(err.message).toContain('npm run build')
    expect(err.message).toContain('linux-x64-gnu, linux-arm64-gnu, linux-x64-musl, linux-arm64-musl, darwin-x64, darwin-arm64, win32-x64-msvc')
    expect(err.message).not.toMatch(/npm has a bug/)

    // The command prints the same message, without a stack, and exits 1.
    const cli = node([path.join(dir, 'node_modules', 'tickflow', 'bin', 'tickflow.js'), '--help'], dir)
    expect(cli.status).toBe(1)
    expect(cli.stderr).toContain(`tickflow: no native binary for ${HOST}`)
    expect(cli.stderr).not.toMatch(/^\s+at /m)
  }, 120_000)

  test('on a platform with no prebuilt binary, ERR_NO_BINARY says so and points at a build from source', () => {
    const { dir } = project(mainTgz, platformTgz)
    const r = node(['-e', `Object.defineProperty(process, 'arch', { value: 'riscv64' });${load}`], dir)
    const err = JSON.parse(r.stdout)
    expect(err.code).toBe('ERR_NO_BINARY')
    expect(err.platform).toMatch(new RegExp(`^${process.platform}-riscv64`))
    expect(err.message).toContain(`no prebuilt native binary for ${err.platform}`)
    expect(err.message).toMatch(/from source with Rust \(cargo\)/)
  }, 120_000)

  test('both tarballs installed together, as from the registry: it loads, with no install scripts', () => {
    const { dir, log } = project(mainTgz, platformTgz)
    expect(log).not.toMatch(/install-scripts|prepare/)
    expect(fs.readdirSync(path.join(dir, 'node_modules')).filter((f) => !f.startsWith('.')).sort()).toEqual(['tickflow', `tickflow-${HOST}`])
    const r = node(['-e', load], dir)
    expect(JSON.parse(r.stdout)).toEqual({ ok: ['2030-01-01T09:00:00.000Z'] })
    // The addon is the platform package's: the main package has none.
    expect(fs.readdirSync(path.join(dir, 'node_modules', 'tickflow')).filter((f) => f.endsWith('.node'))).toEqual([])

    // The help's example and the schema export work where tickflow is installed.
    const bin = path.join(dir, 'node_modules', 'tickflow', 'bin', 'tickflow.js')
    const help = node([bin, '--help'], dir)
    const example = /tickflow validate (\S+)/.exec(help.stdout)[1]
    expect(example).toBe(path.join('node_modules', 'tickflow', 'examples', 'schedules.json'))
    const validate = node([bin, 'validate', example], dir)
    expect(validate.stderr).toBe('')
    expect(validate.status).toBe(0)
    const schema = node(['-p', "require.resolve('tickflow/schema/schedules.schema.json')"], dir)
    expect(schema.stdout.trim()).toBe(path.join(fs.realpathSync(dir), 'node_modules', 'tickflow', 'schema', 'schedules.schema.json'))
  }, 120_000)
})

describe('the pack scripts', () => {
  test('a pack that stopped before postpack is undone by the next one, and restore brings the repository manifest back', () => {
    const dir = tempDir('manifest')
    fs.mkdirSync(path.join(dir, 'scripts'))
    fs.copyFileSync(path.join(ROOT, 'scripts', 'pack-manifest.js'), path.join(dir, 'scripts', 'pack-manifest.js'))
    fs.writeFileSync(path.join(dir, 'package.json'), REPO_MANIFEST)
    const script = path.join(dir, 'scripts', 'pack-manifest.js')
    expect(node([script, 'strip'], dir).status).toBe(0)
    const stripped = fs.readFileSync(path.join(dir, 'package.json'), 'utf8')
    expect(JSON.parse(stripped).scripts).toBeUndefined()
    // A second prepack after a failed pack starts from the repository manifest, not the stripped one.
    expect(node([script, 'strip'], dir).status).toBe(0)
    expect(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).toBe(stripped)
    expect(node([script, 'restore'], dir).status).toBe(0)
    expect(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).toBe(REPO_MANIFEST)
    expect(fs.existsSync(path.join(dir, '.package.json.repo'))).toBe(false)
  })

  test('npm publish from the folder is refused, pointing at the tarball', () => {
    // An unreachable registry: nothing can leave this machine even if the guard failed.
    const r = spawnSync(WIN ? 'npm.cmd' : 'npm', ['publish', '--dry-run', '--registry', 'http://127.0.0.1:9/'], {
      cwd: src,
      env: childEnv(),
      encoding: 'utf8',
      shell: WIN,
      timeout: 120_000,
    })
    expect(r.status).not.toBe(0)
    expect(r.stderr).toMatch(/Publish the packed tarball/)
    expect(fs.readFileSync(path.join(src, 'package.json'), 'utf8')).toBe(REPO_MANIFEST)
  }, 120_000)
})
