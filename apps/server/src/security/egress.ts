/**
 * Egress control against server-side request forgery: which network addresses Parley may
 * connect to when an administrator chooses the target (an agent's LLM base URL today).
 *
 * Public unicast addresses are allowed; loopback, private (RFC 1918, ULA), link-local (cloud
 * metadata at 169.254.169.254 included), CGNAT, unspecified, multicast, reserved and the IPv6
 * forms that embed IPv4 (mapped, NAT64, 6to4, Teredo) are refused unless `EGRESS_ALLOW` allows
 * them. The check runs when connecting, on the addresses DNS returned and on the address the
 * socket actually reached, so neither a hostname nor DNS rebinding gets around it.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

/** A connection was refused by the egress policy. `code` is `ERR_EGRESS_REFUSED`. */
export class EgressRefusedError extends Error {
  override readonly name = 'EgressRefusedError';
  /** A stable code that code outside the server (e.g. the LLM service) can recognise. */
  readonly code = 'ERR_EGRESS_REFUSED';

  constructor(
    message: string,
    /** The host that was asked for. */
    readonly host: string,
    /** The refused address, when the host resolved to one. */
    readonly address?: string,
  ) {
    super(message);
  }
}

/** An `EGRESS_ALLOW` entry is malformed. */
export class EgressConfigError extends Error {
  override readonly name = 'EgressConfigError';
}

type AddressRule = { kind: 'cidr'; range: [ipaddr.IPv4 | ipaddr.IPv6, number] };
type HostRule = { kind: 'host'; host: string; port: number | undefined };
type EgressRule = AddressRule | HostRule;

const HOSTNAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Parses one `EGRESS_ALLOW` entry: a CIDR (`127.0.0.1/8`, `fd00::/8`), an IP address, a
 * hostname (any port) or `host:port` (that port only; the host may be an IPv4 address).
 * @throws {@link EgressConfigError} naming the entry.
 */
export function parseEgressRule(entry: string): EgressRule {
  const text = entry.trim().toLowerCase();
  if (text.includes('/')) {
    let cidr: [ipaddr.IPv4 | ipaddr.IPv6, number];
    try {
      cidr = ipaddr.parseCIDR(text);
    } catch {
      throw new EgressConfigError(`EGRESS_ALLOW: "${entry}" is not a CIDR range (e.g. 10.0.0.0/8)`);
    }
    const [address, bits] = cidr;
    const ipv4 = unmapped(address);
    // `::ffff:10.0.0.0/104` is `10.0.0.0/8`, as addresses are compared unmapped.
    return { kind: 'cidr', range: ipv4 === address ? cidr : [ipv4, Math.max(bits - 96, 0)] };
  }
  if (isIP(text) !== 0) {
    const address = unmapped(ipaddr.parse(text));
    return { kind: 'cidr', range: [address, address.kind() === 'ipv4' ? 32 : 128] };
  }
  const match = /^(.+):(\d{1,5})$/.exec(text);
  const host = match ? match[1]! : text;
  const port = match ? Number(match[2]) : undefined;
  if ((HOSTNAME.test(host) || isIP(host) === 4) && (port === undefined || (port > 0 && port < 65536))) {
    return { kind: 'host', host, port };
  }
  throw new EgressConfigError(
    `EGRESS_ALLOW: "${entry}" is not a CIDR, an IP address, a hostname or host:port`,
  );
}

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) as the IPv4 address it stands for. */
function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/**
 * Which targets may be reached: public unicast addresses, plus what the rules allow.
 * Immutable; build it once from the configuration.
 */
export class EgressPolicy {
  private readonly rules: readonly EgressRule[];

  /**
   * @param allow - `EGRESS_ALLOW` entries (see {@link parseEgressRule}), plus any the operator
   *   implies (e.g. `host:port` of `OPENAI_BASE_URL`).
   * @throws {@link EgressConfigError} for a malformed entry.
   */
  constructor(allow: readonly string[] = []) {
    this.rules = allow.map(parseEgressRule);
  }

  /** Whether a host rule allows `host` (lower-case, IPv6 without brackets) on `port`, whatever it resolves to. */
  allowsHost(host: string, port: number): boolean {
    const name = host.toLowerCase();
    return this.rules.some(
      (rule) => rule.kind === 'host' && rule.host === name && (rule.port === undefined || rule.port === port),
    );
  }

  /**
   * Why connecting to `address` (an IP address) is refused, or `undefined` when it is allowed.
   * @example policy.refusalFor('169.254.169.254') // 'a link-local address'
   */
  refusalFor(address: string): string | undefined {
    if (isIP(address) === 0) return 'not an IP address';
    const parsed = unmapped(ipaddr.parse(address));
    const range = parsed.range();
    if (range === 'unicast') return undefined;
    const allowed = this.rules.some(
      (rule) => rule.kind === 'cidr' && rule.range[0].kind() === parsed.kind() && parsed.match(rule.range),
    );
    return allowed ? undefined : (RANGE_NAMES[range] ?? `a non-public (${range}) address`);
  }

  /**
   * Why `url` is refused before any DNS lookup (for checks when a target is written), or
   * `undefined` if it may be tried: only `http:`/`https:`, and no IP literal or `localhost`
   * name of a refused range. Hostnames are checked again when connecting
   * ({@link createEgressFetch}); this is the early, readable answer, not the guard.
   */
  refusalForUrl(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'not a URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      return `${parsed.protocol} is not http: or https:`;
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (this.allowsHost(host, portOf(parsed.port, parsed.protocol))) return undefined;
    if (host === 'localhost' || host.endsWith('.localhost')) {
      const refusal = this.refusalFor('127.0.0.1');
      return refusal && `${host} is ${refusal}`;
    }
    if (isIP(host) === 0) return undefined;
    const refusal = this.refusalFor(host);
    return refusal && `${host} is ${refusal}`;
  }
}

