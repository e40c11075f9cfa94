import { Errors } from './errors.js';

/** The longest reason a platform admin may give for an action (X-Audit-Reason, the CLI's --reason). */
export const AUDIT_REASON_MAX = 500;

/** The audit actions of platform admins' work on a tenant: the API's routes and the CLI write the same. */
export const TENANT_ACTIONS = {
  create: 'tenant.created',
  update: 'tenant.updated',
  suspend: 'tenant.suspended',
  reactivate: 'tenant.reactivated',
  delete: 'tenant.deleted',
  restore: 'tenant.restored',
  export: 'tenant.exported',
  rotateSigningKey: 'tenant.signing_key_rotated',
  revokeSigningKeys: 'tenant.signing_keys_revoked',
} as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (message: string) => Errors.validation(message, [{ path: 'X-Audit-Reason', message }]);

/**
 * A header's value as text: HTTP hands header bytes over one per character, so a reason sent as
 * UTF-8 is decoded here; bytes that are not UTF-8 are refused.
 */
export function headerText(raw: string): string {
  // Beyond one byte per character the value did not come from HTTP bytes: keep it as it is.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the range starts at NUL
  if (/[^\u0000-\u00ff]/.test(raw)) return raw;
  try {
    return utf8.decode(Buffer.from(raw, 'latin1'));
  } catch {
    throw refuse('must be UTF-8 text');
  }
}

/**
 * A platform admin's reason for an action, trimmed; blank counts as none. Control characters
 * (NUL, tab, line breaks …) and reasons over AUDIT_REASON_MAX characters are refused, as is a
 * missing reason when one is required (REQUIRE_AUDIT_REASON).
 */
export function auditReason(text: string | undefined, required: boolean): string | null {
  let reason: string | undefined;
  if (text !== undefined) {
    if (CONTROL.test(text)) throw refuse('must not contain control characters (NUL, tab, line breaks …)');
    reason = text.trim();
    if ([...reason].length > AUDIT_REASON_MAX) throw refuse(`must be at most ${AUDIT_REASON_MAX} characters`);
  }
  if (!reason) {
    if (required) throw refuse('a reason is required for platform actions on a tenant (REQUIRE_AUDIT_REASON)');
    return null;
  }
  return reason;
}
