'use strict'
// How fast PostgreSQL alone can do what C1/C2 ask, without any scheduler: the statements of
// a herd (20,000 schedules due at once, 3 clients, fires in turns of 512, runs claimed 500 at
// a time) replayed by plain `pg` clients on a throwaway server, for four storage models:
//   current  tickflow's tables: the execution row (its whole record, nine indexes) written
//            when queued, running and final, the schedule row with it each time;
//   compact  tickflow's tables, with the record written only when the run ends (the queued
//            and running rows carry an empty one): what a compact record alone would save;
//   lean     a narrow queue row (claimed, then deleted) and the record written once, when the
//            run ends; the schedule row written at the fire and at the end (cursor, stats);
//   jobs     a job queue's share alone (graphile-worker's): jobs enqueued beforehand, then
//            claimed and deleted, nothing else recorded.
// Each prints the time from the due instant until every run is recorded as done (fires and
// runs), and, with FIRES_ONLY=1, until every fire is recorded. MODELS=a,b picks models:
//   node bench/cluster-floor.js [herd size, default 20000]
const { startPostgres } = require('../__test__/helpers/postgres')
const { Client } = require('pg')
const { freshDb } = require('./lib/servers')

const CLIENTS = 3
const FIRE_TURN = 512
const CLAIM = 500
// What tickflow's rows hold for such a herd (bench/cluster-statements.js; pg_column_size).
const RECORD = 'r'.repeat(560)
const STATE = 's'.repeat(330)

const TABLES = `
  CREATE TABLE schedules (schedule_id text PRIMARY KEY, state text NOT NULL, version bigint NOT NULL,
    writer text, tx xid8 NOT NULL DEFAULT pg_current_xact_id());
  CREATE INDEX schedules_tx ON schedules (tx);
  CREATE TABLE executions (seq bigint PRIMARY KEY, id text NOT NULL UNIQUE, schedule_id text NOT NULL,
    status text NOT NULL, trigger text NOT NULL, scheduled_ms bigint NOT NULL, priority int NOT NULL,
    due_ms bigint, node text, record text NOT NULL, writer text, tx xid8 NOT NULL DEFAULT pg_current_xact_id(),
    started_ms bigint, ended_ms bigint);
  CREATE UNIQUE INDEX executions_occurrence ON executions (schedule_id, scheduled_ms) WHERE trigger IN ('scheduled', 'catchup');
  CREATE INDEX executions_tx ON executions (tx);
  CREATE INDEX executions_by_schedule ON executions (schedule_id, seq);
  CREATE INDEX executions_claimable ON executions (priority DESC, scheduled_ms, seq) WHERE status IN ('queued', 'retrying');
  CREATE INDEX executions_running ON executions (node) WHERE status = 'running';
  CREATE INDEX executions_by_time ON executions (scheduled_ms, seq);
  CREATE INDEX executions_by_schedule_time ON executions (schedule_id, scheduled_ms, seq);
  CREATE TABLE queue (seq bigint PRIMARY KEY, schedule_id text NOT NULL, scheduled_ms bigint NOT NULL,
    priority int NOT NULL, status text NOT NULL, node text, tx xid8 NOT NULL DEFAULT pg_current_xact_id());
  CREATE UNIQUE INDEX queue_occurrence ON queue (schedule_id, scheduled_ms);
  CREATE INDEX queue_claimable ON queue (priority DESC, scheduled_ms, seq) WHERE status = 'queued';
  CREATE INDEX queue_running ON queue (node) WHERE status = 'running';
  CREATE INDEX queue_tx ON queue (tx);
  CREATE TABLE jobs (id bigserial PRIMARY KEY, run_at bigint NOT NULL, priority int NOT NULL, locked_by text,
    locked_at bigint, payload text);
  CREATE INDEX jobs_ready ON jobs (priority, run_at, id) WHERE locked_at IS NULL;`

const AT = 1_000

