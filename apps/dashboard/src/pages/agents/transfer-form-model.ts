/**
 * The agent form's call transfer settings (`config.transfer`): the destinations the built-in
 * `transfer_call` may dial and the caller ID they see. The rules are the server's
 * (`apps/server/src/calls/tools/transfer-config.ts`), so that mistakes show before a request.
 */
import { z } from 'zod';

/** The built-in tool that needs {@link TransferValues.destinations}. */
export const TRANSFER_TOOL = 'transfer_call';

/** The most destinations an agent may have. */
export const MAX_DESTINATIONS = 20;

/**
 * One destination in the form; `description` is `''` when left empty (an `undefined` in a row
 * would show the default of the row that was at its index before a removal).
 */
export interface DestinationValues {
  name: string;
  number: string;
  description: string;
}

/** `config.transfer` in the form: no destinations means no transfer settings. */
export interface TransferValues {
  destinations: DestinationValues[];
  callerId?: string | undefined;
}

/** E.164 as the server checks it: `+`, a country code not starting with 0, 2 to 15 digits in all. */
const e164 = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'An E.164 number: "+", country code and number, digits only (+14155550100)');

/** The zod schema of {@link TransferValues} (names used twice are checked by {@link transferProblems}). */
export const transferSchema = z.object({
  destinations: z
    .array(
      z.object({
        name: z
          .string()
          .regex(
            /^[a-z0-9][a-z0-9_-]{0,39}$/,
            'Lower-case letters, digits, "_" and "-" (at most 40), e.g. sales',
          ),
        number: e164,
        description: z.string().trim().max(200, 'At most 200 characters'),
      }),
    )
    .max(MAX_DESTINATIONS, `At most ${MAX_DESTINATIONS} destinations`),
  callerId: e164.optional(),
});

/**
 * What the server would refuse across fields, as `[path in the form values, message]`: a
 * destination name used twice, `transfer_call` listed without destinations, a caller ID without
 * destinations.
 */
export function transferProblems(
  transfer: TransferValues,
  tools: readonly string[],
): [(string | number)[], string][] {
  const out: [(string | number)[], string][] = [];
  const names = transfer.destinations.map((d) => d.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) out.push([['transfer', 'destinations', i, 'name'], 'Used twice']);
  });
  if (transfer.destinations.length === 0) {
    if (tools.includes(TRANSFER_TOOL)) {
      out.push([['tools'], `${TRANSFER_TOOL} needs a destination: add one under Call transfer`]);
    }
    if (transfer.callerId !== undefined) {
      out.push([['transfer', 'callerId'], 'Only used with destinations: add one, or clear this']);
    }
  }
  return out;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The form's values for a stored `config.transfer` (anything else: none). */
export function toTransferValues(stored: unknown): TransferValues {
  const transfer = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  const destinations = Array.isArray(transfer.destinations)
    ? (transfer.destinations as Record<string, unknown>[])
    : [];
  return {
    destinations: destinations.map((d) => ({
      name: text(d.name) ?? '',
      number: text(d.number) ?? '',
      description: text(d.description) ?? '',
    })),
    callerId: text(transfer.callerId),
  };
}

/** The API's `config.transfer` for valid values, or `undefined` when there are no destinations. */
export function toTransferConfig(values: TransferValues): Record<string, unknown> | undefined {
  if (values.destinations.length === 0) return undefined;
  return {
    destinations: values.destinations.map((d) => {
      const description = d.description.trim();
      return { name: d.name, number: d.number, ...(description === '' ? {} : { description }) };
    }),
    ...(values.callerId === undefined ? {} : { callerId: values.callerId }),
  };
}

/** The form fields an API issue about `config.transfer` can be shown at. */
export function transferFieldNames(values: TransferValues): string[] {
  return [
    'transfer.callerId',
    ...values.destinations.flatMap((_, i) =>
      ['name', 'number', 'description'].map((k) => `transfer.destinations.${i}.${k}`),
    ),
  ];
}
