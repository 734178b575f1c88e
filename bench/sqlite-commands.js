'use strict'
// `node bench/sqlite-commands.js`: how long a command holds the JavaScript thread on SQLite,
// where each one commits before it answers (pause, resume, trigger; 3,000 of each).
const { WorkflowScheduleIntegration } = require('..')
const fs = require('fs')
;(async () => {
  const file = `${require('os').tmpdir()}/tickflow-cmd-${process.pid}.db`
  const i = new WorkflowScheduleIntegration({ executor: () => 'ok', store: { type: 'sqlite', path: file } })
  await i.start()
  for (let k = 0; k < 100; k++) await i.createScheduledWorkflow({ id: 'c' + k, workflowId: 'w', scheduleConfig: { cronExpression: '0 0 1 1 *', timezone: 'UTC' } })
  const times = { pause: [], resume: [], trigger: [] }
  for (let k = 0; k < 3000; k++) {
    const id = 'c' + (k % 100)
    let t = performance.now(); i._call((n) => n.pause(id, undefined)); times.pause.push(performance.now() - t)
    t = performance.now(); i._call((n) => n.resume(id)); times.resume.push(performance.now() - t)
    t = performance.now(); i._call((n) => n.trigger(id, undefined)); times.trigger.push(performance.now() - t)
    if (k % 100 === 0) await new Promise((r) => setImmediate(r))
  }
  for (const [name, xs] of Object.entries(times)) {
    xs.sort((a, b) => a - b)
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length
    console.log(`${name}: mean ${mean.toFixed(3)} ms, p50 ${xs[xs.length >> 1].toFixed(3)}, p99 ${xs[Math.floor(xs.length * 0.99)].toFixed(3)} ms`)
  }
  await i.stop()
  for (const suffix of ['', '-wal', '-shm', '-lock']) fs.rmSync(file + suffix, { force: true })
})()
