import type { Logger } from 'pino';
import type { TenantRunner, TenantScope } from '../db/context.js';
import type { Principal } from '../domain/roles.js';
import type { AuditIntent, AuditService, PlatformActor } from '../services/audit.js';
import type { AuthService } from '../services/auth.js';
import type { CourseService } from '../services/courses.js';
import type { CurrentTenantService } from '../services/current-tenant.js';
import type { EnrollmentService } from '../services/enrollments.js';
import type { EventService } from '../services/events.js';
import type { LoginGuard } from '../services/login-guard.js';
import type { Passwords } from '../services/passwords.js';
import type { RateLimitService } from '../services/rate-limit.js';
import type { RegistrationService } from '../services/registration.js';
import type { StudentService } from '../services/students.js';
import type { TenantKeys } from '../services/tenant-keys.js';
import type { TenantProfile, TenantProfiles } from '../services/tenant-profiles.js';
import type { TenantTransferService } from '../services/tenant-transfer.js';
import type { TenantUsageService } from '../services/tenant-usage.js';
import type { TenantService } from '../services/tenants.js';
import type { TokenService } from '../services/tokens.js';
import type { UserService } from '../services/users.js';

/**
 * Everything createApp needs; built once by server.ts or the test harness. It holds the
 * tenant transaction runner only: the platform plane is reached through platform services,
 * never from a tenant request's context.
 */
export interface AppServices {
  /** Opens request transactions; only the tenant middleware uses it. */
  tenantDb: TenantRunner;
  tenantProfiles: TenantProfiles;
  auth: AuthService;
  tokens: TokenService;
  /** Per-tenant signing keys; absent unless TENANT_SIGNING_KEYS=true. */
  tenantKeys?: TenantKeys;
  tenants: TenantService;
  /** The outbox: events, dead letters, retries (platform admin). */
  events: EventService;
  /** Tenant export and import (platform admin; export also the tenant's own admin). */
  transfer: TenantTransferService;
  usage: TenantUsageService;
  /** Self-service tenant registration (ALLOW_SELF_SIGNUP). */
  registration: RegistrationService;
  currentTenant: CurrentTenantService;
  /** The audit log, and whether platform actions must give a reason. */
  audit: AuditService;
  students: StudentService;
  courses: CourseService;
  enrollments: EnrollmentService;
  users: UserService;
  rateLimit: RateLimitService;
  /** Login flood protection (its failure counts feed /metrics). */
  loginGuard: LoginGuard;
  /** Password hashing through the bounded queue (its state feeds /metrics). */
  passwords: Passwords;
}

export type TenantPrincipal = Extract<Principal, { kind: 'tenant' }>;
export type PlatformPrincipal = Extract<Principal, { kind: 'platform' }>;

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    services: AppServices;
    principal: Principal;
    /** The caller's tenant's slug, effective limits and features (set by the tenant gate). */
    tenantProfile?: TenantProfile;
    /** The request's tenant transaction (tenant callers of routes that open one). */
    scope?: TenantScope;
    /** The client's address (the socket's, or the proxy's X-Forwarded-For entry when trusted). */
    clientAddress: string;
    /** The tenant slug named by the request's subdomain under the configured base domain. */
    hostTenant?: string;
    /** The audit entry the request's change must write (routes that declare one). */
    audit?: AuditIntent;
    /** A platform admin's request to an audited route: the admin, with the audit intent. */
    actor?: PlatformActor;
    /** How long the request's tenant transaction took, from its first round trip to commit (metrics). */
    transactionMs?: number;
  };
}

/** A tenant route's handler: the caller is a tenant user and `scope` is the request's transaction. */
export interface TenantEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { principal: TenantPrincipal; scope: TenantScope };
}

/** A platform route's handler: the caller is a platform admin; services open their own transactions. */
export interface PlatformEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { principal: PlatformPrincipal };
}

/** A route open to tenant users and platform admins: `scope` is set for tenant callers only. */
export type MaybeTenantEnv = AppEnv;
