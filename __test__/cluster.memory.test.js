// On PostgreSQL a node holds its schedules and the executions not final, not the cluster's
// history: with 1,000,000 finished executions in the database a node's memory is about what
// it is with 1,000, and reads page through the database. Retention applies in the database.
const path = require('node:path')
const { execFile } = require('node:child_process')
const { WorkflowScheduleIntegration } = require('..')
const { startPostgres } = require('./helpers/postgres')
const { config } = require('./support')

jest.setTimeout(600_000)

const MINUTE = 60_000
const YEARS = 10 * 366 * 86_400_000

let pg
beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(() => pg?.stop())

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function until(ok, what) {
  for (let i = 0; i < 3000; i++) {
    if (await ok()) return
    await sleep(20)
  }
  throw new Error(`never: ${what}`)
}

/**
 * A database with schedule 's-big' and one real finished execution of it, whose row is the
 * template the bulk rows are made from (so they are rows the engine reads back).
 */
async function seeded(name, retention) {
  await pg.query(`CREATE DATABASE ${name}`)
  const url = pg.urlFor(name)
  const node = new WorkflowScheduleIntegration({
    executor: async () => 'ok',
    store: { type: 'postgres', connectionString: url },
    historyRetention: retention,
  })
  await node.start()
  await node.createScheduledWorkflow(config('big', '0 0 1 1 *'))
  const id = await node.triggerScheduledExecution('s-big')
  await until(async () => (await node.getExecution(id))?.status === 'completed', 'the template run finished')
  await node.stop()
  return { url, templateId: id, sql: (text) => pg.query(text, { database: name }) }
}

/**
 * `count` finished executions of 's-big' one minute apart, ending `startMs` + i minutes + the
 * duration (1000 + i % 500 ms); ids exec_<prefix>_<i, 8 digits>, sequence numbers from `seqBase` up
 * (above any block a node takes). `timeColumns`: with their start and end as columns too, as a
 * node writes them; without, as written before those columns were (the record alone says).
 */
async function insertFinished(db, count, startMs, prefix = 'bulk', seqBase = 10_000_000_000, timeColumns = true) {
  const times = timeColumns ? 'e.at, e.at + 1000 + g % 500' : 'NULL::bigint, NULL::bigint'
  await db.sql(`
    INSERT INTO tickflow.executions
        (seq, id, schedule_id, status, trigger, scheduled_ms, priority, due_ms, node, started_ms, ended_ms, record, writer)
    SELECT ${seqBase} + g, e.id, 's-big', 'completed', 'manual', e.at, t.priority, NULL, NULL, ${times},
           jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(jsonb_set(t.r,
               '{id}', to_jsonb(e.id)),
               '{scheduledTime,$date}', to_jsonb(e.at)),
               '{createdTime,$date}', to_jsonb(e.at)),
               '{actualStartTime,$date}', to_jsonb(e.at)),
               '{completionTime,$date}', to_jsonb(e.at + 1000 + g % 500)),
               '{attempts}', jsonb_build_array(jsonb_build_object(
                   'attempt', 1, 'startTime', jsonb_build_object('$date', e.at),
                   'endTime', jsonb_build_object('$date', e.at + 1000 + g % 500))))::text,
           'bulk'
    FROM generate_series(1::bigint, ${count}) g
    CROSS JOIN (SELECT record::jsonb AS r, priority FROM tickflow.executions WHERE schedule_id = 's-big' LIMIT 1) t
    CROSS JOIN LATERAL (SELECT '${prefix}_' || lpad(g::text, 8, '0') AS id, ${startMs}::bigint + g * ${MINUTE} AS at) e0
    CROSS JOIN LATERAL (SELECT 'exec_' || e0.id AS id, e0.at) e;
    ANALYZE tickflow.executions;`)
}

/** A node in a child process: its RSS after start and after paging, and what the reads said. */
function childNode(url) {
  const script = `
    const { WorkflowScheduleIntegration } = require(${JSON.stringify(path.join(__dirname, '..'))})
    const rss = () => { global.gc?.(); return process.memoryUsage().rss }
    ;(async () => {
      const node = new WorkflowScheduleIntegration({
        executor: async () => 'ok',
        store: { type: 'postgres', connectionString: ${JSON.stringify(url)}, commandTimeoutMs: 120000 },
        historyRetention: { maxPerSchedule: 10000000, maxAgeMs: ${YEARS} },
      })
      await node.start()
      const started = rss()
      const newest = (await node.listExecutions({ limit: 5 })).map((e) => e.id)
      const deep = (await node.listExecutions({ scheduleId: 's-big', limit: 3, offset: 500 })).map((e) => e.id)
      for (let offset = 0; offset < 20000; offset += 1000) {
        await node.listExecutions({ limit: 1000, offset })
      }
      const t0 = performance.now()
      const history = await node.getExecutionHistory('s-big', { limit: 10 })
      const historyMs = performance.now() - t0
      const old = await node.getExecution('exec_bulk_00000007')
      const skipped = await node.getSkippedOccurrences('s-big')
      const metrics = await node.getScheduleMetrics('s-big')
      const paged = rss()
      await node.stop()
      process.stdout.write(JSON.stringify({
        started, paged, newest, deep, historyMs,
        history: { totalCount: history.totalCount, successCount: history.successCount,
                   ids: history.executions.map((e) => e.id), days: history.trends.executionCount.length },
        old: old && { id: old.id, status: old.status, scheduledTime: old.scheduledTime, duration: old.duration },
        skipped: { count: skipped.length, first: skipped[0] },
        executionsTracked: node.getPerformanceMetrics().executionsTracked,
        averageExecutionTime: metrics.averageExecutionTime,
      }))
    })().catch((err) => { console.error(err); process.exit(1) })`
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', '-e', script], { maxBuffer: 1 << 24, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`))
      else resolve(JSON.parse(stdout))
    })
  })
}

