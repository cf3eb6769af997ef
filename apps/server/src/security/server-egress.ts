/**
 * The server's egress policy: `EGRESS_ALLOW`, plus the targets the operator set in the
 * environment (the host and port of `OPENAI_BASE_URL` and of every vendor's `<VENDOR>_BASE_URL`),
 * which are trusted as such.
 */
import { isIP } from 'node:net';
import { type ServerConfig, vendorVariables } from '../config/server-config.ts';
import { EgressPolicy } from './egress.ts';

/** The policy for targets administrators set (agents' LLM base URLs). */
export function serverEgressPolicy(
  config: Pick<ServerConfig, 'egressAllow' | 'openaiBaseUrl'> & Partial<Pick<ServerConfig, 'vendorEnv'>>,
): EgressPolicy {
  const urls = [config.openaiBaseUrl, ...vendorVariables().baseUrls.map((name) => config.vendorEnv?.[name])];
  const operator = [...new Set(urls.filter((url) => url !== undefined))].map(allowanceFor);
  return new EgressPolicy([...config.egressAllow, ...operator]);
}

/** The `EGRESS_ALLOW` entry that allows exactly the host and port of `url` (an IPv6 literal: that address). */
function allowanceFor(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 6) return host;
  return `${host}:${port || (protocol === 'https:' ? 443 : 80)}`;
}
