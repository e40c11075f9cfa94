import { describe, expect, it } from 'vitest';
import { sourceLines } from '../../src/services/transfer-lines.js';

const bytes = (s: string) => new TextEncoder().encode(s);
async function* chunks(...parts: Uint8Array[]) {
  for (const p of parts) yield p;
}
const collect = async (source: AsyncIterable<Uint8Array>, maxBytes = 1000, maxLineChars = 100) => {
  const out: { n: number; text: string }[] = [];
  for await (const line of sourceLines(source, { maxBytes, maxLineChars })) out.push(line);
  return out;
};

describe('sourceLines', () => {
  it('when lines and multi-byte characters are split across chunks, then each line comes out whole and numbered', async () => {
    const all = bytes('{"a":"é"}\n\n{"b":"✓"}\r\nlast');
    const parts = [all.slice(0, 8), all.slice(8, 9), all.slice(9, 20), all.slice(20)];
    expect(await collect(chunks(...parts))).toEqual([
      { n: 1, text: '{"a":"é"}' },
      { n: 2, text: '' },
      { n: 3, text: '{"b":"✓"}\r' },
      { n: 4, text: 'last' },
    ]);
  });

  it('when the bytes are not UTF-8, then a validation error names the line', async () => {
    const bad = new Uint8Array([...bytes('ok\n'), 0xff, 0xfe, ...bytes('\n')]);
    await expect(collect(chunks(bad))).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('line 2'),
    });
  });

  it('when the input passes the byte limit, then payload_too_large before the rest is read', async () => {
    let read = 0;
    async function* endless() {
      for (;;) {
        read += 1;
        yield bytes(`${'x'.repeat(10)}\n`);
      }
    }
    await expect(collect(endless(), 100)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(read).toBe(10);
  });

  it('when one line is longer than the line limit, then a validation error without waiting for its end', async () => {
    await expect(collect(chunks(bytes('a'.repeat(60)), bytes('b'.repeat(60))))).rejects.toMatchObject({
      code: 'validation_failed',
      message: expect.stringContaining('line 1 is longer than 100'),
    });
  });
});
