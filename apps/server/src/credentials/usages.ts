/**
 * Who refers to a credential: agents (`config.llm.credential`) and the telephony settings
 * (`providers.<provider>.credential`). A new kind of user (tools, vendor services) adds its
 * references here, so that a credential in use cannot be deleted.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';

/** Each user of credential `name`, as words (`agent demo`, `telephony settings (twilio)`), agents first. */
export async function credentialUsages(db: Kysely<DB>, name: string): Promise<string[]> {
  const usages: string[] = [];
  const agents = await db.selectFrom('agents').select(['id', 'config']).orderBy('id').execute();
  for (const agent of agents) {
    if (field(field(agent.config, 'llm'), 'credential') === name) usages.push(`agent ${agent.id}`);
  }
  const settings = await db.selectFrom('telephony_settings').select('providers').executeTakeFirst();
  if (isRecord(settings?.providers)) {
    for (const [provider, section] of Object.entries(settings.providers)) {
      if (field(section, 'credential') === name) usages.push(`telephony settings (${provider})`);
    }
  }
  return usages;
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
