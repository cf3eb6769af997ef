import { request } from 'node:https';

/**
 * A WHATWG `fetch` over `node:https` that trusts the PEM certificates `ca` instead of Node's:
 * for an SDK that takes a `fetch`, talking to a loopback fake with a self-signed certificate.
 * Bodies are buffered both ways (no streaming). A failed connection rejects with a `TypeError`
 * whose `cause` is the socket's error, as Node's own `fetch` does; an abort with the signal's reason.
 */
export function fetchTrusting(ca: string): typeof fetch {
  return async (input, init) => {
    const req = new Request(input, init);
    const body = req.body ? Buffer.from(await req.arrayBuffer()) : undefined;
    return new Promise<Response>((resolve, reject) => {
      const outgoing = request(
        req.url,
        { method: req.method, headers: Object.fromEntries(req.headers), ca, signal: req.signal },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const headers = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of [value ?? []].flat()) headers.append(name, v);
            }
            const status = res.statusCode ?? 502;
            // Response refuses a body with these statuses.
            const empty = status === 204 || status === 304 || req.method === 'HEAD';
            resolve(
              new Response(empty ? null : new Uint8Array(Buffer.concat(chunks)), {
                status,
                statusText: res.statusMessage ?? '',
                headers,
              }),
            );
          });
        },
      );
      outgoing.on('error', (e) =>
        reject(req.signal.aborted ? req.signal.reason : new TypeError('fetch failed', { cause: e })),
      );
      outgoing.end(body);
    });
  };
}
