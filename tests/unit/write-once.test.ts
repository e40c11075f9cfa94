import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const keys = new URL('../../src/config/keys.ts', import.meta.url).pathname;

describe('generated keys on a fresh data directory', () => {
  it('when several processes start together, then all of them sign with the one key that was kept and no partial file is read', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'tenantry-once-')), 'data');
    const code = `const { loadSigningKeys } = await import(${JSON.stringify(keys)});
      const k = await loadSigningKeys({ dataDir: ${JSON.stringify(dataDir)} });
      console.log(k.kid);`;
    const outputs = await Promise.all(
      Array.from({ length: 6 }, () =>
        run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 60_000 }),
      ),
    );
    const kids = outputs.map((o) => o.stdout.trim());
    expect(kids.every((k) => k.length > 0)).toBe(true);
    expect(new Set(kids).size).toBe(1);
    expect(readdirSync(dataDir)).toEqual(['jwt-ed25519.json']);
  }, 90_000);
});
