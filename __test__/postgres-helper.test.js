// The throwaway PostgreSQL helper (__test__/helpers/postgres.js) itself: it starts, answers,
// keeps its data across a restart and a crash, and leaves nothing behind. PostgreSQL must be
// installed: a missing server fails these tests with the install hint, it never skips them.
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const net = require('node:net')
const { startPostgres, findBinaries } = require('./helpers/postgres')

jest.setTimeout(60_000)

let pg = null

beforeAll(async () => {
  pg = await startPostgres()
})

afterAll(async () => {
  if (pg) await pg.stop()
})

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

test('starts on a free port in a fresh folder and answers select 1', async () => {
  expect(pg.url).toBe(`postgres://postgres@127.0.0.1:${pg.port}/postgres`)
  expect(pg.host).toBe('127.0.0.1')
  expect(pg.dataDir.startsWith(fs.realpathSync(os.tmpdir())) || pg.dataDir.startsWith(os.tmpdir())).toBe(true)
  expect(fs.existsSync(path.join(pg.dataDir, 'PG_VERSION'))).toBe(true)
  expect(await pg.query('select 1')).toBe('1')
  expect(await pg.query('show fsync')).toBe('off')
  expect(await pg.query("select pg_encoding_to_char(encoding) || ' ' || datcollate from pg_database where datname = 'postgres'")).toBe('UTF8 C')
  expect(await listening(pg.port)).toBe(true)
})

test('a failing statement rejects with the server message', async () => {
  await expect(pg.query('select no_such_column')).rejects.toThrow(/column "no_such_column" does not exist/)
})

test('restart keeps the data and the port', async () => {
  await pg.query('create table kept (id int primary key, name text); insert into kept values (1, $$one$$), (2, $$two$$);')
  const port = pg.port
  await pg.restart()
  expect(pg.port).toBe(port)
  expect(await pg.query('select count(*) || \':\' || string_agg(name, \',\' order by id) from kept')).toBe('2:one,two')
})

test('kill is a crash: queries fail until restart, which recovers the committed data', async () => {
  // The server runs with synchronous_commit=off: a commit returns before its WAL is written,
  // so a crash can lose the last ones. This one waits for its WAL (in the OS page cache,
  // which a process crash keeps).
  await pg.query('set synchronous_commit = on; insert into kept values (3, $$three$$)')
  await pg.kill()
  await expect(pg.query('select 1')).rejects.toThrow()
  await pg.restart()
  expect(await pg.query('select count(*) from kept')).toBe('3')
})

test('stop removes the folder, frees the port and can be called twice', async () => {
  const other = await startPostgres()
  const base = path.dirname(other.dataDir)
  expect(other.port).not.toBe(pg.port)
  expect(await other.query('select current_user')).toBe('postgres')
  await other.stop()
  await other.stop()
  expect(fs.existsSync(base)).toBe(false)
  expect(await listening(other.port)).toBe(false)
  await expect(other.restart()).rejects.toThrow(/after stop/)
})

test('no PostgreSQL binaries: a clear error that says how to install them', () => {
  expect(() => findBinaries({ searchPath: '', root: path.join(os.tmpdir(), 'no-such-postgresql-root') })).toThrow(
    /apt-get install -y postgresql/,
  )
})
