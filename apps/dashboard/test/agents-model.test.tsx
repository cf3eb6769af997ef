import { describe, expect, it } from 'vitest';
import type { AgentConfig } from '../src/pages/agents/agent-api.ts';
import {
  fieldOfIssue,
  formFieldNames,
  toAgentBody,
  toFormValues,
} from '../src/pages/agents/agent-form-model.ts';
import { SUPPORT, VENDORS } from './agents-fixtures.tsx';

describe('the agent form model', () => {
  it('sends back what it was given, settings it does not edit included', () => {
    const config = {
      ...SUPPORT.config,
      greeting: 'Hello',
      turns: { interruptions: false, backchannels: ['mhm'] },
      failover: { llm: [{ provider: 'openai', model: 'gpt-4o' }] },
      variables: [{ name: 'customer', type: 'number', required: true, default: 3 }],
      preCall: { url: 'https://crm.example.com/{{from}}' },
      futureSetting: { kept: true },
    } as unknown as AgentConfig;
    const values = toFormValues({ ...SUPPORT, config }, VENDORS);
    expect(values.variables[0]?.default).toBe('3');
    expect(toAgentBody(values, config)).toEqual({ name: 'Support line', config });
  });

  it('leaves out settings left empty', () => {
    const values = toFormValues(undefined, VENDORS);
    const body = toAgentBody({ ...values, name: ' New ', prompt: 'Hi', vad: { confidence: undefined } });
    expect(body).toEqual({
      name: 'New',
      config: {
        prompt: 'Hi',
        language: 'en-US',
        stt: { provider: 'local' },
        llm: { provider: 'openai' },
        tts: { provider: 'local' },
      },
    });
  });

  it('places an issue of the API at the closest field the form has', () => {
    const values = toFormValues(
      { ...SUPPORT, config: { ...SUPPORT.config, stt: { provider: 'deepgram' } } },
      VENDORS,
    );
    const fields = formFieldNames(values, VENDORS);
    expect(fieldOfIssue('stt.endpointingMs', fields)).toBe('stt.endpointingMs');
    expect(fieldOfIssue('llm.credential', fields)).toBe('llm.credential');
    expect(fieldOfIssue('preCall.headers.x-token.credential', fields)).toBe('preCall');
    expect(fieldOfIssue('turns.backchannels.2', fields)).toBe('turns.backchannels');
    // Local speech synthesis takes no credential: nowhere to show it but above the form.
    expect(fieldOfIssue('tts.credential', fields)).toBe('');
    expect(fieldOfIssue('(root)', fields)).toBe('');
  });
});
