import { describe, expect, it } from 'vitest';
import { AUDIT_REASON_MAX, auditReason, headerText } from '../../src/domain/audit.js';
import { DomainError } from '../../src/domain/errors.js';

const refused = (raw: string | undefined, required = false) => {
  try {
    auditReason(raw === undefined ? undefined : headerText(raw), required);
  } catch (err) {
    return err instanceof DomainError ? err.code : 'other';
  }
  return 'accepted';
};

describe('auditReason and headerText (X-Audit-Reason)', () => {
  it('when a reason is sent, then it is trimmed and its UTF-8 bytes decoded', () => {
    expect(auditReason('  Ticket 42 ', false)).toBe('Ticket 42');
    expect(auditReason(headerText(Buffer.from('Prüfung ✓', 'utf8').toString('latin1')), false)).toBe('Prüfung ✓');
    // Text that did not come as header bytes (the CLI's --reason) is taken as it is.
    expect(auditReason('Prüfung ✓', false)).toBe('Prüfung ✓');
  });

  it('when none or a blank one is sent, then it is null unless one is required', () => {
    expect(auditReason(undefined, false)).toBeNull();
    expect(auditReason('   ', false)).toBeNull();
    expect(refused(undefined, true)).toBe('validation_failed');
    expect(refused('  ', true)).toBe('validation_failed');
  });

  it('when it holds NUL or other control characters, is not UTF-8 or is too long, then validation_failed', () => {
    expect(refused('a\u0000b')).toBe('validation_failed');
    expect(refused('a\tb')).toBe('validation_failed');
    expect(refused('\u00ff\u00fe')).toBe('validation_failed');
    // The limit counts characters, not the bytes they were sent as.
    const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
    expect(refused(bytes('é'.repeat(AUDIT_REASON_MAX)))).toBe('accepted');
    expect(refused(bytes('é'.repeat(AUDIT_REASON_MAX + 1)))).toBe('validation_failed');
    expect(refused('x'.repeat(AUDIT_REASON_MAX + 1))).toBe('validation_failed');
  });
});
