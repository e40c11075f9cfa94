import { DomainError, Errors } from '../domain/errors.js';

export interface LineLimits {
  /** The whole input; more is refused as payload_too_large. */
  maxBytes: number;
  /** One line; a longer one is refused without being held in memory. */
  maxLineChars: number;
}

const NEWLINE = 0x0a;

export interface SourceLine {
  n: number;
  text: string;
}

/**
 * Splits a byte stream into its lines (without the newline) as it arrives, so nothing but the
 * current line and chunk is held: UTF-8 is decoded strictly (invalid bytes name their line),
 * and the byte and line-length limits are checked as the bytes come in.
 */
export async function* sourceLines(source: AsyncIterable<Uint8Array>, limits: LineLimits): AsyncGenerator<SourceLine> {
  // A newline byte never occurs inside a multi-byte UTF-8 sequence: split on bytes, then decode
  // each line on its own, so an invalid sequence is named by its line.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let bytes = 0;
  let n = 1;
  let pending = '';
  const decode = (part?: Uint8Array) => {
    try {
      return part ? decoder.decode(part, { stream: true }) : decoder.decode();
    } catch {
      throw Errors.validation(`invalid import: line ${n} is not valid UTF-8`, [
        { path: `line ${n}`, message: 'not valid UTF-8' },
      ]);
    }
  };
  const append = (part: Uint8Array) => {
    pending += decode(part);
    if (pending.length > limits.maxLineChars) {
      throw Errors.validation(`invalid import: line ${n} is longer than ${limits.maxLineChars} characters`, [
        { path: `line ${n}`, message: 'line too long' },
      ]);
    }
  };
  for await (const chunk of source) {
    bytes += chunk.byteLength;
    if (bytes > limits.maxBytes) {
      throw new DomainError('payload_too_large', `an import body exceeds the limit of ${limits.maxBytes} bytes`);
    }
    let start = 0;
    for (let nl = chunk.indexOf(NEWLINE); nl !== -1; nl = chunk.indexOf(NEWLINE, start)) {
      append(chunk.subarray(start, nl));
      const text = pending + decode();
      pending = '';
      yield { n, text };
      n += 1;
      start = nl + 1;
    }
    append(chunk.subarray(start));
  }
  pending += decode();
  if (pending !== '') yield { n, text: pending };
}
