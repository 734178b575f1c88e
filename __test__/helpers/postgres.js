'use strict'
// A throwaway PostgreSQL server for tests and benchmarks: initdb into a fresh temporary
// folder, start on a free port, and remove everything on stop(). No dependencies beyond
// Node's own modules; the server binaries come from PATH, else the highest version under
// /usr/lib/postgresql/*/bin. Running as root, every PostgreSQL command runs as the
// `postgres` OS user (initdb and postgres refuse to run as root).
//
//   const { startPostgres } = require('./helpers/postgres')
//   const pg = await startPostgres()
//   await pg.query('select 1')        // '1'
//   await pg.restart()                // same port, same data
//   await pg.stop()                   // idempotent; the folder is gone afterwards
//
// pg.kill() SIGKILLs the server's process group (a crash); restart() then starts it again
// with crash recovery. pg.pause() SIGSTOPs the group (a server that stops answering, its
// connections open; Linux only: it reads /proc); pg.resume() lets it go on. The server runs with fsync, synchronous_commit and full_page_writes
// off (speed over durability): a crash can lose the last commits of sessions that did not
// `set synchronous_commit = on`. Servers still running when the process exits are stopped from an
// 'exit' hook, so a script that throws leaves no postgres behind (a signal that kills the
// process outright skips the hook: scripts that care catch SIGINT/SIGTERM and call stop()).

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const net = require('node:net')
const { spawn, execFileSync } = require('node:child_process')

const IS_ROOT = typeof process.getuid === 'function' && process.getuid() === 0
const PG_USER = 'postgres'
const INSTALL_HINT = 'install them with `apt-get install -y postgresql` (Debian/Ubuntu), or put initdb and pg_ctl on PATH'

const live = new Set()
let exitHookInstalled = false

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}

function onPath(name, searchPath = process.env.PATH) {
  for (const dir of (searchPath || '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name)
  }
  return null
}

/** Numeric comparison of version folder names: 9.6 < 10 < 15 < 16. */
function compareVersions(a, b) {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] || 0) - (pb[i] || 0)
    if (d !== 0) return d
  }
  return 0
}

/**
 * The server binaries: { initdb, pg_ctl, psql, binDir }. PATH first (psql taken next to the
 * real pg_ctl when there is one there: Debian's /usr/bin/psql is a wrapper script), else the
 * highest /usr/lib/postgresql/<version>/bin. Throws when neither has initdb and pg_ctl.
 * (searchPath and root are there for the helper's own test.)
 */
function findBinaries({ searchPath = process.env.PATH, root = '/usr/lib/postgresql' } = {}) {
  const initdb = onPath('initdb', searchPath)
  const pgCtl = onPath('pg_ctl', searchPath)
  if (initdb && pgCtl) {
    const binDir = path.dirname(fs.realpathSync(pgCtl))
    const sibling = path.join(binDir, 'psql')
    const psql = isExecutable(sibling) ? sibling : onPath('psql', searchPath)
    if (psql) return { initdb, pg_ctl: pgCtl, psql, binDir }
  }
  let versions = []
  try {
    versions = fs.readdirSync(root).filter((v) => /^\d+(\.\d+)*$/.test(v))
  } catch {}
  versions.sort(compareVersions).reverse()
  for (const version of versions) {
    const binDir = path.join(root, version, 'bin')
    const bins = { initdb: path.join(binDir, 'initdb'), pg_ctl: path.join(binDir, 'pg_ctl'), psql: path.join(binDir, 'psql'), binDir }
    if (isExecutable(bins.initdb) && isExecutable(bins.pg_ctl) && isExecutable(bins.psql)) return bins
  }
  throw new Error(`PostgreSQL server binaries not found (looked for initdb, pg_ctl and psql on PATH and in ${root}/*/bin): ${INSTALL_HINT}`)
}

/** uid and gid of the postgres OS user, read from /etc/passwd (root only). */
function postgresOwner() {
  let passwd = ''
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8')
  } catch {}
  for (const line of passwd.split('\n')) {
    const fields = line.split(':')
    if (fields[0] === PG_USER) return { uid: Number(fields[2]), gid: Number(fields[3]) }
  }
  throw new Error(`running as root, but there is no \`${PG_USER}\` OS user to run PostgreSQL as (initdb refuses root): create one, or run as another user`)
}

