import { randomBytes } from 'node:crypto';
import { auditReason, TENANT_ACTIONS } from '../domain/audit.js';
import { canonicalPlan, PLAN_ALIASES, PLANS } from '../domain/tenant/plans.js';
import { operatorActor } from '../services/audit.js';
import type { TenantDto } from '../services/tenant-dto.js';
import type { TenantUsage } from '../services/tenant-usage.js';
import { type CliContext, type CliIo, type Command, type CommandArgs, UsageError } from './context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const str = (args: CommandArgs, name: string) => {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
};
export const required = (args: CommandArgs, name: string) => {
  const v = str(args, name);
  if (!v) throw new UsageError(`--${name} is required`);
  return v;
};

/** A tenant named by id or by slug (a slug is looked up through the same list the API pages). */
export async function resolveTenant(ctx: CliContext, args: CommandArgs): Promise<string> {
  const ref = args.positionals[0];
  if (!ref) throw new UsageError('name the tenant by id or slug');
  if (UUID.test(ref)) return ref.toLowerCase();
  // The default list hides deleted tenants; restore and purge name them too.
  for (const status of [undefined, 'deleted'] as const) {
    let cursor: string | undefined;
    do {
      const page = await ctx.services.tenants.list(ctx.adminId, { limit: 100, cursor, status });
      const found = page.data.find((t) => t.slug === ref);
      if (found) return found.id;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  throw new UsageError(`no tenant with slug '${ref}'`);
}

/** The acting admin, with the audit entry the API's route writes for the same action (and --reason). */
export const actorFor = (
  ctx: CliContext,
  action: keyof typeof TENANT_ACTIONS,
  tenantId?: string,
  data?: Record<string, unknown>,
) =>
  operatorActor(ctx.adminId, TENANT_ACTIONS[action], {
    reason: auditReason(ctx.reason, ctx.requireReason ?? false),
    tenantId,
    data,
  });

const line = (io: CliIo, text: string) => io.stdout.write(`${text}\n`);
const printTenant = (t: TenantDto, io: CliIo) => {
  for (const [k, v] of Object.entries(t)) line(io, `${k.padEnd(10)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
};

const statusChange = (verb: 'suspend' | 'reactivate' | 'restore', summary: string): Command => ({
  summary,
  usage: `${verb} <tenant>`,
  help: ['<tenant> is an id or a slug.'],
  options: {},
  run: async (ctx, args) => {
    const id = await resolveTenant(ctx, args);
    return ctx.services.tenants[verb](actorFor(ctx, verb, id), id);
  },
  print: (t, io) => line(io, `${(t as TenantDto).slug}: ${(t as TenantDto).status}`),
});

/** Per-tenant signing keys (TENANT_SIGNING_KEYS=true), as the API's routes under /tenants/:id/signing-key. */
const keyChange = (verb: 'rotate' | 'revoke', summary: string, print: Command['print']): Command => ({
  summary,
  usage: `${verb === 'rotate' ? 'rotate-key' : 'revoke-keys'} <tenant>`,
  help: ['<tenant> is an id or a slug. Needs TENANT_SIGNING_KEYS=true (and the server’s TENANT_KEY_ENCRYPTION_KEY).'],
  options: {},
  async run(ctx, args) {
    const id = await resolveTenant(ctx, args);
    if (!ctx.services.tenantKeys) throw new UsageError('per-tenant signing keys are off: set TENANT_SIGNING_KEYS=true');
    return ctx.services.tenantKeys[verb](ctx.adminId, id);
  },
  print,
});

/** A command that destroys something: it acts only with --yes. */
const confirmed = (
  verb: 'delete' | 'purge',
  summary: string,
  help: string,
  act: (ctx: Parameters<Command['run']>[0], id: string) => Promise<unknown>,
  print: Command['print'],
): Command => ({
  summary,
  usage: `${verb} <tenant> --yes`,
  help: [help],
  options: { yes: { type: 'boolean' } },
  async run(ctx, args) {
    const id = await resolveTenant(ctx, args);
    if (args.values.yes !== true)
      throw new UsageError(`${verb === 'delete' ? 'deleting' : 'purging'} a tenant needs --yes`);
    return act(ctx, id);
  },
  print,
});

export const tenantCommands: Record<string, Command> = {
  create: {
    summary: 'Create a tenant with its first admin',
    usage:
      'create --name <name> --slug <slug> --admin-email <email> [--admin-name <name>] [--admin-password <pw>] [--plan <plan>] [--timezone <tz>]',
    help: [
      `--plan is one of ${PLANS.join(', ')} (default basic); ${Object.keys(PLAN_ALIASES).join(' and ')} are deprecated aliases of ${Object.values(PLAN_ALIASES).join(' and ')}.`,
      'Without --admin-password a password is generated and printed once.',
    ],
    options: {
      name: { type: 'string' },
      slug: { type: 'string' },
      plan: { type: 'string' },
      timezone: { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      'admin-password': { type: 'string' },
    },
    async run(ctx, args) {
      const given = str(args, 'plan');
      const plan = given === undefined ? undefined : canonicalPlan(given);
      if (given !== undefined && !plan) throw new UsageError(`--plan must be one of ${PLANS.join(', ')}`);
      const generated = str(args, 'admin-password') ? undefined : randomBytes(15).toString('base64url');
      const created = await ctx.services.tenants.create(actorFor(ctx, 'create'), {
        name: required(args, 'name'),
        slug: required(args, 'slug'),
        plan,
        timezone: str(args, 'timezone'),
        admin: {
          email: required(args, 'admin-email'),
          name: str(args, 'admin-name') ?? 'Administrator',
          password: str(args, 'admin-password') ?? (generated as string),
        },
      });
      return generated ? { ...created, generatedPassword: generated } : created;
    },
    print(result, io) {
      const r = result as { tenant: TenantDto; admin: { email: string }; generatedPassword?: string };
      line(io, `created ${r.tenant.slug} (${r.tenant.id}), admin ${r.admin.email}`);
      if (r.generatedPassword) line(io, `admin password (shown once): ${r.generatedPassword}`);
    },
  },
  list: {
    summary: 'List tenants',
    usage: 'list [--status <status>]',
    help: ['Pages through every tenant, ordered by id.'],
    options: { status: { type: 'string' } },
    async run(ctx, args) {
      const status = str(args, 'status') as TenantDto['status'] | undefined;
      const all: TenantDto[] = [];
      let cursor: string | undefined;
      do {
        const page = await ctx.services.tenants.list(ctx.adminId, { limit: 100, cursor, status });
        all.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      return all;
    },
    print(result, io) {
      const rows = result as TenantDto[];
      line(io, `${'id'.padEnd(36)}  ${'slug'.padEnd(24)} ${'status'.padEnd(10)} ${'plan'.padEnd(10)} name`);
      for (const t of rows) {
        line(io, `${t.id}  ${t.slug.padEnd(24)} ${t.status.padEnd(10)} ${t.plan.padEnd(10)} ${t.name}`);
      }
    },
  },
  show: {
    summary: 'Show one tenant',
    usage: 'show <tenant>',
    help: ['<tenant> is an id or a slug.'],
    options: {},
    run: async (ctx, args) => ctx.services.tenants.get(ctx.adminId, await resolveTenant(ctx, args)),
    print: (t, io) => printTenant(t as TenantDto, io),
  },
  suspend: statusChange('suspend', 'Suspend a tenant: its users get no access'),
  reactivate: statusChange('reactivate', 'Reactivate a suspended tenant'),
  delete: confirmed(
    'delete',
    'Delete a tenant',
    '<tenant> is an id or a slug. --yes confirms.',
    async (ctx, id) => {
      await ctx.services.tenants.remove(actorFor(ctx, 'delete', id), id);
      return { id, deleted: true };
    },
    (r, io) => line(io, `deleted ${(r as { id: string }).id}`),
  ),
  restore: statusChange('restore', 'Restore a deleted tenant within its grace period'),
  purge: confirmed(
    'purge',
    'Purge a deleted tenant: every row of it, at once and for good',
    '<tenant> is an id or a slug of a deleted tenant. --yes confirms.',
    (ctx, id) => ctx.services.tenants.purge(ctx.adminId, id),
    (r, io) => {
      const { tenantId, counts } = r as { tenantId: string; counts: Record<string, number> };
      const rows = Object.entries(counts).map(([k, n]) => `${k} ${n}`);
      line(io, `purged ${tenantId}: ${rows.join(', ')}`);
    },
  ),
  'rotate-key': keyChange(
    'rotate',
    'Rotate a tenant’s signing key: a new key signs, the previous one verifies until its tokens expire',
    (r, io) => {
      const { kid, retired } = r as { kid: string; retired: { kid: string; verifiesUntil: string }[] };
      line(io, `signing with ${kid}`);
      for (const k of retired) line(io, `retired ${k.kid} (verifies until ${k.verifiesUntil})`);
    },
  ),
  'revoke-keys': keyChange(
    'revoke',
    'Revoke a tenant’s signing keys: its access tokens stop working at once; a new key signs',
    (r, io) => {
      const { kid, revoked } = r as { kid: string; revoked: string[] };
      for (const k of revoked) line(io, `revoked ${k}`);
      line(io, `signing with ${kid}`);
    },
  ),
  usage: {
    summary: 'Show a tenant’s usage against its plan limits',
    usage: 'usage <tenant>',
    help: ['<tenant> is an id or a slug.'],
    options: {},
    run: async (ctx, args) => ctx.services.usage.usage(ctx.adminId, await resolveTenant(ctx, args)),
    print(result, io) {
      const u = result as TenantUsage;
      line(io, `plan ${u.plan}`);
      for (const [k, q] of Object.entries(u.quotas)) {
        line(io, `${k.padEnd(18)} ${q.used === null ? '' : `${q.used} of `}${q.limit}`);
      }
      line(io, `${'enrollments'.padEnd(18)} ${u.usage.enrollments}`);
      for (const [k, on] of Object.entries(u.features)) line(io, `${k.padEnd(18)} ${on ? 'on' : 'off'}`);
    },
  },
};
