// The main job for now: a WorkflowScheduleIntegration running a few schedules for a few
// seconds on the real clock, with a toy executor, printing every event as it arrives.
// Run with `node examples/live.js [seconds]` (default 6) in a clone, or with
// `node node_modules/tickflow/examples/live.js` where tickflow is installed.
const { WorkflowScheduleIntegration } = require('..')

const SECONDS = Number(process.argv[2] || 6)
let runs = 0

const integration = new WorkflowScheduleIntegration({
  maxConcurrency: 4,
  async executor(request) {
    runs++
    // A toy workflow: the 'flaky' one fails its first attempt, then succeeds.
    await new Promise((resolve) => setTimeout(resolve, 150))
    if (request.workflowId === 'flaky' && request.attempt === 1) {
      throw Object.assign(new Error('upstream not ready'), { code: 'NETWORK_ERROR' })
    }
    return { workflow: request.workflowId, at: request.scheduledTime.toISOString() }
  },
})

const clock = (d) => d.toISOString().slice(11, 23)
integration.on('event', (e) => {
  if (e.type === 'schedule.created') return
  const what = [e.scheduleId, e.executionId, e.attempt && `attempt ${e.attempt}`, e.reason, e.error && e.error.code]
  console.log(`${clock(e.timestamp)}  ${e.type.padEnd(20)} ${what.filter(Boolean).join('  ')}`)
})

async function main() {
  await integration.start()
  await integration.createScheduledWorkflow({
    id: 'heartbeat', workflowId: 'heartbeat', scheduleId: 'every-2s',
    scheduleConfig: { cronExpression: '*/2 * * * * *' },
  })
  await integration.createScheduledWorkflow({
    id: 'flaky', workflowId: 'flaky', scheduleId: 'every-3s',
    executionConfig: { retryPolicy: { maxAttempts: 2, backoffStrategy: 'fixed', initialDelay: 500, maxDelay: 500, multiplier: 1 } },
    scheduleConfig: { cronExpression: '*/3 * * * * *' },
  })
  console.log(`Running for ${SECONDS} s; next heartbeat runs: ${integration.getNextExecutionTimes('every-2s', 3).map(clock).join(', ')}\n`)
  await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
  await integration.stop()
  const m = await integration.getSystemMetrics()
  console.log(`\n${runs} executor calls; ${m.successfulExecutions} completed, ${m.failedExecutions} failed; trigger latency p50 ${m.triggerLatency.p50.toFixed(2)} ms, p99 ${m.triggerLatency.p99.toFixed(2)} ms`)
}

main()
