import { describe, expect, it } from 'vitest';
import { BUILTIN_TOOLS, type CallControls } from '../src/calls/tools/builtin-tools.ts';
import { ToolCallLog } from '../src/calls/tools/tool-call-log.ts';
import { AgentConfigError, type AgentConfigInput, parseAgentConfig } from '../src/config/agent-config.ts';

const BASE: AgentConfigInput = {
  prompt: 'You are a test agent.',
  stt: { provider: 'fake' },
  tts: { provider: 'fake' },
  llm: { provider: 'openai' },
};

/** The issues `parseAgentConfig` gives for `config`, or `[]` when it is valid. */
function issuesOf(config: Record<string, unknown>): readonly string[] {
  try {
    parseAgentConfig({ ...BASE, ...config });
    return [];
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    return error.issues;
  }
}

describe('agent config: transfer destinations', () => {
  it('accepts named E.164 destinations and a caller ID', () => {
    const config = parseAgentConfig({
      ...BASE,
      tools: ['transfer_call'],
      transfer: {
        destinations: [
          { name: 'sales', number: '+15550001111', description: 'buying a plan' },
          { name: 'after-hours_2', number: '+918047491899' },
        ],
        callerId: '+15551230000',
      },
    });
    expect(config.transfer?.destinations.map((d) => d.number)).toEqual(['+15550001111', '+918047491899']);
  });

  it.each([
    ['no plus', '15550001111'],
    ['spaces', '+1 555 000 1111'],
    ['a leading zero country code', '+05550001111'],
    ['more than 15 digits', '+1555000111122223'],
    ['a SIP URI', 'sip:sales@example.com'],
    ['markup', '+1555</Number><Number>+1666'],
  ])('refuses a number with %s', (_, number) => {
    expect(issuesOf({ transfer: { destinations: [{ name: 'sales', number }] } })).toEqual([
      expect.stringMatching(/^transfer\.destinations\.0\.number: an E\.164 number/),
    ]);
  });

  it('refuses a bad caller ID, bad or repeated names, no destinations and unknown keys', () => {
    const one = { name: 'sales', number: '+15550001111' };
    expect(issuesOf({ transfer: { destinations: [one], callerId: '555' } })).toEqual([
      expect.stringMatching(/^transfer\.callerId: an E\.164 number/),
    ]);
    expect(issuesOf({ transfer: { destinations: [{ ...one, name: 'Sales Team' }] } })).toEqual([
      expect.stringMatching(/^transfer\.destinations\.0\.name: lower-case letters/),
    ]);
    expect(issuesOf({ transfer: { destinations: [one, { ...one, number: '+15550002222' }] } })).toEqual([
      'transfer.destinations.1.name: "sales" is used twice',
    ]);
    expect(issuesOf({ transfer: { destinations: [] } })).toHaveLength(1);
    expect(issuesOf({ transfer: { destinations: [{ ...one, dial: '+1666' }] } })).toHaveLength(1);
  });

  it('refuses transfer_call without destinations', () => {
    expect(issuesOf({ tools: ['end_call', 'transfer_call'] })).toEqual([
      'tools.1: transfer_call needs transfer.destinations (the numbers it may dial)',
    ]);
  });
});

describe('the transfer_call tool', () => {
  const config = parseAgentConfig({
    ...BASE,
    tools: ['transfer_call'],
    transfer: { destinations: [{ name: 'sales', number: '+15550001111', description: 'buying a plan' }] },
  });
  const refusing: CallControls = {
    endCall: () => undefined,
    transfer: () => Promise.reject(new Error('must not be called')),
  };

  it('offers the destinations by name only: the numbers are not in what the LLM sees', () => {
    const setup = BUILTIN_TOOLS.get('transfer_call')!.setUp({
      config,
      controls: refusing,
      log: new ToolCallLog(),
    });
    if (typeof setup === 'string') throw new Error(setup);
    expect(setup.definition.parameters).toMatchObject({
      properties: { destination: { type: 'string', enum: ['sales'] } },
      required: ['destination'],
      additionalProperties: false,
    });
    expect(JSON.stringify(setup.definition)).not.toContain('5550001111');
  });

  it('is a set-up problem for an agent without destinations (e.g. named by a flow node)', () => {
    const bare = parseAgentConfig(BASE);
    expect(
      BUILTIN_TOOLS.get('transfer_call')!.setUp({ config: bare, controls: refusing, log: new ToolCallLog() }),
    ).toBe('transfer_call needs transfer.destinations in the agent configuration');
  });
});
