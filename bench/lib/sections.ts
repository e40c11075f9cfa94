import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What the optional scenario groups (bench/rls-scale.ts, scale-curve.ts, provisioning.ts) receive. */
export interface BenchContext {
  /** Owner role: may create schemas, tables and roles for its own fixtures. */
  adminUrl: string;
  /** A superuser URL when the bench started the PostgreSQL itself (embedded); absent otherwise. */
  superUrl?: string;
  /** Runtime login tenantry_app (NOSUPERUSER, NOBYPASSRLS): what the API's tenant requests connect as. */
  runtimeUrl: string;
  /** Platform login tenantry_platform: platform work, on its own pool. */
  platformUrl: string;
  quick: boolean;
  log: (s: string) => void;
}

/** One extra section of the report: appended to latest.md and to latest.json under "sections". */
export interface BenchSection {
  title: string;
  markdown: string;
  json: unknown;
}

/** The contract an optional module fulfils: `export async function run(ctx): Promise<BenchSection>`. */
export type SectionModule = { run: (ctx: BenchContext) => Promise<BenchSection> };

/** Optional groups, run after the HTTP scenarios in this order; `name` is what `--only` selects. */
export const OPTIONAL_SECTIONS = [
  { name: 'rls-scale', file: '../rls-scale.ts' },
  { name: 'scale-curve', file: '../scale-curve.ts' },
  { name: 'provisioning', file: '../provisioning.ts' },
  { name: 'quota-lock', file: '../quota-lock.ts' },
  { name: 'context', file: '../context-cost.ts' },
  { name: 'transfer', file: '../transfer-scale.ts' },
  { name: 'login-flood', file: '../login-flood.ts' },
  { name: 'search', file: '../search-scale.ts' },
] as const;

/**
 * Imports an optional module if its file exists. The specifier is computed so that neither
 * tsc nor the loader requires the file to exist when another helper has not written it yet.
 */
export async function loadSection(file: string): Promise<SectionModule | undefined> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod = (await import(pathToFileURL(fileURLToPath(url)).href)) as Partial<SectionModule>;
  if (typeof mod.run !== 'function') throw new Error(`${file} does not export run(ctx)`);
  return mod as SectionModule;
}
