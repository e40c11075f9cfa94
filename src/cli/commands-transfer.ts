import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { actorFor, resolveTenant } from './commands-tenants.js';
import type { CliContext, Command, CommandArgs } from './context.js';
import { UsageError } from './context.js';
import { progressBar } from './progress.js';

const showProgress = (ctx: CliContext, args: CommandArgs) =>
  args.values.progress === true || ctx.io.stderr.isTTY === true;

/** Counts lines and bytes as they pass, for the progress bar. */
function counting(onChunk: (lines: number, bytes: number) => void) {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      let lines = 0;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines += 1;
      onChunk(lines, chunk.length);
      done(null, chunk);
    },
  });
}

export const transferCommands: Record<string, Command> = {
  export: {
    summary: 'Export a tenant as NDJSON (to a file or stdout)',
    usage: 'export <tenant> [--out <file>] [--credentials] [--progress]',
    help: [
      '<tenant> is an id or a slug. Without --out the export goes to stdout.',
      '--credentials includes users’ password hashes. The export is recorded in the tenant’s audit log.',
      'A progress bar goes to stderr on a terminal, or always with --progress.',
    ],
    options: { out: { type: 'string', short: 'o' }, credentials: { type: 'boolean' }, progress: { type: 'boolean' } },
    async run(ctx, args) {
      const id = await resolveTenant(ctx, args);
      const out = typeof args.values.out === 'string' ? args.values.out : undefined;
      if (!out && args.json) throw new UsageError('--json needs --out: stdout carries the export');
      let total: number | undefined;
      if (showProgress(ctx, args)) {
        const { usage } = await ctx.services.usage.usage(ctx.adminId, id);
        total = Object.values(usage).reduce((a: number, b) => a + Number(b), 0);
      }
      let failure: unknown;
      const credentials = args.values.credentials === true;
      const body = await ctx.services.transfer.exportAny(
        actorFor(ctx, 'export', id, { credentials }),
        id,
        { includeCredentials: credentials },
        { onError: (err) => (failure = err) },
      );
      const bar = total !== undefined ? progressBar(ctx.io.stderr, 'export', total) : undefined;
      let lines = 0;
      let bytes = 0;
      const target: Writable = out ? createWriteStream(out) : ctx.io.stdout;
      const count = counting((n, b) => {
        lines += n;
        bytes += b;
        bar?.tick(n, b);
      });
      await pipeline(Readable.fromWeb(body as never), count, target, { end: Boolean(out) });
      if (failure) throw failure;
      bar?.finish();
      return { tenantId: id, lines, bytes, file: out ?? null };
    },
    print(result, io) {
      const r = result as { lines: number; bytes: number; file: string | null };
      if (r.file) io.stderr.write(`exported ${r.lines} lines (${r.bytes} bytes) to ${r.file}\n`);
    },
  },
  import: {
    summary: 'Import an export (restore under its ids, or --clone beside its source)',
    usage: 'import [<file>|-] [--clone --slug <slug> [--name <name>]] [--progress]',
    help: [
      'Reads the file (or stdin for - or no file) as it streams; every line is validated, the trailer’s',
      'row counts and SHA-256 are checked, and nothing is written unless everything is.',
      'Without --clone the tenant is restored under its own id and slug; with --clone it gets a new id',
      'and the given slug, every id remapped.',
    ],
    options: {
      clone: { type: 'boolean' },
      slug: { type: 'string' },
      name: { type: 'string' },
      progress: { type: 'boolean' },
    },
    async run(ctx, args) {
      const file = args.positionals[0] && args.positionals[0] !== '-' ? args.positionals[0] : undefined;
      const slug = typeof args.values.slug === 'string' ? args.values.slug : undefined;
      const name = typeof args.values.name === 'string' ? args.values.name : undefined;
      if (args.values.clone !== true && (slug || name)) throw new UsageError('--slug and --name go with --clone');
      if (args.values.clone === true && !slug) throw new UsageError('--clone needs --slug');
      const size = file ? statSync(file).size : undefined;
      const bar = showProgress(ctx, args) ? progressBar(ctx.io.stderr, 'import', size) : undefined;
      const input = file ? createReadStream(file, { highWaterMark: 256 * 1024 }) : ctx.io.stdin;
      const source = input.pipe(counting((_lines, bytes) => bar?.tick(bytes, bytes)));
      const result = await ctx.services.transfer.import(
        ctx.adminId,
        source,
        slug ? { mode: 'clone', slug, name } : { mode: 'restore' },
      );
      bar?.finish();
      return result;
    },
    print(result, io) {
      const r = result as { tenant: { slug: string; id: string }; counts: Record<string, number>; mode: string };
      const rows = Object.values(r.counts).reduce((a, b) => a + b, 0);
      io.stdout.write(`imported ${r.tenant.slug} (${r.tenant.id}) as a ${r.mode}: ${rows} rows\n`);
    },
  },
};
