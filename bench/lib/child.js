'use strict'
// Runs one workload function in a child process of its own, so that one library's memory,
// timers and garbage never mix with another's. The function is `require(file)[name](args)`;
// its JSON result comes back through a file, not IPC: a library that saturates the child's
// event loop (node-cron with 10,000 every-second tasks) would starve an IPC callback.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { spawn } = require('node:child_process')

let runs = 0

function runInChild(file, name, args, { timeoutMs }) {
  const resultFile = path.join(os.tmpdir(), `tickflow-bench-${process.pid}-${runs++}.json`)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(__dirname, 'child-main.js'), file, name, JSON.stringify(args), resultFile], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      child.kill('SIGKILL')
    }, timeoutMs)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      let reply = null
      try {
        reply = JSON.parse(fs.readFileSync(resultFile, 'utf8'))
        fs.rmSync(resultFile)
      } catch {}
      if (reply && reply.ok) resolve(reply.value)
      else if (reply) resolve({ failed: reply.error, stack: reply.stack })
      else resolve({ failed: timedOut ? `timed out after ${timeoutMs / 1000} s` : `exited (${signal || code}) without a result` })
    })
  })
}

module.exports = { runInChild }
