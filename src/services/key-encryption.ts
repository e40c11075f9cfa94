import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';

/**
 * AES-256-GCM for secrets at rest (tenants' private signing keys). Each value gets a fresh
 * 96-bit IV; the associated data binds a ciphertext to its row (tenant and kid), so a
 * ciphertext copied to another row does not decrypt. Stored as `v1.<iv>.<tag>.<ciphertext>`
 * (base64url).
 */
export function createKeyEncryption(kek: Buffer) {
  if (kek.length !== 32) throw new Error('the key-encryption key must be 32 bytes');
  return {
    encrypt(plaintext: string, associatedData: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', kek, iv);
      cipher.setAAD(Buffer.from(associatedData));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, cipher.getAuthTag(), ciphertext]
        .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
        .join('.');
    },
    /** Throws when the value was changed, belongs to another row or another key-encryption key. */
    decrypt(stored: string, associatedData: string): string {
      const [version, iv, tag, ciphertext] = stored.split('.');
      if (version !== VERSION || !iv || !tag || ciphertext === undefined) throw new Error('not an encrypted key');
      const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}

export type KeyEncryption = ReturnType<typeof createKeyEncryption>;
