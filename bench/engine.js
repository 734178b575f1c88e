// Engine benchmarks: idle memory per schedule, creation rate, and trigger latency with
// many schedules firing every second. Run with `node --expose-gc bench/engine.js`
// (npm run bench does). Sizes can be lowered with BENCH_SCHEDULES / BENCH_FIRING.
const { WorkflowScheduleIntegration } = require('..')

const SCHEDULES = Number(process.env.BENCH_SCHEDULES || 100_000)
const FIRING = Number(process.env.BENCH_FIRING || 10_000)
const FIRING_SECONDS = Number(process.env.BENCH_FIRING_SECONDS || 10)

const gc = () => {
  if (global.gc) for (let i = 0; i < 3; i++) global.gc()
}
const rss = () => {
  gc()
  return process.memoryUsage().rss
}
const fmt = (n) => Math.round(n).toLocaleString('en-US')
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]

async function memoryAndCreation() {
  const integration = new WorkflowScheduleIntegration({ executor: () => 'ok' })
  await integration.start()
  const before = rss()
  const started = process.hrtime.bigint()
  for (let i = 0; i < SCHEDULES; i++) {
    await integration.createScheduledWorkflow({
      id: `c${i}`,
      workflowId: `w${i % 100}`,
      scheduleConfig: { cronExpression: `${i % 60} ${i % 24} * * *`, timezone: i % 2 ? 'Europe/Berlin' : 'UTC' },
    })
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  // Idle: let a few driver wake-ups pass, then measure.
  await new Promise((ok) => setTimeout(ok, 1500))
  const cpuBefore = process.cpuUsage()
  await new Promise((ok) => setTimeout(ok, 3000))
  const cpu = process.cpuUsage(cpuBefore)
  const after = rss()
  await integration.stop()
  return {
    schedules: SCHEDULES,
    createPerSecond: SCHEDULES / seconds,
    bytesPerSchedule: (after - before) / SCHEDULES,
    idleCpuMsPerSecond: (cpu.user + cpu.system) / 1000 / 3,
  }
}

async function triggerLatency() {
  const latencies = []
  const integration = new WorkflowScheduleIntegration({
    executor: (req) => {
      latencies.push(Date.now() - req.scheduledTime.getTime())
      return 'ok'
    },
    maxConcurrency: FIRING * 2,
  })
  await integration.start()
  for (let i = 0; i < FIRING; i++) {
    await integration.createScheduledWorkflow({
      id: `f${i}`,
      workflowId: 'w',
      scheduleConfig: { cronExpression: '* * * * * *', overlapPolicy: 'allow' },
    })
  }
  latencies.length = 0
  await new Promise((ok) => setTimeout(ok, FIRING_SECONDS * 1000))
  const engine = integration.getSystemMetrics()
  await integration.stop()
  const sorted = latencies.slice().sort((a, b) => a - b)
  return {
    schedules: FIRING,
    seconds: FIRING_SECONDS,
    executorCalls: latencies.length,
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    max: sorted[sorted.length - 1],
    engineP50: engine.triggerLatency.p50,
    engineP99: engine.triggerLatency.p99,
  }
}

async function main() {
  if (!global.gc) console.log('(run with node --expose-gc for steadier memory figures)')
  const m = await memoryAndCreation()
  console.log(`\n## Schedules: memory and creation (${fmt(m.schedules)} schedules, memory store)\n`)
  console.log(`- created: ${fmt(m.createPerSecond)} schedules/s (createScheduledWorkflow, awaited one by one)`)
  console.log(`- idle memory: ${fmt(m.bytesPerSchedule)} bytes per schedule (RSS delta after GC)`)
  console.log(`- idle CPU: ${m.idleCpuMsPerSecond.toFixed(2)} ms per second`)
  const t = await triggerLatency()
  console.log(`\n## Trigger latency (${fmt(t.schedules)} schedules firing every second for ${t.seconds} s)\n`)
  console.log(`- executor calls: ${fmt(t.executorCalls)}`)
  console.log(`- scheduled instant → JS executor call: p50 ${t.p50} ms, p99 ${t.p99} ms, max ${t.max} ms`)
  console.log(`- scheduled instant → dispatch in the engine: p50 ${t.engineP50.toFixed(3)} ms, p99 ${t.engineP99.toFixed(3)} ms`)
  return { memory: m, latency: t }
}

module.exports = { main }
if (require.main === module) main()
