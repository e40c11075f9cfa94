import type { Writable } from 'node:stream';

const WIDTH = 28;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * A progress line on stderr: redrawn in place on a terminal, one line a second otherwise
 * (when asked for with --progress in a pipe), never on stdout, which carries the data.
 */
export function progressBar(out: Writable & { isTTY?: boolean }, label: string, total?: number) {
  const tty = out.isTTY === true;
  const started = Date.now();
  let last = 0;
  let done = 0;
  let bytes = 0;

  const render = (final: boolean) => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    let line = `${label} ${mb(bytes)} ${seconds} s`;
    if (total && total > 0) {
      const share = final ? 1 : Math.min(done / total, 0.99);
      const filled = Math.round(share * WIDTH);
      line = `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${Math.floor(share * 100)}% ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} ${mb(bytes)} ${seconds} s`;
    }
    out.write(tty ? `\r${line}\u001b[K${final ? '\n' : ''}` : `${line}\n`);
  };

  return {
    /** Adds units of work (rows, or bytes when the total is in bytes) and bytes seen. */
    tick(units: number, seenBytes: number) {
      done += units;
      bytes += seenBytes;
      const now = Date.now();
      if (now - last >= (tty ? 100 : 1000)) {
        last = now;
        render(false);
      }
    },
    finish() {
      render(true);
    },
  };
}
