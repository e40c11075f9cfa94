import type { Logger } from 'pino';
import type { TransactionRunner, Tx } from '../db/context.js';
import type { Principal } from '../domain/roles.js';
import type { AuthService } from '../services/auth.js';
import type { CourseService } from '../services/courses.js';
import type { CurrentTenantService } from '../services/current-tenant.js';
import type { EnrollmentService } from '../services/enrollments.js';
import type { RateLimitService } from '../services/rate-limit.js';
import type { StudentService } from '../services/students.js';
import type { TenantTransferService } from '../services/tenant-transfer.js';
import type { TenantUsageService } from '../services/tenant-usage.js';
import type { TenantService } from '../services/tenants.js';
import type { TokenService } from '../services/tokens.js';
import type { UserService } from '../services/users.js';

/** Everything createApp needs; built once by server.ts or the test harness. */
export interface AppServices {
  /** Opens request transactions; only the context middleware uses it. */
  db: TransactionRunner;
  auth: AuthService;
  tokens: TokenService;
  tenants: TenantService;
  /** Tenant export and import (platform admin; export also the tenant's own admin). */
  transfer: TenantTransferService;
  usage: TenantUsageService;
  currentTenant: CurrentTenantService;
  students: StudentService;
  courses: CourseService;
  enrollments: EnrollmentService;
  users: UserService;
  rateLimit: RateLimitService;
}

export type TenantPrincipal = Extract<Principal, { kind: 'tenant' }>;

export interface AppEnv {
  Variables: {
    requestId: string;
    logger: Logger;
    services: AppServices;
    principal: Principal;
    /** The request's transaction, set by the tenant or platform context middleware. */
    tx: Tx;
  };
}

export interface TenantEnv extends AppEnv {
  Variables: AppEnv['Variables'] & { principal: TenantPrincipal };
}
