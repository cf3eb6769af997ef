/**
 * The agent form's "Call transfer" settings: the destinations the built-in `transfer_call` may
 * dial (name, number, description; added and removed as rows) and the caller ID they see.
 */
import { useFieldArray, useWatch } from 'react-hook-form';
import type { AgentFormValues } from './agent-form-model.ts';
import { RequiredTextField, TextField } from './fields.tsx';
import { MAX_DESTINATIONS, TRANSFER_TOOL } from './transfer-form-model.ts';

/** The destinations and caller ID of `transfer`; without `canEdit`, no add or remove buttons. */
export function TransferFields({ canEdit }: { canEdit: boolean }) {
  const { fields, append, remove } = useFieldArray<AgentFormValues, 'transfer.destinations'>({
    name: 'transfer.destinations',
  });
  const tools = useWatch<AgentFormValues, 'tools'>({ name: 'tools' });
  const chosen = tools?.includes(TRANSFER_TOOL) === true;
  return (
    <div>
      <p className="muted">
        The numbers <code>{TRANSFER_TOOL}</code> may dial, each under a name the agent picks it by (e.g.{' '}
        <code>sales</code>). Numbers are E.164: "+", country code and number, digits only (e.g. +14155550100).
        The caller never chooses the number.
      </p>
      {fields.length === 0 && (
        <p className="muted">
          No destinations
          {chosen ? `; ${TRANSFER_TOOL} is chosen under Tools and needs at least one.` : '.'}
        </p>
      )}
      {fields.map((field, i) => (
        <fieldset key={field.id} className="destination">
          <legend>Destination {i + 1}</legend>
          <div className="grid-3">
            <RequiredTextField name={`transfer.destinations.${i}.name`} label="Name" />
            <RequiredTextField name={`transfer.destinations.${i}.number`} label="Phone number" />
            <RequiredTextField
              name={`transfer.destinations.${i}.description`}
              label="Description"
              hint="When to transfer there, for the agent"
            />
          </div>
          {canEdit && (
            <button type="button" className="danger small" onClick={() => remove(i)}>
              Remove destination {i + 1}
            </button>
          )}
        </fieldset>
      ))}
      {canEdit && fields.length < MAX_DESTINATIONS && (
        <button type="button" onClick={() => append({ name: '', number: '', description: '' })}>
          Add destination
        </button>
      )}
      <div className="grid-3">
        <TextField
          name="transfer.callerId"
          label="Caller ID"
          hint="E.164, a number of yours at the telephony provider; empty: the provider's default"
        />
      </div>
    </div>
  );
}
