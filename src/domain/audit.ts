import { Errors } from './errors.js';

/** The longest reason a platform admin may give for an action (X-Audit-Reason). */
export const AUDIT_REASON_MAX = 500;

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL = /[\u0000-\u001f\u007f]/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (message: string) => Errors.validation(message, [{ path: 'X-Audit-Reason', message }]);

/**
 * The reason given in `X-Audit-Reason`: header bytes decoded as UTF-8 (HTTP hands them over one
 * byte per character), trimmed; blank counts as none. Control characters (NUL included), bytes
 * that are not UTF-8 and reasons over AUDIT_REASON_MAX characters are refused, as is a missing
 * reason when one is required.
 */
export function auditReason(raw: string | undefined, required: boolean): string | null {
  let reason: string | undefined;
  if (raw !== undefined) {
    let decoded = raw;
    // Beyond one byte per character the value did not come from HTTP bytes: keep it as it is.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the range starts at NUL
    if (!/[^\u0000-\u00ff]/.test(raw)) {
      try {
        decoded = utf8.decode(Buffer.from(raw, 'latin1'));
      } catch {
        throw refuse('must be UTF-8 text');
      }
    }
    if (CONTROL.test(decoded)) throw refuse('must not contain control characters (NUL, line breaks …)');
    reason = decoded.trim();
    if ([...reason].length > AUDIT_REASON_MAX) throw refuse(`must be at most ${AUDIT_REASON_MAX} characters`);
  }
  if (!reason) {
    if (required) throw refuse('a reason is required for platform actions on a tenant (REQUIRE_AUDIT_REASON)');
    return null;
  }
  return reason;
}
