const { WorkflowScheduleIntegration } = require('tickflow')

// No executor needed: each schedule has its own handler. Missing folders are created.
const integration = new WorkflowScheduleIntegration({ store: { type: 'sqlite', path: './data/schedules.db' } })

async function main() {
  // schedule() upserts: declare your schedules at every boot ('created' | 'updated' | 'unchanged').
  const heartbeat = await integration.schedule('heartbeat', '*/5 * * * * *', (run) => {
    console.log(`heartbeat ${run.executionId} for ${run.scheduledTime.toISOString()}`)
  })
  const report = await integration.schedule('weekday-report', '0 9 * * 1-5', {
    timezone: 'Europe/Berlin',
    timeoutMs: 60_000,
    retries: { maxAttempts: 3, backoff: 'exponential', delayMs: 1000 },
  }, async (run) => {
    // Your work here; hand run.signal on (fetch, child processes): it aborts on timeout and stop().
    console.log(`weekday report, attempt ${run.attempt}, for ${run.scheduledTime.toISOString()}`)
  })
  console.log(`heartbeat: ${heartbeat}, weekday-report: ${report}`)
  await integration.start()
  // A demo: stop after 12 s (QUICK_START_MS to change it); a service stops on SIGTERM instead.
  setTimeout(() => integration.stop(), Number(process.env.QUICK_START_MS) || 12_000)
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
