import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Publishes `content` at `file` unless it is already there, and returns what the file holds.
 * The content is written whole to a file of this process's own, then hard-linked into place,
 * which fails when the name exists: when several processes start together on one fresh data
 * directory, the first link wins, every process uses its content, and none can read a file
 * another is still writing.
 */
export function writeOnce(dir: string, file: string, content: string): string {
  mkdirSync(dir, { recursive: true });
  const own = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(own, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(own, file);
    return content;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return readFileSync(file, 'utf8');
  } finally {
    rmSync(own, { force: true });
  }
}
