/** The services README documents every vendor an agent can choose, and its example agent is valid. */
import { readFileSync } from 'node:fs';
import { VENDORS } from '@parley/services';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../src/config/agent-config.ts';

const readme = readFileSync(new URL('../../../packages/services/README.md', import.meta.url), 'utf8');
const section = readme.slice(
  readme.indexOf('## Vendors in agent configurations'),
  readme.indexOf('## Example'),
);

describe('packages/services/README.md', () => {
  it('lists every vendor of the registry with its options, key variable and base-URL variable', () => {
    for (const kind of ['stt', 'llm', 'tts'] as const) {
      for (const vendor of VENDORS[kind]) {
        const row = section.split('\n').find((line) => {
          const cells = line.split('|').map((cell) => cell.trim());
          return cells[1] === kind && cells[2] === `\`${vendor.provider}\``;
        });
        expect(row, `${kind} ${vendor.provider}`).toBeDefined();
        for (const option of Object.keys(vendor.options)) expect(row).toContain(`\`${option}\``);
        if (vendor.key) expect(row).toContain(`\`${vendor.key.variable}\``);
        if (vendor.baseUrlVariable) expect(row).toContain(`\`${vendor.baseUrlVariable}\``);
      }
    }
  });

  it('shows an example agent the server accepts', () => {
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(json).toBeDefined();
    const config = parseAgentConfig(JSON.parse(json!));
    expect(config.failover?.tts?.[0]?.provider).toBe('elevenlabs');
  });
});
