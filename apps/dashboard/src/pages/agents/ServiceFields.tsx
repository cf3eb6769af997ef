/**
 * One service of an agent (speech recognition, language model or speech synthesis): its
 * provider, then the fields that provider takes, from `GET /api/vendors`. Switching provider
 * clears the previous one's options (the server refuses options a vendor does not have).
 */
import type { ReactNode } from 'react';
import { useFormContext, useWatch } from 'react-hook-form';
import { type JsonSchema, type ServiceKind, useCredentials, type Vendor } from './agent-api.ts';
import { BooleanField, ChoiceField, LinesField, NumberField, TextField } from './fields.tsx';
import { optionLabel } from './vendor-options.ts';

/** What each kind is called. */
export const KIND_LABELS: Readonly<Record<ServiceKind, string>> = {
  stt: 'Speech recognition',
  llm: 'Language model',
  tts: 'Speech synthesis',
};

interface ServiceFieldsProps {
  readonly kind: ServiceKind;
  /** Where the service is in the form, e.g. `llm` or `failover.llm.0`. */
  readonly base: string;
  readonly vendors: readonly Vendor[];
  /** The fieldset's legend. */
  readonly legend: string;
  /** Shown beside the legend (e.g. a "Remove" button for a failover service). */
  readonly actions?: ReactNode;
}

/** The fields of one service, in a fieldset named `legend`. */
export function ServiceFields({ kind, base, vendors, legend, actions }: ServiceFieldsProps) {
  const { resetField } = useFormContext();
  const provider = useWatch({ name: `${base}.provider` }) as string | undefined;
  const vendor = vendors.find((v) => v.provider === provider);
  const credentials = useCredentials().data ?? [];
  const choices = vendors.map((v) => ({ value: v.provider, label: `${v.label} (${v.provider})` }));
  if (provider && vendor === undefined) {
    choices.push({ value: provider, label: `${provider} (not offered by this server)` });
  }
  return (
    <fieldset className="service">
      <legend>{legend}</legend>
      {actions}
      <ChoiceField
        name={`${base}.provider`}
        label={`${KIND_LABELS[kind]} provider`}
        choices={choices}
        onChosen={(next) =>
          // Also the defaults: a field of the new provider with the same name as one of the old
          // (e.g. `voice`) would otherwise start from the old provider's stored value.
          resetField(base, { defaultValue: { provider: next } })
        }
      />
      <div className="options">
        {vendor?.access && (
          <>
            <TextField
              name={`${base}.credential`}
              label="Credential"
              suggestions={credentials.filter((c) => c.kind === vendor.credentialKind).map((c) => c.name)}
              hint={`Name of a stored ${vendor.credentialKind ?? ''} credential; empty: the server's key${
                vendor.keyRequired ? ' (this vendor needs one)' : ''
              }`}
            />
            <TextField
              name={`${base}.baseUrl`}
              label="Base URL"
              placeholder={vendor.defaultBaseUrl}
              hint="Empty: the server's, else the vendor's"
            />
          </>
        )}
        {vendor?.responseTimeout && (
          <NumberField
            name={`${base}.responseTimeoutSecs`}
            label="Response timeout (s)"
            placeholder="5"
            hint="Longest wait for an answer's first piece; then the caller hears an apology"
          />
        )}
        {vendor && <OptionFields base={base} schema={vendor.options} />}
      </div>
    </fieldset>
  );
}

/** A field per option of `schema` (nested objects as their own fieldset). */
function OptionFields({ base, schema }: { base: string; schema: JsonSchema }) {
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) return <p className="muted">This provider has no options.</p>;
  return entries.map(([key, option]) => (
    <OptionField key={key} name={`${base}.${key}`} label={optionLabel(key)} schema={option} />
  ));
}

function range(schema: JsonSchema): string | undefined {
  const { minimum: min, maximum: max } = schema;
  if (min !== undefined && max !== undefined) return `${min}–${max}`;
  if (min !== undefined) return `at least ${min}`;
  if (max !== undefined) return `at most ${max}`;
  return undefined;
}

function OptionField({ name, label, schema }: { name: string; label: string; schema: JsonSchema }) {
  const fallback = schema.default === undefined ? undefined : String(schema.default);
  const hint = [schema.description, fallback === undefined ? undefined : `Default: ${fallback}`]
    .filter((x) => x !== undefined)
    .join('. ');
  if (schema.enum !== undefined) {
    return (
      <ChoiceField
        name={name}
        label={label}
        defaultText={fallback === undefined ? 'Default' : `Default (${fallback})`}
        choices={schema.enum.map((v) => ({ value: String(v), label: String(v) }))}
      />
    );
  }
  switch (schema.type) {
    case 'boolean':
      return <BooleanField name={name} label={label} defaultText={fallback} />;
    case 'number':
    case 'integer':
      return (
        <NumberField
          name={name}
          label={label}
          placeholder={fallback}
          hint={[range(schema), hint].filter(Boolean).join('. ') || undefined}
        />
      );
    case 'array':
      return <LinesField name={name} label={label} hint={`One per line${hint ? `. ${hint}` : ''}`} />;
    case 'object':
      return (
        <fieldset className="option-group">
          <legend>{label}</legend>
          <div className="options">
            <OptionFields base={name} schema={schema} />
          </div>
        </fieldset>
      );
    default:
      return <TextField name={name} label={label} placeholder={fallback} hint={hint || undefined} />;
  }
}
