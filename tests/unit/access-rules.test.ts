import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every file under a directory, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : [join(dir, d.name)],
  );
}

describe('access rules have one home', () => {
  const sources = filesUnder('src/http').filter((f) => f.endsWith('.ts'));

  it('when a route is declared, then only through defineRoute (so it cannot ship without an access rule)', () => {
    const offenders = sources.filter(
      (f) => !f.endsWith('access.ts') && /\bcreateRoute\s*\(/.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  it('when routers are built, then no path globs, public-path sets or per-router role middleware remain', () => {
    const offenders = sources.filter((f) => {
      const text = readFileSync(f, 'utf8');
      return /router\.(use|on)\(|PUBLIC_API|requireRole|requirePlatform/.test(text);
    });
    expect(offenders).toEqual([]);
  });
});