const pad = (i) => String(i).padStart(8, '0')

test('a node with 1,000,000 finished executions in the database holds about what it holds with 1,000, and pages from the database', async () => {
  const retention = { maxPerSchedule: 10_000_000, maxAgeMs: YEARS }
  const reports = {}
  for (const [name, count] of [['mem_small', 1_000], ['mem_big', 1_000_000]]) {
    const db = await seeded(name, retention)
    // Oldest first, all before the template run (now), ending well within the retention.
    const start = Date.now() - (count + 10) * MINUTE
    await insertFinished(db, count, start)
    await db.sql(`INSERT INTO tickflow.skips (schedule_id, scheduled_ms, reason, recorded_ms)
                  SELECT 's-big', ${start} + g * ${MINUTE} + 1, 'overlap', ${start} + g * ${MINUTE} + 2
                  FROM generate_series(1::bigint, 1000) g`)
    expect(await db.sql('SELECT count(*) FROM tickflow.executions')).toBe(String(count + 1))
    const report = await childNode(db.url)
    reports[name] = report

    // The newest first: the template run, then the bulk rows from the last one down.
    expect(report.newest).toEqual([db.templateId, ...[0, 1, 2, 3].map((k) => `exec_bulk_${pad(count - k)}`)])
    // Offset 500 of 's-big' (the template is index 0): bulk rows count-499 down.
    expect(report.deep).toEqual([0, 1, 2].map((k) => `exec_bulk_${pad(count - 499 - k)}`))
    expect(report.history).toEqual({
      totalCount: count + 1,
      successCount: count + 1,
      ids: [db.templateId, ...Array.from({ length: 9 }, (_, k) => `exec_bulk_${pad(count - k)}`)],
      days: expect.any(Number),
    })
    expect(report.history.days).toBeGreaterThan(0)
    expect(report.history.days).toBeLessThanOrEqual(30)
    expect(report.old).toEqual({
      id: 'exec_bulk_00000007',
      status: 'completed',
      scheduledTime: new Date(start + 7 * MINUTE).toISOString(),
      duration: 1007,
    })
    expect(report.skipped.count).toBe(1000)
    expect(report.skipped.first).toEqual({
      scheduleId: 's-big',
      scheduledTime: new Date(start + MINUTE + 1).toISOString(),
      reason: 'overlap',
      recordedAt: new Date(start + MINUTE + 2).toISOString(),
    })
    // No finished execution stays in the node's memory.
    expect(report.executionsTracked).toBe(0)
    // The average of the newest 1,000 finished runs' durations, read from the database.
    expect(report.averageExecutionTime).toBeGreaterThan(1000)
    expect(report.averageExecutionTime).toBeLessThan(1500)
  }
  const mb = (n) => Math.round(n / 1e5) / 10
  const grew = (k) => reports.mem_big[k] - reports.mem_small[k]
  console.log(
    `RSS (MB) 1k rows: started ${mb(reports.mem_small.started)}, after paging ${mb(reports.mem_small.paged)}; ` +
      `1M rows: started ${mb(reports.mem_big.started)}, after paging ${mb(reports.mem_big.paged)}; ` +
      `getExecutionHistory over 1M rows: ${Math.round(reports.mem_big.historyMs)} ms`,
  )
  // Mirroring 1,000,000 records costs several hundred MB; a node that does not, a few at most.
  expect(grew('started')).toBeLessThan(100e6)
  expect(grew('paged')).toBeLessThan(100e6)
})

test('retention by age and by count applies in the database, in batches, one node at a time', async () => {
  const db = await seeded('mem_retention', { maxPerSchedule: 10_000_000, maxAgeMs: YEARS })
  const day = 86_400_000
  // 2,500 ended 60 days ago, 300 within the last day.
  // The expired rows as written before the time columns were: their end is read from the record.
  await insertFinished(db, 2_500, Date.now() - 60 * day, 'old', 10_000_000_000, false)
  await insertFinished(db, 300, Date.now() - day, 'new', 20_000_000_000)
  await db.sql(`INSERT INTO tickflow.skips (schedule_id, scheduled_ms, reason, recorded_ms)
                SELECT 's-big', g, 'misfire', ${Date.now() - 60 * day} FROM generate_series(1, 1500) g`)
  const count = async (where, table = 'executions') => Number(await db.sql(`SELECT count(*) FROM tickflow.${table} WHERE ${where}`))
  const nodes = []
  for (let i = 0; i < 2; i++) {
    const node = new WorkflowScheduleIntegration({
      executor: async () => 'ok',
      store: { type: 'postgres', connectionString: db.url },
      historyRetention: { maxPerSchedule: 100, maxAgeMs: 30 * day },
    })
    await node.start()
    nodes.push(node)
  }
  try {
    await until(async () => (await count(`id LIKE 'exec_old_%'`)) === 0, 'the expired executions went')
    await until(async () => (await count('true', 'skips')) === 0, 'the expired skips went')
    // By count: the newest 100 of the schedule stay (by sequence: the bulk rows are newer
    // than the template run).
    await until(async () => (await count(`schedule_id = 's-big'`)) === 100, 'the schedule kept its newest 100')
    expect(await count(`id LIKE 'exec_new_%' AND seq > 20000000200`)).toBe(100)
    const listed = await nodes[0].listExecutions({ scheduleId: 's-big' })
    expect(listed.map((e) => e.id)).toEqual(Array.from({ length: 100 }, (_, k) => `exec_new_${pad(300 - k)}`))
  } finally {
    for (const node of nodes) await node.stop()
  }
})
