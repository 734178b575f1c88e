'use strict'
// One tickflow node of the cluster benchmark (forked with IPC). argv[2] is JSON:
// { url, nodeId, count, cron, concurrency, hang, trigger, declare, tellCalls }. It declares
// `count` schedules `b<i>` on `cron` (when `declare`), starts, and records for each executor
// call the lateness (call time - scheduled time). `hang`: executors never answer. `trigger`:
// trigger schedule b0 once started. `tellCalls`: each call is also sent to the parent as it
// happens (the failover run watches for them; the herd does not pay a message per call,
// as the peers' workers do not). Answers { type: 'report' } with what it saw, the CPU time
// the process used since it was ready (cpuMs: user and system, every thread), and the
// longest the event loop was held once ready (loopMaxMs).
const { monitorEventLoopDelay } = require('node:perf_hooks')
const { WorkflowScheduleIntegration } = require('../..')

const o = JSON.parse(process.argv[2])
const lateness = []
const loop = monitorEventLoopDelay({ resolution: 5 })
let cpuAtReady = null
const attempts = []
const integration = new WorkflowScheduleIntegration({
  store: { type: 'postgres', connectionString: o.url },
  nodeId: o.nodeId,
  maxConcurrency: o.concurrency || 100,
  historyRetention: { maxPerSchedule: 10 },
  executor: (run) => {
    const now = Date.now()
    if (run.triggerType === 'scheduled') lateness.push(now - run.scheduledTime.getTime())
    attempts.push({ executionId: run.executionId, attempt: run.attempt, at: now })
    if (o.tellCalls) process.send?.({ type: 'call', executionId: run.executionId, attempt: run.attempt, at: now })
    return o.hang ? new Promise(() => {}) : undefined
  },
})

async function main() {
  if (o.declare) {
    const configs = Array.from({ length: o.count }, (_, i) => ({
      id: `b${i}`,
      workflowId: 'bench',
      scheduleConfig: { cronExpression: o.cron, overlapPolicy: 'allow', retryPolicy: { maxRetries: 2, retryDelay: 0 } },
    }))
    await integration.syncScheduledWorkflows(configs)
  }
  await integration.start()
  if (o.trigger) await integration.triggerScheduledExecution('b0')
  loop.enable()
  cpuAtReady = process.cpuUsage()
  process.send({ type: 'ready' })
}

process.on('message', (m) => {
  if (m.type === 'report') {
    const cpu = cpuAtReady && process.cpuUsage(cpuAtReady)
    process.send({ type: 'report', lateness, calls: attempts.length, loopMaxMs: loop.max / 1e6, cpuMs: cpu && Math.round((cpu.user + cpu.system) / 1000) })
  }
  if (m.type === 'stop') integration.stop({ graceMs: 1000 }).then(() => process.exit(0))
})
main().catch((err) => {
  process.send?.({ type: 'failed', error: `${err.code}: ${err.message}` })
  process.exit(1)
})