/** One client's transaction: its statements in order, the last one's rows returned. */
async function transaction(c, steps) {
  await c.query('BEGIN')
  let rows = []
  for (const [sql, params] of steps) rows = (await c.query(sql, params)).rows
  await c.query('COMMIT')
  return rows
}

const lockSchedules = (ids) => ['SELECT version FROM schedules WHERE schedule_id = ANY($1) ORDER BY schedule_id FOR UPDATE', [ids]]
const writeSchedules = (ids, me) => [
  `UPDATE schedules s SET state = $2, version = version + 1, writer = $3, tx = pg_current_xact_id()
   FROM unnest($1::text[]) u(i) WHERE s.schedule_id = u.i`,
  [ids, STATE, me],
]

/** Fires this client's share of the herd in turns, each with its own seq numbers. */
async function fire(c, me, share, insert) {
  let seq = Number(me.slice(1)) * 1e7
  for (let i = 0; i < share.length; i += FIRE_TURN) {
    const ids = share.slice(i, i + FIRE_TURN)
    const seqs = ids.map(() => seq++)
    await transaction(c, [lockSchedules(ids), insert(seqs, ids), writeSchedules(ids, me)])
  }
}

/** tickflow's tables: each run's row written queued, running and final; `record(status)`
 * is what the row's record holds at each. */
async function executionRows(c, me, share, firesOnly, record) {
  await fire(c, me, share, (seqs, ids) => [
    `INSERT INTO executions (seq, id, schedule_id, status, trigger, scheduled_ms, priority, due_ms, record, writer)
     SELECT s, 'exec_' || s, i, 'queued', 'scheduled', $3, 2, $3, $4, $5 FROM unnest($1::bigint[], $2::text[]) u(s, i)`,
    [seqs, ids, AT, record('queued'), me],
  ])
  if (firesOnly) return
  for (;;) {
    const claimed = await transaction(c, [
      [
        `SELECT seq, schedule_id FROM executions WHERE status IN ('queued', 'retrying')
         ORDER BY priority DESC, scheduled_ms, seq LIMIT ${CLAIM} FOR UPDATE SKIP LOCKED`,
        [],
      ],
    ])
    if (claimed.length === 0) return
    const seqs = claimed.map((r) => r.seq)
    const ids = claimed.map((r) => r.schedule_id)
    for (const status of ['running', 'completed']) {
      await transaction(c, [
        lockSchedules(ids),
        [
          `UPDATE executions SET status = $2, node = $3, record = $4, writer = $3, tx = pg_current_xact_id(),
             started_ms = 1, ended_ms = CASE WHEN $2 = 'completed' THEN 1 END
           WHERE seq = ANY($1)`,
          [seqs, status, me, record(status)],
        ],
        writeSchedules(ids, me),
      ])
    }
  }
}

