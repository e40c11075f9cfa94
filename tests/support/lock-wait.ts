import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Harness } from './harness.js';

export interface LockWait {
  /** The PATCH made while another session held the row: its status (0 = no answer in 8 s) and code. */
  status: number;
  code?: string;
  ms: number;
  /** A GET of the same row while it was locked (readers do not wait for row locks). */
  readWhileLocked: number;
  /** The same PATCH once the lock was released. */
  afterUnlock: number;
}

/**
 * PATCHes a student through `app` while a superuser session holds its row lock. The app
 * patches it once beforehand, so the timed request pays for no first-use work (Prisma's query
 * compilation) that a tiny idle-in-transaction timeout could mistake for a stall.
 */
export async function patchWhileLocked(
  app: Harness,
  superUrl: string,
  tenant: { id: string; token: string },
  studentId: string,
): Promise<LockWait> {
  const patch = (firstName: string) =>
    app.request('PATCH', `/api/v1/students/${studentId}`, { token: tenant.token, body: { firstName } });
  for (let i = 0; i < 3 && (await patch('Warm')).status !== 200; i++) await sleep(200);
  const locker = new pg.Client({ connectionString: superUrl });
  locker.on('error', () => undefined); // a failed run may stop the cluster under it
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM students WHERE tenant_id = $1 AND id = $2 FOR UPDATE', [tenant.id, studentId]);
    const started = performance.now();
    const res = await Promise.race([patch('Late'), sleep(8000).then(() => undefined)]);
    const ms = performance.now() - started;
    const code = res && res.status >= 400 ? ((await res.json()) as { code?: string }).code : undefined;
    const read = await app.request('GET', `/api/v1/students/${studentId}`, { token: tenant.token });
    await locker.query('ROLLBACK');
    return {
      status: res?.status ?? 0,
      code,
      ms,
      readWhileLocked: read.status,
      afterUnlock: (await patch('After')).status,
    };
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
  }
}
