import { pcmFromBytes } from '@parley/pipeline';

/**
 * The samples of a streamed body of raw 16-bit little-endian mono PCM (no header), one
 * `Int16Array` per network chunk. A chunk may end in the middle of a sample: its odd byte is
 * held and joined to the next chunk, so no sample is split or lost; an odd byte left at the
 * very end (a truncated stream) is dropped.
 *
 * Stopping early (the consumer leaves its `for await`, or `body` errors) cancels the body,
 * which closes the HTTP response at the server.
 *
 * @param body The response body, e.g. `Response.body` of a `fetch`.
 */
export async function* readPcm16(body: ReadableStream<Uint8Array>): AsyncGenerator<Int16Array> {
  const reader = body.getReader();
  let done = false;
  let carry: number | undefined;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        return;
      }
      let bytes = next.value;
      if (carry !== undefined) {
        const joined = new Uint8Array(bytes.byteLength + 1);
        joined[0] = carry;
        joined.set(bytes, 1);
        bytes = joined;
        carry = undefined;
      }
      if (bytes.byteLength % 2 === 1) {
        carry = bytes[bytes.byteLength - 1];
        bytes = bytes.subarray(0, bytes.byteLength - 1);
      }
      if (bytes.byteLength > 0) yield pcmFromBytes(bytes);
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {}); // already failed or aborted: nothing to close
  }
}
