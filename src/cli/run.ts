import { parseArgs } from 'node:util';
import { DomainError } from '../domain/errors.js';
import { tenantCommands } from './commands-tenants.js';
import { transferCommands } from './commands-transfer.js';
import { type CliContext, type CliIo, type Command, UsageError } from './context.js';

export const COMMANDS: Record<string, Command> = { ...tenantCommands, ...transferCommands };
const ORDER = [
  'create',
  'list',
  'show',
  'suspend',
  'reactivate',
  'delete',
  'restore',
  'purge',
  'export',
  'import',
  'usage',
  'rotate-key',
  'revoke-keys',
];

export function overview(): string {
  const names = ORDER.filter((n) => COMMANDS[n]);
  return [
    'Usage: npm run tenant -- <command> [options]',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(11)} ${COMMANDS[n]!.summary}`),
    '',
    'Every command takes --json (machine-readable output on stdout) and --help.',
    'It connects like the server (DATABASE_URL, DATABASE_ADMIN_URL, DATABASE_PLATFORM_URL, or the embedded',
    'PostgreSQL under DATA_DIR) and acts as the platform admin PLATFORM_ADMIN_EMAIL (or --as <email>).',
    'Actions on a tenant are recorded in its audit log like the API’s, with --reason <text> (required when',
    'REQUIRE_AUDIT_REASON=true).',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [`Usage: npm run tenant -- ${command.usage} [--json]`, '', command.summary, ...command.help].join('\n');
}

export type Parsed =
  | { kind: 'overview' }
  | {
      kind: 'command';
      name: string;
      command: Command;
      values: Record<string, string | boolean | undefined>;
      positionals: string[];
      json: boolean;
      help: boolean;
      /** The acting platform admin's email, when not PLATFORM_ADMIN_EMAIL. */
      as?: string;
      /** Why: recorded with each action on a tenant in its audit log. */
      reason?: string;
    };

/** Parses a command line: the command, its options, and whether --help or --json was asked for. */
export function parseCommand(argv: string[]): Parsed {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') return { kind: 'overview' };
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command '${name}'`);
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    strict: true,
    options: {
      ...command.options,
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      as: { type: 'string' },
      reason: { type: 'string' },
    },
  });
  const as = typeof values.as === 'string' ? values.as : undefined;
  const reason = typeof values.reason === 'string' ? values.reason : undefined;
  return {
    kind: 'command',
    name,
    command,
    values,
    positionals,
    json: values.json === true,
    help: values.help === true,
    as,
    reason,
  };
}

function report(io: CliIo, json: boolean, err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof UsageError || (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS'))) {
    io.stderr.write(`error: ${(err as Error).message}\n(see --help)\n`);
    return 2;
  }
  if (err instanceof DomainError) {
    if (json)
      io.stdout.write(`${JSON.stringify({ error: { code: err.code, message: err.message, issues: err.issues } })}\n`);
    else {
      io.stderr.write(`error: ${err.code}: ${err.message}\n`);
      for (const i of err.issues ?? []) io.stderr.write(`  ${i.path}: ${i.message}\n`);
    }
    return 1;
  }
  throw err;
}

/** Runs one parsed command with the given services; returns the process exit code. */
export async function runCommand(ctx: CliContext, parsed: Extract<Parsed, { kind: 'command' }>): Promise<number> {
  const { command, json, values, positionals } = parsed;
  try {
    const result = await command.run(ctx, { values, positionals, json });
    if (json) ctx.io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else command.print?.(result, ctx.io);
    return 0;
  } catch (err) {
    return report(ctx.io, json, err);
  }
}

/** Help and usage errors need no database: answered (with the exit code) before connecting. */
export function parseOrAnswer(io: CliIo, argv: string[]): number | Extract<Parsed, { kind: 'command' }> {
  try {
    const parsed = parseCommand(argv);
    if (parsed.kind === 'overview') {
      io.stdout.write(`${overview()}\n`);
      return 0;
    }
    if (parsed.help) {
      io.stdout.write(`${commandHelp(parsed.command)}\n`);
      return 0;
    }
    return parsed;
  } catch (err) {
    return report(io, false, err);
  }
}
