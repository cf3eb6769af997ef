/**
 * Checks made when tools and agents are written, against the store and the egress rules: the
 * readable refusal at write time, before a call finds out (the same rules apply again when
 * requests are made).
 */
import type { AgentConfig } from '../../config/agent-config.ts';
import { CredentialError } from '../../credentials/errors.ts';
import type { CredentialStore } from '../../credentials/store.ts';
import type { ToolRepository } from '../../db/tools.ts';
import type { EgressPolicy } from '../../security/egress.ts';
import { BUILTIN_TOOLS } from './builtin-tools.ts';
import type { ToolHeaders } from './tool-schema.ts';
import { templateOrigin } from './url-template.ts';

/** What the checks read. */
export interface ToolWriteDeps {
  readonly credentials: Pick<CredentialStore, 'expectUsable'>;
  readonly egress: EgressPolicy;
}

/**
 * Problems of a tool's URL (`url`, a checked template) and headers: a URL at an address the
 * egress rules refuse, a header credential that is missing, not `generic` or bound to another
 * origin.
 * @returns one `path: problem` line each; empty when all is well.
 */
export async function targetIssues(
  deps: ToolWriteDeps,
  url: string,
  headers: ToolHeaders | undefined,
  path = '',
): Promise<string[]> {
  const issues: string[] = [];
  const origin = templateOrigin(url);
  const refusal = deps.egress.refusalForUrl(origin);
  if (refusal !== undefined) {
    issues.push(`${path}url: ${refusal}; Parley does not send requests there unless EGRESS_ALLOW allows it`);
  }
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value === 'string') continue;
    try {
      await deps.credentials.expectUsable(value.credential, 'generic', origin, `${path}headers.${name}`);
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      issues.push(error.message);
    }
  }
  return issues;
}

/**
 * Problems of an agent's `tools` and `mcpServers`: ids that are neither built-in nor stored,
 * MCP servers with the same name, and {@link targetIssues} of each MCP server.
 */
export async function agentToolIssues(
  deps: ToolWriteDeps & { readonly tools: Pick<ToolRepository, 'getMany'> },
  config: AgentConfig,
): Promise<string[]> {
  const issues: string[] = [];
  const ids = config.tools ?? [];
  const stored = new Set(
    (await deps.tools.getMany(ids.filter((id) => !BUILTIN_TOOLS.has(id)))).map((t) => t.id),
  );
  ids.forEach((id, i) => {
    if (!BUILTIN_TOOLS.has(id) && !stored.has(id)) {
      const builtins = [...BUILTIN_TOOLS.keys()].join(', ');
      issues.push(
        `tools.${i}: no tool "${id}" (create it with PUT /api/tools/${id}, or use a built-in: ${builtins})`,
      );
    }
  });
  const names = new Set<string>();
  for (const [i, server] of (config.mcpServers ?? []).entries()) {
    if (names.has(server.name)) issues.push(`mcpServers.${i}.name: "${server.name}" is used twice`);
    names.add(server.name);
    issues.push(...(await targetIssues(deps, server.url, server.headers, `mcpServers.${i}.`)));
  }
  return issues;
}

/**
 * Problems of the credentials an agent's requests around the call name: the `preCall` headers'
 * (`preCall.headers.<name>`) and the end-of-call webhook's signing secret
 * (`postCall.webhook.secretCredential`): missing, not `generic`, or bound to another origin than
 * the request's URL. A part whose URL is not valid (or is refused) is left out: its URL issue says enough.
 * @param parts which of the two to check.
 * @returns one `path: problem` line each; empty when all is well.
 */
export async function aroundCallSecretIssues(
  deps: Pick<ToolWriteDeps, 'credentials'>,
  config: AgentConfig,
  parts: { readonly preCall: boolean; readonly webhook: boolean },
): Promise<string[]> {
  const checks: Array<{ credential: string; url: string; path: string }> = [];
  if (parts.preCall && config.preCall) {
    for (const [name, value] of Object.entries(config.preCall.headers ?? {})) {
      if (typeof value !== 'string')
        checks.push({
          credential: value.credential,
          url: config.preCall.url,
          path: `preCall.headers.${name}`,
        });
    }
  }
  const webhook = config.postCall?.webhook;
  if (parts.webhook && webhook) {
    checks.push({
      credential: webhook.secretCredential,
      url: webhook.url,
      path: 'postCall.webhook.secretCredential',
    });
  }
  const issues: string[] = [];
  for (const { credential, url, path } of checks) {
    let origin: string;
    try {
      origin = templateOrigin(url);
    } catch {
      continue;
    }
    try {
      await deps.credentials.expectUsable(credential, 'generic', origin, path);
    } catch (error) {
      if (!(error instanceof CredentialError)) throw error;
      issues.push(error.message);
    }
  }
  return issues;
}
