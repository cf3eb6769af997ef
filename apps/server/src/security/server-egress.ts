/**
 * The server's egress policy: `EGRESS_ALLOW`, plus the targets the operator set in the
 * environment (the host and port of `OPENAI_BASE_URL`), which are trusted as such.
 */
import { isIP } from 'node:net';
import type { ServerConfig } from '../config/server-config.ts';
import { EgressPolicy } from './egress.ts';

/** The policy for targets administrators set (agents' LLM base URLs). */
export function serverEgressPolicy(
  config: Pick<ServerConfig, 'egressAllow' | 'openaiBaseUrl'>,
): EgressPolicy {
  const operator = config.openaiBaseUrl === undefined ? [] : [allowanceFor(config.openaiBaseUrl)];
  return new EgressPolicy([...config.egressAllow, ...operator]);
}

/** The `EGRESS_ALLOW` entry that allows exactly the host and port of `url` (an IPv6 literal: that address). */
function allowanceFor(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 6) return host;
  return `${host}:${port || (protocol === 'https:' ? 443 : 80)}`;
}
