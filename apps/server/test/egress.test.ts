import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServerConfig } from '../src/config/server-config.ts';
import {
  createEgressFetch,
  EgressConfigError,
  EgressPolicy,
  EgressRefusedError,
  type EgressResolver,
  parseEgressRule,
} from '../src/security/egress.ts';
import { serverEgressPolicy } from '../src/security/server-egress.ts';

describe('the egress policy', () => {
  const policy = new EgressPolicy();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.5.6.7', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.3.4', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private (unique local)'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::a00:1', 'non-public'],
    ['2002:a00:1::1', 'non-public'],
  ])('refuses %s (%s)', (address, words) => {
    expect(policy.refusalFor(address)).toContain(words);
  });

  it.each(['8.8.8.8', '104.18.6.192', '2606:4700::1111'])('allows the public address %s', (address) => {
    expect(policy.refusalFor(address)).toBeUndefined();
  });

  it('allows what EGRESS_ALLOW lists: CIDRs, addresses, hosts and host:port', () => {
    const allowing = new EgressPolicy([
      '127.0.0.1/8',
      '10.1.2.3',
      'fd00::/8',
      'llm.internal',
      'gpu.lan:8000',
    ]);
    expect(allowing.refusalFor('127.9.9.9')).toBeUndefined();
    expect(allowing.refusalFor('::ffff:127.0.0.1')).toBeUndefined();
    expect(allowing.refusalFor('10.1.2.3')).toBeUndefined();
    expect(allowing.refusalFor('10.1.2.4')).toContain('private');
    expect(allowing.refusalFor('fd00::5')).toBeUndefined();
    expect(allowing.refusalFor('169.254.169.254')).toContain('link-local');
    expect(allowing.allowsHost('LLM.internal', 443)).toBe(true);
    expect(allowing.allowsHost('gpu.lan', 8000)).toBe(true);
    expect(allowing.allowsHost('gpu.lan', 6379)).toBe(false);
  });

  it.each(['10.0.0.0/33', 'not a host!', 'host:99999', '300.1.1.1/8'])(
    'refuses the EGRESS_ALLOW entry %s',
    (entry) => {
      expect(() => parseEgressRule(entry)).toThrow(EgressConfigError);
      expect(() => loadServerConfig({ EGRESS_ALLOW: `127.0.0.1/8, ${entry}` })).toThrow(/EGRESS_ALLOW/);
    },
  );

  it('trusts exactly the host and port of OPENAI_BASE_URL, which the operator set', () => {
    const server = serverEgressPolicy(
      loadServerConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1', EGRESS_ALLOW: '192.168.0.0/16' }),
    );
    expect(server.allowsHost('127.0.0.1', 11434)).toBe(true);
    expect(server.allowsHost('127.0.0.1', 6379)).toBe(false);
    expect(server.refusalFor('127.0.0.1')).toContain('loopback');
    expect(server.refusalFor('192.168.4.4')).toBeUndefined();
  });

  it.each([
    ['http://10.0.0.1/v1', 'private'],
    ['http://localhost:8080/v1', 'loopback'],
    ['http://app.localhost/v1', 'loopback'],
    ['http://[::ffff:7f00:1]/v1', 'loopback'],
    ['http://0x7f.1/v1', 'loopback'],
    ['ftp://example.com/', 'not http'],
  ])('refuses the URL %s before any lookup', (url, words) => {
    expect(policy.refusalForUrl(url)).toContain(words);
  });

  it('leaves hostnames to the connect-time check', () => {
    expect(policy.refusalForUrl('https://api.openai.com/v1')).toBeUndefined();
    expect(policy.refusalForUrl('https://rebinding.example/v1')).toBeUndefined();
  });
});

describe('the egress-checked fetch', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  let requests = 0;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      requests++;
      res.end('reached');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Resolves `*.test` names as given, like a DNS server the attacker controls. */
  const fakeDns =
    (answers: Record<string, string[]>): EgressResolver =>
    async (hostname) =>
      (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  async function refusal(fetch: typeof globalThis.fetch, url: string): Promise<EgressRefusedError> {
    const error = await fetch(url).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    const cause = (error as TypeError).cause;
    expect(cause).toBeInstanceOf(EgressRefusedError);
    return cause as EgressRefusedError;
  }

  it('opens no connection to a hostname that resolves to loopback, or to a loopback literal', async () => {
    const before = { connections, requests };
    const fetch = createEgressFetch(new EgressPolicy(), {
      resolve: fakeDns({ 'rebind.test': ['127.0.0.1'], 'mixed.test': ['93.184.215.14', '127.0.0.1'] }),
    });
    expect((await refusal(fetch, `http://rebind.test:${port}/`)).message).toContain(
      'rebind.test resolves to 127.0.0.1, a loopback address',
    );
    expect((await refusal(fetch, `http://mixed.test:${port}/`)).address).toBe('127.0.0.1');
    expect((await refusal(fetch, `http://127.0.0.1:${port}/`)).message).toContain('loopback');
    expect((await refusal(fetch, `http://[::ffff:127.0.0.1]:${port}/`)).message).toContain('loopback');
    expect({ connections, requests }).toEqual(before);
  });

  it('refuses localhost through the system resolver', async () => {
    const before = connections;
    const refused = await refusal(createEgressFetch(new EgressPolicy()), `http://localhost:${port}/`);
    expect(refused.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(connections).toBe(before);
  });

  it('connects where the policy allows: a CIDR, or the exact host and port', async () => {
    const resolve = fakeDns({ 'llm.test': ['127.0.0.1'] });
    const byCidr = createEgressFetch(new EgressPolicy(['127.0.0.1/8']), { resolve });
    expect(await (await byCidr(`http://llm.test:${port}/`)).text()).toBe('reached');
    const byHost = createEgressFetch(new EgressPolicy([`llm.test:${port}`]), { resolve });
    expect(await (await byHost(`http://llm.test:${port}/`)).text()).toBe('reached');
    await refusal(byHost, `http://127.0.0.1:${port}/`);
  });
});
