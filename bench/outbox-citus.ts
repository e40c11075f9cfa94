import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { bootstrapDatabase } from '../src/db/bootstrap.js';
import { migrate } from '../src/db/migrate.js';
import { citusWorkers, dropCitusDatabase, prepareCitusDatabase } from '../tests/support/citus-cluster.js';
import { asPlatform, connectMany, withClient } from './lib/scale-db.js';
import { tenantId } from './lib/scale-seed.js';

/**
 * Outbox designs on one PostgreSQL and on Citus. The write side: what an event adds to a tenant
 * transaction (BEGIN, app.begin_request, INSERT student, [INSERT event], COMMIT) as the runtime
 * login. The delivery side: how fast one or two dispatchers drain pending events spread over
 * many tenants, each event marked in its own savepoint like src/events/dispatcher.ts does.
 *
 * - per-tenant claim (shipped): the tenants with pending events (a lock-free read), then one
 *   transaction per tenant claiming its events with `tenant_id = $1 … FOR UPDATE SKIP LOCKED`;
 *   every lock stays on one shard.
 * - global claim: one `FOR UPDATE SKIP LOCKED` over domain_events with no tenant filter (the
 *   design before Citus); Citus refuses it.
 * - local outbox: events go to a table kept local on the coordinator (not distributed), claimed
 *   globally; on Citus every tenant write then spans the coordinator and a worker.
 *
 *   npx tsx bench/outbox-citus.ts [--quick] [--pg SUPERUSER_URL] [--citus COORDINATOR_SUPERUSER_URL]
 *                                 [--json FILE]
 * Without --pg an embedded PostgreSQL is started for the single-node run.
 */

const BATCH = 50;
const TENANTS_PER_ROUND = 50;

const LOCAL_OUTBOX = [
  `CREATE TABLE bench_outbox (tenant_id uuid NOT NULL, id uuid PRIMARY KEY, type text NOT NULL,
     payload jsonb NOT NULL, occurred_at timestamptz NOT NULL DEFAULT now(), dispatched_at timestamptz)`,
  'CREATE INDEX bench_outbox_pending ON bench_outbox (id) WHERE dispatched_at IS NULL',
  'ALTER TABLE bench_outbox ENABLE ROW LEVEL SECURITY',
  'ALTER TABLE bench_outbox FORCE ROW LEVEL SECURITY',
  `CREATE POLICY tenant_isolation ON bench_outbox TO tenantry_app
     USING (tenant_id = app.current_tenant_id()) WITH CHECK (tenant_id = app.current_tenant_id())`,
  'CREATE POLICY platform_all ON bench_outbox TO tenantry_platform USING (true) WITH CHECK (true)',
  'GRANT INSERT ON bench_outbox TO tenantry_app',
  'GRANT SELECT, INSERT, UPDATE ON bench_outbox TO tenantry_platform',
];

type Writer = 'no event' | 'tenant outbox (domain_events)' | 'local outbox';
type Claim = 'per-tenant claim (shipped)' | 'global claim on domain_events' | 'local outbox, global claim';

interface Urls {
  runtimeUrl: string;
  platformUrl: string;
  adminUrl: string;
}

async function write(c: pg.Client, writer: Writer, tenant: string): Promise<void> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT app.begin_request($1::uuid, NULL)', [tenant]);
    await c.query(
      `INSERT INTO students (tenant_id, id, student_no, first_name, last_name) VALUES ($1, $2, $3, 'Out', 'Box')`,
      [tenant, randomUUID(), `O-${randomUUID()}`],
    );
    const event = [tenant, randomUUID(), 'StudentCreated', '{"bench":true}'];
    if (writer === 'tenant outbox (domain_events)') {
      await c.query('INSERT INTO domain_events (tenant_id, id, type, payload) VALUES ($1, $2, $3, $4)', event);
    } else if (writer === 'local outbox') {
      await c.query('INSERT INTO bench_outbox (tenant_id, id, type, payload) VALUES ($1, $2, $3, $4)', event);
    }
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  }
}

async function writes(clients: pg.Client[], writer: Writer, tenants: string[], ms: number): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < until) {
        await write(c, writer, tenants[Math.floor(Math.random() * tenants.length)]!);
        done++;
      }
    }),
  );
  return done / (ms / 1000);
}

/** One claimed batch delivered as the dispatcher does: a savepoint per event, then its mark. */
async function deliver(c: pg.Client, table: string, rows: { tenant_id: string; id: string }[]): Promise<void> {
  for (const row of rows) {
    await c.query('SAVEPOINT outbox_event');
    await c.query('RELEASE SAVEPOINT outbox_event');
    await c.query(`UPDATE ${table} SET dispatched_at = now() WHERE tenant_id = $1 AND id = $2`, [
      row.tenant_id,
      row.id,
    ]);
  }
}

