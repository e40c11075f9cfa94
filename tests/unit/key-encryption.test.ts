import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKeyEncryptionKey } from '../../src/config/keys.js';
import { createKeyEncryption } from '../../src/services/key-encryption.js';

describe('private keys encrypted at rest', () => {
  it('when a value is encrypted twice, then the ciphertexts differ and both decrypt under the same row', () => {
    const box = createKeyEncryption(randomBytes(32));
    const [one, two] = [box.encrypt('{"d":"secret"}', 'tenant/kid'), box.encrypt('{"d":"secret"}', 'tenant/kid')];
    expect(one).not.toBe(two);
    expect(one).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(one).not.toContain('secret');
    expect(box.decrypt(one, 'tenant/kid')).toBe('{"d":"secret"}');
    expect(box.decrypt(two, 'tenant/kid')).toBe('{"d":"secret"}');
  });

  it('when the ciphertext is changed, moved to another row or read with another key, then decryption fails', () => {
    const kek = randomBytes(32);
    const box = createKeyEncryption(kek);
    const stored = box.encrypt('{"d":"secret"}', 'tenant-a/kid');
    const [v, iv, tag, ct] = stored.split('.') as [string, string, string, string];
    const flipped = Buffer.from(ct, 'base64url');
    flipped[0]! ^= 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64url')].join('.'), 'tenant-a/kid')).toThrow();
    expect(() => box.decrypt(stored, 'tenant-b/kid')).toThrow();
    expect(() => createKeyEncryption(randomBytes(32)).decrypt(stored, 'tenant-a/kid')).toThrow();
    expect(() => box.decrypt('plain text', 'tenant-a/kid')).toThrow(/not an encrypted key/);
    expect(() => createKeyEncryption(randomBytes(16))).toThrow(/32 bytes/);
  });

  it('when no key-encryption key is configured, then one is generated once under the data dir (0600) and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-kek-'));
    const first = loadKeyEncryptionKey({ dataDir: dir });
    expect(first).toHaveLength(32);
    expect(loadKeyEncryptionKey({ dataDir: dir }).equals(first)).toBe(true);
    expect(statSync(join(dir, 'tenant-kek.key')).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(join(dir, 'tenant-kek.key'), 'utf8'), 'base64').equals(first)).toBe(true);
  });

  it('when TENANT_KEY_ENCRYPTION_KEY is set, then 64 hex digits or base64 of 32 bytes are taken, anything else refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tenantry-kek-'));
    const raw = randomBytes(32);
    expect(loadKeyEncryptionKey({ value: raw.toString('hex'), dataDir: dir }).equals(raw)).toBe(true);
    expect(loadKeyEncryptionKey({ value: raw.toString('base64'), dataDir: dir }).equals(raw)).toBe(true);
    for (const bad of ['short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64')]) {
      expect(() => loadKeyEncryptionKey({ value: bad, dataDir: dir })).toThrow(
        /TENANT_KEY_ENCRYPTION_KEY must be 32 bytes/,
      );
    }
  });
});