const MODELS = {
  current: (c, me, share, firesOnly) => executionRows(c, me, share, firesOnly, () => RECORD),
  compact: (c, me, share, firesOnly) => executionRows(c, me, share, firesOnly, (status) => (status === 'completed' ? RECORD : '')),

  async lean(c, me, share, firesOnly) {
    await fire(c, me, share, (seqs, ids) => [
      `INSERT INTO queue (seq, schedule_id, scheduled_ms, priority, status)
       SELECT s, i, $3, 2, 'queued' FROM unnest($1::bigint[], $2::text[]) u(s, i)`,
      [seqs, ids, AT],
    ])
    if (firesOnly) return
    for (;;) {
      const claimed = await transaction(c, [
        [
          `UPDATE queue q SET status = 'running', node = $1, tx = pg_current_xact_id()
           WHERE seq IN (SELECT seq FROM queue WHERE status = 'queued'
                         ORDER BY priority DESC, scheduled_ms, seq LIMIT ${CLAIM} FOR UPDATE SKIP LOCKED)
           RETURNING seq, schedule_id`,
          [me],
        ],
      ])
      if (claimed.length === 0) return
      const seqs = claimed.map((r) => r.seq)
      const ids = claimed.map((r) => r.schedule_id)
      await transaction(c, [
        lockSchedules(ids),
        ['DELETE FROM queue WHERE seq = ANY($1)', [seqs]],
        [
          `INSERT INTO executions (seq, id, schedule_id, status, trigger, scheduled_ms, priority, record, writer, started_ms, ended_ms)
           SELECT s, 'exec_' || s, i, 'completed', 'scheduled', $3, 2, $4, $5, 1, 1 FROM unnest($1::bigint[], $2::text[]) u(s, i)`,
          [seqs, ids, AT, RECORD, me],
        ],
        writeSchedules(ids, me),
      ])
    }
  },

  async jobs(c, me) {
    for (;;) {
      const claimed = (
        await c.query(
          `UPDATE jobs SET locked_by = $1, locked_at = 1
           WHERE id IN (SELECT id FROM jobs WHERE locked_at IS NULL ORDER BY priority, run_at, id LIMIT ${CLAIM} FOR UPDATE SKIP LOCKED)
           RETURNING id`,
          [me],
        )
      ).rows
      if (claimed.length === 0) return
      await c.query('DELETE FROM jobs WHERE id = ANY($1)', [claimed.map((r) => r.id)])
    }
  },
}

/** `model`'s herd of `size` on `pg`, in ms: until every fire is recorded (`firesOnly`), or
 * until every run is recorded as done. */
async function run(pg, model, size, firesOnly = Boolean(process.env.FIRES_ONLY)) {
  const url = await freshDb(pg, `floor_${model}${firesOnly ? '_fires' : ''}`)
  const admin = new Client({ connectionString: url })
  await admin.connect()
  const clients = []
  try {
    await admin.query(TABLES)
    await admin.query(`INSERT INTO schedules SELECT 'b' || i, $1, 1 FROM generate_series(0, ${size - 1}) i`, [STATE])
    if (model === 'jobs') await admin.query(`INSERT INTO jobs (run_at, priority, payload) SELECT 0, 0, '{}' FROM generate_series(1, ${size})`)
    await admin.query('VACUUM ANALYZE')
    for (let k = 0; k < CLIENTS; k++) {
      const c = new Client({ connectionString: url })
      await c.connect()
      clients.push(c)
    }
    const shares = clients.map((_, k) => Array.from({ length: Math.ceil((size - k) / CLIENTS) }, (_, i) => `b${k + i * CLIENTS}`))
    const started = process.hrtime.bigint()
    await Promise.all(clients.map((c, k) => MODELS[model](c, `n${k}`, shares[k], firesOnly)))
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    const left = model === 'jobs' ? 'SELECT count(*) FROM jobs' : model === 'lean' ? 'SELECT count(*) FROM queue' : `SELECT count(*) FROM executions WHERE status <> 'completed'`
    const unfinished = Number((await admin.query(left)).rows[0].count)
    if (!firesOnly && unfinished !== 0) throw new Error(`${model}: ${unfinished} runs left unfinished`)
    return ms
  } finally {
    await Promise.all([...clients, admin].map((c) => c.end()))
  }
}

async function main() {
  const size = Number(process.argv[2] || 20_000)
  const pg = await startPostgres()
  try {
    const what = process.env.FIRES_ONLY ? 'every fire recorded' : 'every run recorded as done'
    const all = process.env.FIRES_ONLY ? ['current', 'compact', 'lean'] : ['current', 'compact', 'lean', 'jobs']
    for (const model of process.env.MODELS ? process.env.MODELS.split(',') : all) {
      const ms = await run(pg, model, size)
      console.log(`${model.padEnd(8)} ${size} in ${ms.toFixed(0)} ms (${what}): ${Math.round((size / ms) * 1000).toLocaleString('en-US')}/s`)
    }
  } finally {
    await pg.stop()
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err)
    process.exit(1)
  })
}

module.exports = { run }
