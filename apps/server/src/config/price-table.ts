/**
 * The price table the server estimates call costs with (`PRICES_FILE`): a JSON file shaped as
 * `PriceTable` of `@parley/pipeline`. Parley ships no prices: vendors change them.
 */
import { readFileSync } from 'node:fs';
import type { PriceTable } from '@parley/pipeline';
import { z } from 'zod';

const amount = z.number().min(0);
const byModel = <T extends z.ZodType>(price: T) =>
  z.record(z.string().min(1), z.record(z.string().min(1), price));

/** The zod schema of a price table (prices by provider, then model; `'*'` for a provider's other models). */
export const priceTableSchema = z.strictObject({
  currency: z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as USD'),
  stt: byModel(z.strictObject({ perMinute: amount })).optional(),
  llm: byModel(z.strictObject({ perMillionInputTokens: amount, perMillionOutputTokens: amount })).optional(),
  tts: byModel(z.strictObject({ perMillionCharacters: amount })).optional(),
}) satisfies z.ZodType<PriceTable>;

/**
 * Reads and validates the price table at `file`.
 * @throws Error naming the file and each problem (unreadable, not JSON, wrong shape).
 */
export function loadPriceTable(file: string): PriceTable {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`PRICES_FILE ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = priceTableSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new Error(`PRICES_FILE ${file}: ${issues.join('; ')}`);
  }
  return parsed.data;
}
