import { zodResolver } from '@hookform/resolvers/zod';
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { z } from 'zod';
import { api } from '../../api/client.ts';
import { Field } from '../../ui/Field.tsx';
import { type CallFilters, NO_FILTERS } from './filters.ts';
import { humanize } from './format.ts';
import { CALL_DIRECTIONS, CALL_STATUSES } from './types.ts';

const schema = z
  .object({
    agent: z.string(),
    status: z.enum(['', ...CALL_STATUSES]),
    direction: z.enum(['', ...CALL_DIRECTIONS]),
    from: z.string(),
    to: z.string(),
    number: z
      .string()
      .trim()
      .regex(/^([\w+.@:-]{1,64}\*?)?$/, 'Enter a number (digits, +), or its beginning followed by *'),
  })
  .refine((f) => f.from === '' || f.to === '' || f.from <= f.to, {
    path: ['to'],
    message: 'The last day must not be before the first',
  });

/** The calls list's filter form: submitting hands the filters on (the page puts them in the URL). */
export function CallFiltersForm({
  value,
  onApply,
}: {
  value: CallFilters;
  onApply: (filters: CallFilters) => void;
}) {
  const agents = useQuery({
    queryKey: ['agents'],
    queryFn: () => api<{ agents: { id: string; name: string }[] }>('GET', '/api/agents'),
  });
  const { register, handleSubmit, reset, formState } = useForm<CallFilters>({
    resolver: zodResolver(schema),
    defaultValues: value,
  });
  // The URL is the truth: back/forward or a link changes the filters shown.
  useEffect(() => reset(value), [value, reset]);
  const errors = formState.errors;
  return (
    <form className="call-filters" aria-label="Filter calls" onSubmit={handleSubmit(onApply)}>
      <Field label="Agent">
        <select {...register('agent')}>
          <option value="">Any agent</option>
          {(agents.data?.agents ?? []).map((a) => (
            <option key={a.id} value={a.id}>
              {a.name === a.id ? a.id : `${a.name} (${a.id})`}
            </option>
          ))}
          {value.agent !== '' && agents.data?.agents.every((a) => a.id !== value.agent) && (
            <option value={value.agent}>{value.agent}</option>
          )}
        </select>
      </Field>
      <Field label="Status">
        <select {...register('status')}>
          <option value="">Any status</option>
          {CALL_STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Direction">
        <select {...register('direction')}>
          <option value="">Both directions</option>
          {CALL_DIRECTIONS.map((d) => (
            <option key={d} value={d}>
              {d}
            </option>
          ))}
        </select>
      </Field>
      <Field label="From day">
        <input type="date" {...register('from')} />
      </Field>
      <Field label="To day" error={errors.to?.message}>
        <input type="date" {...register('to')} />
      </Field>
      <Field
        label="Phone number"
        hint="Caller or callee; end with * for a prefix"
        error={errors.number?.message}
      >
        <input type="search" placeholder="+15551234567" {...register('number')} />
      </Field>
      <div className="call-filters-actions">
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => onApply(NO_FILTERS)}>
          Clear
        </button>
      </div>
    </form>
  );
}
