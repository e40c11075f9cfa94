import type { Tx } from '../db/context.js';

export type Emit = (chunk: string) => Promise<void>;

class ReaderGone extends Error {}

/**
 * Streams what `produce` emits while its transaction stays open, paced by the reader: the
 * next batch is read only once the previous one was taken. Resolves with the stream at the
 * first chunk, so an error before it (a missing tenant) still becomes an ordinary error
 * response; a failure later aborts the stream (reported through onError). A reader that goes
 * away, or takes nothing for stallMs, ends the transaction.
 */
export function transactionStream(
  run: (fn: (tx: Tx) => Promise<void>) => Promise<void>,
  produce: (tx: Tx, emit: Emit) => Promise<void>,
  opts: { onError: (err: unknown) => void; stallMs?: number },
): Promise<ReadableStream<Uint8Array>> {
  const encoder = new TextEncoder();
  const stallMs = opts.stallMs ?? 25_000;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let wake: (() => void) | undefined;
  let gone = false;
  const signal = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      start: (c) => {
        controller = c;
      },
      pull: signal,
      cancel: () => {
        gone = true;
        signal();
      },
    },
    { highWaterMark: 1 },
  );

  return new Promise((resolve, reject) => {
    let opened = false;
    const demand = () =>
      new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new ReaderGone('the reader stopped reading')), stallMs);
        wake = () => {
          clearTimeout(timer);
          ok();
        };
      });
    const emit: Emit = async (chunk) => {
      if (gone) throw new ReaderGone();
      controller.enqueue(encoder.encode(chunk));
      if (!opened) {
        opened = true;
        resolve(stream);
      }
      while (!gone && (controller.desiredSize ?? 0) <= 0) await demand();
      if (gone) throw new ReaderGone();
    };
    run((tx) => produce(tx, emit)).then(
      () => {
        if (!opened) resolve(stream);
        controller.close();
      },
      (err) => {
        if (!opened) return reject(err);
        if (!gone) {
          opts.onError(err);
          controller.error(err);
        }
      },
    );
  });
}
