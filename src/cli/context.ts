import type { Readable, Writable } from 'node:stream';
import type { TenantKeys } from '../services/tenant-keys.js';
import type { TenantTransferService } from '../services/tenant-transfer.js';
import type { TenantUsageService } from '../services/tenant-usage.js';
import type { TenantService } from '../services/tenants.js';

export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean };
  stdin: Readable;
}

/** What a command runs with: the server's own services, acting as one platform admin. */
export interface CliContext {
  services: {
    tenants: TenantService;
    transfer: TenantTransferService;
    usage: TenantUsageService;
    /** Present with TENANT_SIGNING_KEYS=true. */
    tenantKeys?: TenantKeys;
  };
  adminId: string;
  io: CliIo;
  /** The operator's --reason, recorded with each action on a tenant in its audit log. */
  reason?: string;
  /** REQUIRE_AUDIT_REASON: actions on a tenant need a reason. */
  requireReason?: boolean;
}

export interface CommandArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  json: boolean;
}

export interface Command {
  summary: string;
  usage: string;
  /** Lines of --help after the usage line. */
  help: string[];
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(ctx: CliContext, args: CommandArgs): Promise<unknown>;
  /** Human output of the result (JSON goes to stdout as is with --json). */
  print?(result: unknown, io: CliIo): void;
}

export class UsageError extends Error {}
