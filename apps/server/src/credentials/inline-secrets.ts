/**
 * Moves secrets that older versions stored in clear (an agent's `llm.apiKey`, the telephony
 * settings' `authToken` / `apiToken`) into the credential store, at start-up: a migration
 * cannot do it, as it has no key. Each is bound to where it was being sent.
 */
import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { PROVIDER_SECRET_FIELDS, PROVIDERS } from '../telephony/settings.ts';
import { OPENAI_DEFAULT_BASE_URL, originOf, VENDOR_DESTINATIONS } from './kinds.ts';
import type { CredentialStore } from './store.ts';

/** Receives one line per secret moved. */
export interface InlineSecretsLogger {
  info(obj: object, msg: string): void;
}

/**
 * Moves every secret still held in clear into a credential (`agent-<id>` for an agent's key,
 * the provider's name for telephony secrets; suffixed `-2`, `-3`… when taken), each row in one
 * transaction. Does nothing when there is none, so it runs at every start.
 * @param openaiBaseUrl - `OPENAI_BASE_URL`, where agents without a base URL sent their key.
 * @returns the names of the credentials created.
 */
export async function moveInlineSecrets(
  db: Kysely<DB>,
  credentials: CredentialStore,
  openaiBaseUrl: string | undefined,
  logger?: InlineSecretsLogger,
): Promise<string[]> {
  const created: string[] = [];
  const agents = await db.selectFrom('agents').select(['id', 'config']).execute();
  for (const agent of agents) {
    const { config } = agent;
    if (!isRecord(config) || !isRecord(config.llm) || typeof config.llm.apiKey !== 'string') continue;
    const { apiKey, ...llm } = config.llm;
    const baseUrl =
      typeof llm.baseUrl === 'string' ? llm.baseUrl : (openaiBaseUrl ?? OPENAI_DEFAULT_BASE_URL);
    await db.transaction().execute(async (trx) => {
      const store = credentials.using(trx);
      const name = await freeName(store, `agent-${agent.id}`);
      await store.create({
        name,
        kind: 'openai',
        value: { apiKey },
        destination: destinationOf(baseUrl, OPENAI_DEFAULT_BASE_URL),
      });
      await trx
        .updateTable('agents')
        .set({ config: JSON.stringify({ ...config, llm: { ...llm, credential: name } }) })
        .where('id', '=', agent.id)
        .execute();
      created.push(name);
      logger?.info(
        { agentId: agent.id, credential: name },
        "moved an agent's API key into the credential store",
      );
    });
  }

  const settings = await db
    .selectFrom('telephony_settings')
    .select('providers')
    .where('id', '=', 1)
    .executeTakeFirst();
  const providers = settings?.providers;
  if (!isRecord(providers)) return created;
  const inline = PROVIDERS.filter((p) => isRecord(providers[p]) && PROVIDER_SECRET_FIELDS[p] in providers[p]);
  if (inline.length === 0) return created;
  await db.transaction().execute(async (trx) => {
    const store = credentials.using(trx);
    const updated: Record<string, unknown> = { ...providers };
    for (const provider of inline) {
      const field = PROVIDER_SECRET_FIELDS[provider];
      const { [field]: secret, ...section } = providers[provider] as Record<string, unknown>;
      if (typeof secret !== 'string' || secret === '') {
        updated[provider] = section;
        continue;
      }
      const name = await freeName(store, provider);
      const baseUrl =
        typeof section.apiBaseUrl === 'string' ? section.apiBaseUrl : VENDOR_DESTINATIONS[provider];
      await store.create({
        name,
        kind: provider,
        value: { [field]: secret },
        destination: destinationOf(baseUrl, VENDOR_DESTINATIONS[provider]),
      });
      updated[provider] = { ...section, credential: name };
      created.push(name);
      logger?.info({ provider, credential: name }, 'moved a telephony secret into the credential store');
    }
    await trx
      .updateTable('telephony_settings')
      .set({ providers: JSON.stringify(updated) })
      .where('id', '=', 1)
      .execute();
  });
  return created;
}

/** `base`, or `base-2`, `base-3`… whichever no credential has. */
async function freeName(store: CredentialStore, base: string): Promise<string> {
  let name = base;
  for (let n = 2; await store.info(name); n++) name = `${base}-${n}`;
  return name;
}

/** The origin of `url`, or of `fallback` when `url` is not an http(s) URL (stored JSON is not trusted). */
function destinationOf(url: string, fallback: string): string {
  try {
    return originOf(url);
  } catch {
    return originOf(fallback);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
