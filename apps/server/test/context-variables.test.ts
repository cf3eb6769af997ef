import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../src/calls/template.ts';
import { type ContextVariable, templateVariables } from '../src/context/variables.ts';

const VARIABLES: ContextVariable[] = [
  { name: 'name', type: 'string', required: true, default: 'friend' },
  { name: 'party_size', type: 'number', default: 2 },
  { name: 'vip', type: 'boolean' },
  { name: 'order_id', type: 'string', required: true },
];

describe('template variables', () => {
  it('takes the call’s value, else the default, else a marker naming the missing variable', () => {
    expect(templateVariables(VARIABLES, { name: 'Ada', vip: false })).toEqual({
      name: 'Ada',
      party_size: '2',
      vip: 'false',
      order_id: '[order_id unknown]',
    });
    // A null value is no value.
    expect(templateVariables(VARIABLES, { vip: null })).toMatchObject({ vip: '[vip unknown]' });
  });

  it('never renders a declared variable as an empty gap', () => {
    const vars = templateVariables(VARIABLES, {});
    expect(renderTemplate('Hello {{name}}, a table for {{party_size}} (VIP: {{ vip }}).', vars)).toBe(
      'Hello friend, a table for 2 (VIP: [vip unknown]).',
    );
    expect(renderTemplate('/orders/{{order_id}}', vars)).toBe('/orders/[order_id unknown]');
  });

  it('passes undeclared context through, and without a schema renders only what the call gives', () => {
    expect(templateVariables(undefined, { name: 'Ada', seats: 4 })).toEqual({ name: 'Ada', seats: '4' });
    expect(templateVariables(VARIABLES, { extra: 'x' })).toMatchObject({ extra: 'x' });
  });
});
