'use strict'
// Node processes of a test cluster (fixtures/cluster-node.js) and the log their executors
// write: one JSON line per call (and per abort of a hanging one).
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')

/** A node joining the store at `url` as `id`; `ready` once it started, `ended` at exit. */
function startNode(url, id, env = {}) {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'fixtures', 'cluster-node.js'), id], {
    env: { ...process.env, TICKFLOW_PG: url, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.output = ''
  child.stdout.on('data', (d) => (child.output += d))
  child.stderr.on('data', (d) => (child.output += d))
  child.ready = new Promise((resolve, reject) => {
    child.stdout.on('data', () => child.output.includes('ready') && resolve())
    child.on('exit', (code) => reject(new Error(`node ${id} exited (${code}) before it was ready: ${child.output}`)))
  })
  child.ended = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  return child
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const readLog = (file) =>
  fs.existsSync(file)
    ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : []

function tempLog() {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tickflow-cluster-')), 'executor.log')
}

module.exports = { startNode, sleep, readLog, tempLog }
