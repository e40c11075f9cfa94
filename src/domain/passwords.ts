import { Errors } from './errors.js';

export const MIN_PASSWORD_LENGTH = 12;

// Common passwords long enough to pass the length rule (from public breach top lists); compared
// case-insensitively. A small list by design: the length rule does most of the work.
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123123123123',
  '111111111111',
  '000000000000',
  'password1234',
  'password12345',
  'password123456',
  'passwordpassword',
  'qwertyuiopasdf',
  'qwertyuiop123',
  'qwerty123456',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  'iloveyou1234',
  'letmein12345',
  'welcome12345',
  'administrator',
  'changeme1234',
  'trustno11234',
  'abc123456789',
  'abcdefghijkl',
  'football1234',
  'baseball1234',
  'monkey123456',
  'dragon123456',
  'sunshine1234',
  'princess1234',
  'superman1234',
  'starwars1234',
  'computer1234',
  'p@ssw0rd1234',
  'passw0rd1234',
]);

/** A new password's strength: length, not a well-known one, not one character repeated, not the email. */
export function assertPasswordStrength(password: string, email: string, path = 'newPassword'): void {
  const problem = (message: string) => Errors.validation('the new password is too weak', [{ path, message }]);
  if ([...password].length < MIN_PASSWORD_LENGTH) throw problem(`must be at least ${MIN_PASSWORD_LENGTH} characters`);
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) throw problem('is a commonly used password');
  if (new Set(lower).size <= 2) throw problem('repeats too few characters');
  if (lower === email.toLowerCase() || lower === email.toLowerCase().split('@')[0])
    throw problem('is the email address');
}
