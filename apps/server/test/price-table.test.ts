import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../src/config/server-config.ts';

function pricesFile(content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'parley-prices-')), 'prices.json');
  writeFileSync(file, content);
  return file;
}

describe('PRICES_FILE', () => {
  it('loads a price table', () => {
    const file = pricesFile(
      JSON.stringify({ currency: 'EUR', stt: { deepgram: { '*': { perMinute: 0.01 } } } }),
    );
    expect(loadServerConfig({ PRICES_FILE: file }).prices).toEqual({
      currency: 'EUR',
      stt: { deepgram: { '*': { perMinute: 0.01 } } },
    });
  });

  it('refuses a malformed one at start, naming the file and the problem', () => {
    const file = pricesFile(
      JSON.stringify({ currency: 'dollars', tts: { cartesia: { '*': { perMinute: 1 } } } }),
    );
    expect(() => loadServerConfig({ PRICES_FILE: file })).toThrow(
      /PRICES_FILE .*prices\.json: currency: an ISO 4217 code such as USD; tts\.cartesia\.\*\.perMillionCharacters: .*; tts\.cartesia\.\*: Unrecognized key: "perMinute"/,
    );
    expect(() => loadServerConfig({ PRICES_FILE: pricesFile('{ nope') })).toThrow(/PRICES_FILE .*JSON/);
  });

  it('is optional', () => {
    expect(loadServerConfig({}).prices).toBeUndefined();
  });
});