/** ipaddr.js range names, as words for messages. */
const RANGE_NAMES: Readonly<Record<string, string>> = {
  loopback: 'a loopback address',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  linkLocal: 'a link-local address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'an unspecified address',
  multicast: 'a multicast address',
  broadcast: 'a broadcast address',
  reserved: 'a reserved address',
};

function portOf(port: string | number | undefined, protocol: string): number {
  const n = Number(port);
  if (Number.isInteger(n) && n > 0) return n;
  return protocol === 'https:' ? 443 : 80;
}

/** Resolves a hostname to every address (the default: the system resolver, like `dns.lookup`). */
export type EgressResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

const systemResolver: EgressResolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
  });

/** Options of {@link createEgressFetch}. */
export interface EgressFetchOptions {
  /** How hostnames resolve; tests give names fixed addresses. Default: the system resolver. */
  readonly resolve?: EgressResolver;
}

/**
 * A `fetch` (undici's, with the WHATWG signature) whose connections obey `policy`: a host that
 * no host rule allows is resolved, every address it resolves to must be allowed, and the
 * address the socket reached is checked again before a byte is sent. A refusal rejects the
 * fetch with a `TypeError` whose `cause` is an {@link EgressRefusedError}; no TCP connection is
 * opened to a refused address.
 */
export function createEgressFetch(policy: EgressPolicy, options: EgressFetchOptions = {}): typeof fetch {
  const resolve = options.resolve ?? systemResolver;
  /** A `lookup` for `net.connect` over `resolve`, refusing addresses the policy refuses when `check`. */
  const lookup =
    (check: boolean): LookupFunction =>
    (hostname, lookupOptions, callback) => {
      resolve(hostname).then(
        (addresses) => {
          const refused = check
            ? addresses
                .map((a) => ({ address: a.address, refusal: policy.refusalFor(a.address) }))
                .find((a) => a.refusal !== undefined)
            : undefined;
          if (refused) {
            callback(
              new EgressRefusedError(
                `${hostname} resolves to ${refused.address}, ${refused.refusal}: Parley does not connect there unless EGRESS_ALLOW allows it`,
                hostname,
                refused.address,
              ),
              '',
            );
          } else if (addresses.length === 0) {
            callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '');
          } else if (lookupOptions.all) {
            callback(null, [...addresses]);
          } else {
            callback(null, addresses[0]!.address, addresses[0]!.family);
          }
        },
        (error: NodeJS.ErrnoException) => callback(error, ''),
      );
    };
  const trusted = buildConnector({ lookup: lookup(false) });
  const checked = buildConnector({ lookup: lookup(true) });
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const { hostname, protocol } = connectOptions;
    if (policy.allowsHost(hostname, portOf(connectOptions.port, protocol))) {
      trusted(connectOptions, callback);
      return;
    }
    const literalRefusal = isIP(hostname) === 0 ? undefined : policy.refusalFor(hostname);
    if (literalRefusal) {
      callback(
        new EgressRefusedError(
          `${hostname} is ${literalRefusal}: Parley does not connect there unless EGRESS_ALLOW allows it`,
          hostname,
          hostname,
        ),
        null,
      );
      return;
    }
    checked(connectOptions, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error(`could not connect to ${hostname}`), null);
        return;
      }
      // The address actually reached, whatever resolved it.
      const remote = socket.remoteAddress;
      const refusal = remote === undefined ? 'of unknown address' : policy.refusalFor(remote);
      if (refusal) {
        socket.destroy();
        callback(
          new EgressRefusedError(
            `${hostname} connected to ${remote ?? 'an unknown address'}, ${refusal}: refused`,
            hostname,
            remote,
          ),
          null,
        );
        return;
      }
      callback(null, socket);
    });
  };
  const dispatcher = new Agent({ connect });
  const guarded = (input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    // undici's fetch is the same WHATWG fetch as the global one, with its own type declarations.
    undiciFetch(input as Parameters<typeof undiciFetch>[0], {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    }) as unknown as Promise<Response>;
  return guarded as typeof fetch;
}

/**
 * Why `url` may not be reached, after resolving its host, or `undefined` when it may: for
 * clients that open their own connections (WebSocket SDKs) and so cannot use
 * {@link createEgressFetch}. It checks when called, not when connecting, so a DNS answer that
 * changes in between is not caught; prefer the egress fetch wherever a client takes one.
 */
export async function egressRefusalForTarget(
  policy: EgressPolicy,
  url: string,
  resolve: EgressResolver = systemResolver,
): Promise<string | undefined> {
  const early = policy.refusalForUrl(url.replace(/^ws(s?):/, 'http$1:'));
  if (early !== undefined) return early;
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (policy.allowsHost(host, portOf(parsed.port, parsed.protocol.replace(/^ws/, 'http')))) return undefined;
  let addresses: readonly LookupAddress[];
  try {
    addresses = isIP(host) === 0 ? await resolve(host) : [{ address: host, family: isIP(host) }];
  } catch (error) {
    return `${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  for (const { address } of addresses) {
    const refusal = policy.refusalFor(address);
    if (refusal !== undefined) return `${host} resolves to ${address}, ${refusal}`;
  }
  return undefined;
}
