// Generates the Prisma client offline.
// `prisma generate` does not use the native schema engine, but the CLI checks that one is on
// disk first and tries to download it, which fails on machines without access to Prisma's
// binary host. When no real engine is present we point PRISMA_SCHEMA_ENGINE_BINARY at a
// no-op executable so generation proceeds; a real engine, when installed, is left alone.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1' };

function hasRealEngine() {
  const dir = join(root, 'node_modules', '@prisma', 'engines');
  if (!existsSync(dir)) return false;
  return readdirSync(dir).some((f) => f.startsWith('schema-engine'));
}

if (!env.PRISMA_SCHEMA_ENGINE_BINARY && !hasRealEngine()) {
  const stubDir = join(root, 'node_modules', '.cache', 'tenantry');
  mkdirSync(stubDir, { recursive: true });
  const stub = join(stubDir, 'schema-engine-noop');
  writeFileSync(stub, '#!/bin/sh\nexit 0\n');
  chmodSync(stub, 0o755);
  env.PRISMA_SCHEMA_ENGINE_BINARY = stub;
}

const prismaBin = join(root, 'node_modules', '.bin', 'prisma');
const result = spawnSync(prismaBin, ['generate', '--schema', join(root, 'prisma', 'schema.prisma')], {
  cwd: root,
  env,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
