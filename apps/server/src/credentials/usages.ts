/**
 * Who refers to a credential: agents (`config.<service>.credential`, failover entries included,
 * and their MCP servers' headers), webhook tools (their headers) and the telephony settings
 * (`providers.<provider>.credential`). A new kind of user (tools, vendor services) adds its
 * references here, so that a credential in use cannot be deleted.
 */
import type { Kysely } from 'kysely';
import { isRecord, rawServiceSlots } from '../config/service-slots.ts';
import type { DB } from '../db/schema.ts';

/**
 * The users of every credential referred to, by name; each user as words (`agent demo`,
 * `telephony settings (twilio)`), agents first.
 */
export async function credentialUsages(db: Kysely<DB>): Promise<Map<string, string[]>> {
  const usages = new Map<string, string[]>();
  const add = (name: unknown, user: string) => {
    if (typeof name === 'string') usages.set(name, [...(usages.get(name) ?? []), user]);
  };
  const agents = await db.selectFrom('agents').select(['id', 'config']).orderBy('id').execute();
  for (const agent of agents) {
    for (const slot of rawServiceSlots(agent.config))
      add(slot.service.credential, `agent ${agent.id} (${slot.path})`);
    const servers = field(agent.config, 'mcpServers');
    for (const server of Array.isArray(servers) ? servers : []) {
      for (const name of headerCredentials(field(server, 'headers'))) {
        add(name, `agent ${agent.id} (MCP server ${String(field(server, 'name'))})`);
      }
    }
    // Secrets of the pre-call request's headers and of the end-of-call webhook.
    const headers = field(field(agent.config, 'preCall'), 'headers');
    if (isRecord(headers)) {
      for (const [name, header] of Object.entries(headers))
        add(field(header, 'credential'), `agent ${agent.id} (preCall.headers.${name})`);
    }
    add(
      field(field(field(agent.config, 'postCall'), 'webhook'), 'secretCredential'),
      `agent ${agent.id} (postCall.webhook)`,
    );
  }
  const tools = await db.selectFrom('tools').select(['id', 'definition']).orderBy('id').execute();
  for (const tool of tools) {
    for (const name of headerCredentials(field(tool.definition, 'headers'))) add(name, `tool ${tool.id}`);
  }
  const settings = await db.selectFrom('telephony_settings').select('providers').executeTakeFirst();
  if (isRecord(settings?.providers)) {
    for (const [provider, section] of Object.entries(settings.providers)) {
      add(field(section, 'credential'), `telephony settings (${provider})`);
    }
  }
  return usages;
}

/** The credentials named by headers (`{ Name: { credential, field } }`). */
function headerCredentials(headers: unknown): unknown[] {
  return isRecord(headers) ? Object.values(headers).map((value) => field(value, 'credential')) : [];
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}