/** [command, args] that runs `file args` as the postgres user when we are root. */
function asPostgres(file, args) {
  if (!IS_ROOT) return [file, args]
  if (onPath('runuser')) return ['runuser', ['-u', PG_USER, '--', file, ...args]]
  const quoted = [file, ...args].map((a) => `'${String(a).replace(/'/g, `'\\''`)}'`).join(' ')
  return ['su', ['-s', '/bin/sh', PG_USER, '-c', quoted]]
}

/** Runs a command to its end; resolves { stdout, stderr }, rejects with both in the message. */
function run(file, args, { input, timeoutMs = 120_000 } = {}) {
  const [command, argv] = asPostgres(file, args)
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ['pipe', 'pipe', 'pipe'], cwd: os.tmpdir() })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve({ stdout, stderr })
      else {
        const err = new Error(`${path.basename(file)} ${args.join(' ')} failed (${signal || `exit ${code}`}): ${(stderr || stdout).trim()}`)
        err.code = code
        err.stdout = stdout
        err.stderr = stderr
        reject(err)
      }
    })
    child.stdin.on('error', () => {}) // a command that exits without reading its input
    child.stdin.end(input === undefined ? '' : input)
  })
}

/** A TCP port free on 127.0.0.1 right now (the kernel's pick for port 0). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function readPid(dataDir) {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/** The System V shared memory id the server recorded in postmaster.pid (line 7: key, id). */
function sharedMemoryId(dataDir) {
  try {
    const line = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[6] || ''
    const id = Number(line.trim().split(/\s+/)[1])
    return Number.isInteger(id) && id >= 0 ? id : null
  } catch {
    return null
  }
}

/** Whether `pid` runs (a zombie, killed and waiting for its parent to reap it, does not). */
function alive(pid) {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if (err.code !== 'EPERM') return false
  }
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces and parentheses.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (macOS): trust kill(pid, 0)
  }
}

/** A signal to the postmaster's process group (pg_ctl starts it with setsid), else to it alone. */
function signalServer(pid, signal) {
  try {
    process.kill(-pid, signal)
  } catch {
    try {
      process.kill(pid, signal)
    } catch {}
  }
}

function killServer(pid) {
  signalServer(pid, 'SIGKILL')
}

/** The postmaster and its children (each backend is a session leader of its own). */
function serverProcesses(pid) {
  const pids = [pid]
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) pids.push(Number(entry))
    } catch {}
  }
  return pids
}

/** A signal to the postmaster and every process it started. */
function signalAll(pid, signal) {
  for (const p of serverProcesses(pid)) {
    try {
      process.kill(p, signal)
    } catch {}
  }
}

function installExitHook() {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', stopAllSync)
}

/** Stops every server of this process at once, synchronously (the 'exit' hook). */
function stopAllSync() {
  for (const server of live) {
    live.delete(server)
    const pid = readPid(server.dataDir)
    if (pid && alive(pid)) {
      try {
        const [command, argv] = asPostgres(server.bins.pg_ctl, ['stop', '-D', server.dataDir, '-m', 'immediate', '-w', '-t', '10'])
        execFileSync(command, argv, { stdio: 'ignore', timeout: 15_000 })
      } catch {
        killServer(pid)
      }
    }
    fs.rmSync(server.baseDir, { recursive: true, force: true })
  }
}

/**
 * Starts a throwaway server. Options:
 *   settings: { name: value } extra `-c name=value` server settings (override the defaults)
 *   startTimeoutSeconds: how long pg_ctl waits for the server to accept connections (60)
 * Resolves { url, port, host, dataDir, socketDir, logFile, binDir, version,
 *            stop(), restart(), kill(), pause(), resume(), query(sql, { database }),
 *            urlFor(database) }.
 */
async function startPostgres(options = {}) {
  const bins = findBinaries()
  const owner = IS_ROOT ? postgresOwner() : null
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-pg-'))
  const dataDir = path.join(baseDir, 'data')
  const socketDir = path.join(baseDir, 'socket')
  const logFile = path.join(dataDir, 'postgres.log')
  const host = '127.0.0.1'
  const settings = {
    listen_addresses: host,
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    max_connections: 200,
    ...(options.settings || {}),
  }
  const startTimeout = String(options.startTimeoutSeconds || 60)
  const server = { bins, baseDir, dataDir }
  let port = null
  let stopped = null

  const serverOptions = () =>
    [`-p ${port}`, `-k ${socketDir}`, ...Object.entries(settings).map(([name, value]) => `-c ${name}=${value}`)].join(' ')

  const query = async (sql, { database = 'postgres' } = {}) => {
    const args = ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', PG_USER, '-d', database, '-f', '-']
    const { stdout } = await run(bins.psql, args, { input: sql })
    return stdout.trim()
  }

  /** Waits until a query goes through (pg_ctl -w already waits; this also covers a slow socket). */
  const ready = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      try {
        await query('select 1')
        return
      } catch (err) {
        if (Date.now() > deadline) throw err
        await sleep(100)
      }
    }
  }

  const logTail = () => {
    try {
      return fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-15).join('\n')
    } catch {
      return '(no log)'
    }
  }

  try {
    fs.mkdirSync(socketDir, { mode: 0o700 })
    if (owner) {
      fs.chownSync(baseDir, owner.uid, owner.gid)
      fs.chownSync(socketDir, owner.uid, owner.gid)
    }
    await run(bins.initdb, ['-D', dataDir, '--auth=trust', '--no-sync', '-U', PG_USER, '--locale=C', '--encoding=UTF8'])
    live.add(server)
    installExitHook()
    // The port is free when picked, not necessarily when the server binds it: try again.
    for (let attempt = 1; ; attempt++) {
      port = await freePort()
      try {
        await run(bins.pg_ctl, ['start', '-w', '-t', startTimeout, '-D', dataDir, '-l', logFile, '-o', serverOptions()])
        break
      } catch (err) {
        if (attempt >= 3) throw new Error(`${err.message}\n--- ${logFile} ---\n${logTail()}`)
      }
    }
    await ready()
  } catch (err) {
    live.delete(server)
    const pid = readPid(dataDir)
    if (pid && alive(pid)) killServer(pid)
    fs.rmSync(baseDir, { recursive: true, force: true })
    throw err
  }

  const version = await query('show server_version')

  const handle = {
    host,
    port,
    url: `postgres://${PG_USER}@${host}:${port}/postgres`,
    urlFor: (database) => `postgres://${PG_USER}@${host}:${port}/${encodeURIComponent(database)}`,
    dataDir,
    socketDir,
    logFile,
    binDir: bins.binDir,
    version,
    query,

    /**
     * pg_ctl restart -m fast on the same port; resolves once it accepts connections again.
     * `downMs`: stays stopped (cleanly) that long before it starts again, an outage no client
     * can miss. After kill(), a start: the lock files of the killed server are removed first
     * (its postmaster may linger as a zombie that its new parent has yet to reap, and both
     * pg_ctl and postgres take a zombie's pid for a running server).
     */
    async restart({ downMs = 0 } = {}) {
      if (stopped) throw new Error('restart() after stop()')
      const pid = readPid(dataDir)
      const running = pid !== null && alive(pid)
      try {
        if (running && downMs > 0) {
          await run(bins.pg_ctl, ['stop', '-w', '-t', startTimeout, '-m', 'fast', '-D', dataDir])
          await sleep(downMs)
          await run(bins.pg_ctl, ['start', '-w', '-t', startTimeout, '-D', dataDir, '-l', logFile, '-o', serverOptions()])
        } else if (running) {
          await run(bins.pg_ctl, ['restart', '-w', '-t', startTimeout, '-m', 'fast', '-D', dataDir, '-l', logFile, '-o', serverOptions()])
        } else {
          const segment = sharedMemoryId(dataDir)
          fs.rmSync(path.join(dataDir, 'postmaster.pid'), { force: true })
          fs.rmSync(path.join(socketDir, `.s.PGSQL.${port}.lock`), { force: true })
          await run(bins.pg_ctl, ['start', '-w', '-t', startTimeout, '-D', dataDir, '-l', logFile, '-o', serverOptions()])
          // The killed server's System V segment (56 bytes) would outlive it otherwise.
          if (segment !== null && onPath('ipcrm')) await run('ipcrm', ['-m', String(segment)]).catch(() => {})
        }
      } catch (err) {
        throw new Error(`${err.message}\n--- ${logFile} ---\n${logTail()}`)
      }
      await ready()
    },

    /** SIGKILL to the whole server (a crash); waits until the postmaster is gone. */
    async kill() {
      const pid = readPid(dataDir)
      if (!pid || !alive(pid)) return
      killServer(pid)
      const deadline = Date.now() + 10_000
      while (alive(pid) && Date.now() < deadline) await sleep(20)
    },

    /** SIGSTOP to the whole server: it stops answering, its connections stay open. */
    pause() {
      const pid = readPid(dataDir)
      if (pid && alive(pid)) signalAll(pid, 'SIGSTOP')
    },

    /** SIGCONT after pause(). */
    resume() {
      const pid = readPid(dataDir)
      if (pid) signalAll(pid, 'SIGCONT')
    },

    /** pg_ctl stop -m immediate, then the temporary folder goes. Safe to call twice. */
    stop() {
      if (!stopped) {
        stopped = (async () => {
          const pid = readPid(dataDir)
          // A paused server would not hear pg_ctl.
          if (pid) signalAll(pid, 'SIGCONT')
          if (pid && alive(pid)) {
            try {
              await run(bins.pg_ctl, ['stop', '-w', '-t', '30', '-m', 'immediate', '-D', dataDir])
            } catch {
              killServer(pid)
            }
          }
          live.delete(server)
          fs.rmSync(baseDir, { recursive: true, force: true })
        })()
      }
      return stopped
    },
  }
  return handle
}

/**
 * For a Jest test file: one throwaway server for the whole file (started before its tests,
 * stopped after them) as `server.pg`, and `server.freshDb()`: a new database on it, so
 * that no test sees another's rows. Resolves { name, url }.
 */
function postgresForTestFile() {
  const server = { pg: null, freshDb }
  let count = 0
  async function freshDb() {
    const name = `t${++count}_${process.pid}`
    await server.pg.query(`CREATE DATABASE ${name}`)
    return { name, url: server.pg.urlFor(name) }
  }
  beforeAll(async () => {
    server.pg = await startPostgres()
  })
  afterAll(async () => {
    await server.pg?.stop()
  })
  return server
}

module.exports = { startPostgres, postgresForTestFile, findBinaries, stopAllSync }
