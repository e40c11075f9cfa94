import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Harness } from '../support/harness.js';
import { createHarnessOn } from '../support/harness.js';
import { createStudent } from '../support/http-fixtures.js';
import { patchWhileLocked } from '../support/lock-wait.js';
import { type PgBouncer, pgbouncerForTests, startPgBouncer } from '../support/pgbouncer.js';

// The app's timeouts are connection startup parameters; PgBouncer cannot pass those on to
// the server connections it shares, so behind it they must hold some other way.
const installed = pgbouncerForTests();

let bouncer: PgBouncer;
let h: Harness;
let slow: Harness;

describe.runIf(installed)(`timeouts through PgBouncer${installed ? '' : ' (pgbouncer not installed here)'}`, () => {
  beforeAll(async () => {
    const db = inject('db');
    bouncer = await startPgBouncer({ urls: [db.runtimeUrl, db.platformUrl], poolSize: 2 });
    const via = { ...db, runtimeUrl: bouncer.via(db.runtimeUrl), platformUrl: bouncer.via(db.platformUrl) };
    const preparedStatements = bouncer.preparedStatements;
    h = await createHarnessOn(via, { poolSize: 2, preparedStatements });
    slow = await createHarnessOn(via, { poolSize: 2, statementTimeoutMs: 500, preparedStatements });
  });
  afterAll(async () => {
    await Promise.all([h?.close(), slow?.close()]);
    await bouncer?.stop();
  });

  it('when an UPDATE behind PgBouncer waits on a row lock past the statement timeout, then the API answers 503 within about a second', async () => {
    const t = await h.createTenant();
    const s = await createStudent(h, t.token);
    const wait = await patchWhileLocked(slow, h.db.superUrl, t, s.id);
    expect(wait).toMatchObject({ status: 503, code: 'service_unavailable', readWhileLocked: 200, afterUnlock: 200 });
    expect(wait.ms).toBeLessThan(2000);
  });
});
