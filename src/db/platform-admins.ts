import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { newId } from '../domain/ids.js';

/** Password hashing, passed in (it lives in services/, which db/ does not import). */
export interface PasswordHashing {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/**
 * Makes sure a platform admin with this email exists, connected as the owner: neither the
 * runtime nor the platform login may write platform_admins, so a compromised server login
 * cannot add an admin. Run at start (server.ts) and by test setup, never on a request.
 *
 * With a password: creates the admin with it, or resets an existing admin's password when it
 * differs. Without one: creates the admin with a generated password and returns it (shown
 * once by the caller); an existing admin is left alone. Returns undefined when nothing was
 * generated.
 */
export async function ensurePlatformAdmin(
  ownerUrl: string,
  admin: { email: string; password?: string; name?: string; passwords: PasswordHashing },
): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const existing = await client.query<{ password_hash: string }>(
      'SELECT password_hash FROM public.platform_admins WHERE email = $1',
      [admin.email],
    );
    const stored = existing.rows[0]?.password_hash;
    if (stored !== undefined && (!admin.password || (await admin.passwords.verify(stored, admin.password)))) {
      return undefined;
    }
    const generated = admin.password ? undefined : randomBytes(15).toString('base64url');
    const passwordHash = await admin.passwords.hash(admin.password ?? (generated as string));
    await client.query(
      `INSERT INTO public.platform_admins (id, email, name, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO UPDATE SET password_hash = EXCLUDED.password_hash`,
      [newId(), admin.email, admin.name ?? 'Platform admin', passwordHash],
    );
    return generated;
  } finally {
    await client.end();
  }
}

/** The id of the platform admin with this email (the actor of the operator's CLI), read as the owner. */
export async function platformAdminId(ownerUrl: string, email: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const found = await client.query<{ id: string }>('SELECT id FROM public.platform_admins WHERE email = $1', [email]);
    return found.rows[0]?.id;
  } finally {
    await client.end();
  }
}
