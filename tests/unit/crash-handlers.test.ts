import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// A real process with the server's crash handlers and logger, crashing the way a bug would.
function crash(trigger: string) {
  const script = `
    import { pino } from 'pino';
    import { installCrashHandlers } from './src/runtime/shutdown.ts';
    installCrashHandlers(pino());
    ${trigger}
    setTimeout(() => process.stdout.write('still running\\n'), 2000);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('crash handlers', () => {
  it('when a promise rejection is unhandled, then it is logged with its stack and the process exits non-zero', () => {
    const run = crash(`Promise.reject(new Error('forgotten rejection'));`);
    expect(run.status).toBe(1);
    const line = JSON.parse(run.stdout.split('\n').find((l) => l.includes('forgotten rejection'))!);
    expect(line).toMatchObject({ level: 60, msg: 'unhandled rejection', err: { message: 'forgotten rejection' } });
    expect(line.err.stack).toMatch(/Error: forgotten rejection\n\s+at /);
    expect(run.stdout).not.toContain('still running');
  });

  it('when an exception is thrown outside any request, then it is logged with its stack and the process exits non-zero', () => {
    const run = crash(`setTimeout(() => { throw new TypeError('thrown in a timer'); }, 10);`);
    expect(run.status).toBe(1);
    const line = JSON.parse(run.stdout.split('\n').find((l) => l.includes('thrown in a timer'))!);
    expect(line).toMatchObject({ level: 60, msg: 'uncaught exception', err: { type: 'TypeError' } });
    expect(line.err.stack).toContain('TypeError: thrown in a timer');
  });
});