async function platformTx<T>(c: pg.Client, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    await c.query('SELECT app.begin_platform(NULL)');
    const result = await fn();
    await c.query('COMMIT');
    return result;
  } catch (err) {
    await c.query('ROLLBACK');
    throw err;
  }
}

/** Drains until nothing is claimed; returns how many this dispatcher delivered. */
async function drain(c: pg.Client, claim: Claim): Promise<number> {
  let total = 0;
  if (claim === 'per-tenant claim (shipped)') {
    for (;;) {
      const tenants = await platformTx(c, async () => {
        const { rows } = await c.query<{ tenant_id: string }>(
          `SELECT DISTINCT tenant_id FROM domain_events
            WHERE dispatched_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now() LIMIT $1`,
          [TENANTS_PER_ROUND],
        );
        return rows.map((r) => r.tenant_id);
      });
      let claimed = 0;
      for (const tenant of tenants) {
        claimed += await platformTx(c, async () => {
          const { rows } = await c.query<{ tenant_id: string; id: string }>(
            `SELECT tenant_id, id FROM domain_events
              WHERE tenant_id = $1 AND dispatched_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
              ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`,
            [tenant, BATCH],
          );
          await deliver(c, 'domain_events', rows);
          return rows.length;
        });
      }
      total += claimed;
      if (claimed === 0) return total;
    }
  }
  const [table, pending] =
    claim === 'global claim on domain_events'
      ? ['domain_events', 'dispatched_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()']
      : ['bench_outbox', 'dispatched_at IS NULL'];
  for (;;) {
    const n = await platformTx(c, async () => {
      const { rows } = await c.query<{ tenant_id: string; id: string }>(
        `SELECT tenant_id, id FROM ${table} WHERE ${pending} ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [BATCH],
      );
      await deliver(c, table, rows);
      return rows.length;
    });
    total += n;
    if (n === 0) return total;
  }
}

/** Fills `events` pending events over the tenants, then drains them with `dispatchers` connections. */
async function delivery(urls: Urls, claim: Claim, ids: string[], events: number, dispatchers: number) {
  const table = claim === 'local outbox, global claim' ? 'bench_outbox' : 'domain_events';
  // VALUES lists, not INSERT … SELECT: Citus copies the latter into the shards, and COPY is
  // refused under row-level security.
  for (let from = 0; from < events; from += 500) {
    const n = Math.min(500, events - from);
    const values = Array.from(
      { length: n },
      (_, i) => `($${2 * i + 1}::uuid, $${2 * i + 2}::uuid, 'StudentCreated', '{}')`,
    );
    const params = Array.from({ length: n }, (_, i) => [ids[(from + i) % ids.length]!, randomUUID()]).flat();
    await asPlatform(
      urls.platformUrl,
      `INSERT INTO ${table} (tenant_id, id, type, payload) VALUES ${values.join(', ')}`,
      params,
    );
  }
  const clients = await connectMany(urls.platformUrl, dispatchers);
  try {
    const start = performance.now();
    const counts = await Promise.all(clients.map((c) => drain(c, claim)));
    const seconds = (performance.now() - start) / 1000;
    const delivered = counts.reduce((a, b) => a + b, 0);
    if (delivered !== events) throw new Error(`${claim}: delivered ${delivered} of ${events}`);
    return delivered / seconds;
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

interface Figures {
  backend: string;
  writes: { writer: Writer; txPerSecond: number; msPerTx: number }[];
  delivery: { claim: Claim; dispatchers: number; eventsPerSecond: number | null; refused?: string }[];
}

async function measure(backend: string, urls: Urls, quick: boolean, log: (s: string) => void): Promise<Figures> {
  const prefix = randomBytes(4).toString('hex');
  const tenants = 50;
  const connections = 8;
  const rounds = quick ? 2 : 3;
  const ms = quick ? 2000 : 5000;
  const events = quick ? 1000 : 3000;
  await withClient(urls.adminUrl, async (c) => {
    for (const sql of LOCAL_OUTBOX) await c.query(sql);
  });
  const ids = Array.from({ length: tenants }, (_, t) => tenantId(prefix, t));
  await asPlatform(
    urls.platformUrl,
    `INSERT INTO tenants (id, slug, name) VALUES ${ids.map((_, t) => `($${t + 1}::uuid, 'bench-${prefix}-${t}', 'Bench')`).join(', ')}`,
    ids,
  );
  const figures: Figures = { backend, writes: [], delivery: [] };

  const writers: Writer[] = ['no event', 'tenant outbox (domain_events)', 'local outbox'];
  const clients = await connectMany(urls.runtimeUrl, connections);
  try {
    await writes(clients, 'no event', ids, 500);
    const results = new Map<Writer, number[]>(writers.map((w) => [w, []]));
    for (let r = 0; r < rounds; r++) {
      for (const w of [...writers.slice(r % 3), ...writers.slice(0, r % 3)]) {
        results.get(w)!.push(await writes(clients, w, ids, ms));
      }
      log(`${backend}: write round ${r + 1}/${rounds}`);
    }
    for (const w of writers) {
      const tps = median(results.get(w)!);
      figures.writes.push({ writer: w, txPerSecond: tps, msPerTx: (1000 * connections) / tps });
    }
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  // The write rounds left events behind: deliver them before measuring from a known backlog.
  for (const claim of ['per-tenant claim (shipped)', 'local outbox, global claim'] as Claim[]) {
    const c = await connectMany(urls.platformUrl, 1);
    await drain(c[0]!, claim).finally(() => c[0]!.end());
  }

  const claims: Claim[] = ['per-tenant claim (shipped)', 'global claim on domain_events', 'local outbox, global claim'];
  for (const dispatchers of [1, 2]) {
    for (const claim of claims) {
      try {
        const eventsPerSecond = await delivery(urls, claim, ids, events, dispatchers);
        figures.delivery.push({ claim, dispatchers, eventsPerSecond });
      } catch (err) {
        const refused = (err as Error).message.split('\n')[0]!;
        figures.delivery.push({ claim, dispatchers, eventsPerSecond: null, refused });
        // Leave no backlog for the next design: the shipped claim drains what the refused one could not.
        const c = await connectMany(urls.platformUrl, 1);
        await drain(c[0]!, 'per-tenant claim (shipped)').finally(() => c[0]!.end());
      }
      log(`${backend}: ${claim}, ${dispatchers} dispatcher(s) done`);
    }
  }
  return figures;
}

function markdown(all: Figures[]): string {
  const lines: string[] = [];
  for (const f of all) {
    const base = f.writes[0]!;
    lines.push(
      `### ${f.backend}`,
      '',
      '| write transaction | tx/s | ms per tx | event adds |',
      '| --- | ---: | ---: | ---: |',
    );
    for (const w of f.writes) {
      const extra = w === base ? '–' : `${(w.msPerTx - base.msPerTx).toFixed(2)} ms`;
      lines.push(`| ${w.writer} | ${w.txPerSecond.toFixed(0)} | ${w.msPerTx.toFixed(2)} | ${extra} |`);
    }
    lines.push('', '| delivery | dispatchers | events/s |', '| --- | ---: | ---: |');
    for (const d of f.delivery) {
      lines.push(
        `| ${d.claim} | ${d.dispatchers} | ${d.eventsPerSecond === null ? `refused: ${d.refused}` : d.eventsPerSecond.toFixed(0)} |`,
      );
    }
    lines.push('');
  }
  return lines.join('\n');
}

const withDatabase = (url: string, database: string, user?: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  if (user) {
    u.username = user;
    u.password = '';
  }
  return u.toString();
};

/** A fresh database on the cluster behind superUrl (a Citus one when it is a coordinator), migrated and distributed. */
async function onCluster(superUrl: string, fn: (urls: Urls) => Promise<Figures>): Promise<Figures> {
  const database = `tenantry_bench_outbox_${randomBytes(4).toString('hex')}`;
  await bootstrapDatabase(superUrl, { database });
  const workers = await citusWorkers(superUrl);
  try {
    if (workers) await prepareCitusDatabase(superUrl, database, workers);
    const urls = {
      adminUrl: withDatabase(superUrl, database, 'tenantry_owner'),
      runtimeUrl: withDatabase(superUrl, database, 'tenantry_app'),
      platformUrl: withDatabase(superUrl, database, 'tenantry_platform'),
    };
    await migrate(urls.adminUrl, undefined, { distribute: workers !== null });
    return await fn(urls);
  } finally {
    await withClient(superUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    if (workers) await dropCitusDatabase(superUrl, database, workers);
  }
}

async function embedded(fn: (urls: Urls) => Promise<Figures>): Promise<Figures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenantry-outbox-'));
  const port = await new Promise<number>((ok, fail) => {
    const srv = createServer().on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => (typeof a === 'object' && a ? ok(a.port) : fail(new Error('no port'))));
    });
  });
  const { startEmbeddedPostgres } = await import('../src/db/embedded.js');
  const db = await startEmbeddedPostgres({ dataDir, port });
  try {
    await migrate(db.adminUrl);
    return await fn(db);
  } finally {
    await db.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pg: { type: 'string' },
    citus: { type: 'string' },
    json: { type: 'string' },
  },
});
const quick = values.quick ?? false;
const log = (s: string) => process.stderr.write(`${s}\n`);
const all: Figures[] = [];
const single = (urls: Urls) => measure('PostgreSQL, one node', urls, quick, log);
all.push(values.pg ? await onCluster(values.pg, single) : await embedded(single));
if (values.citus) {
  all.push(await onCluster(values.citus, (urls) => measure('Citus, coordinator + 2 workers', urls, quick, log)));
}
const text = markdown(all);
process.stdout.write(`${text}\n`);
if (values.json) writeFileSync(values.json, JSON.stringify(all, null, 2));
