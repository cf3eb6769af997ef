import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { LocalEngineUnavailableError } from '../errors.ts';
import { sharedFlitePool } from './flite-pool.ts';
import { DEBIAN_MODEL_DIR, POCKETSPHINX_FIX, soundswallowerModelDir } from './pocketsphinx-model.ts';

/** Whether one local engine can run here; `reason` says what is missing and how to fix it. */
export interface EngineCheck {
  readonly ok: boolean;
  readonly reason?: string;
}

/** Result of {@link checkLocalEngines}. */
export interface LocalEnginesStatus {
  /** pocketsphinx speech recognition ({@link LocalSTTService}). */
  readonly stt: EngineCheck;
  /** Flite speech synthesis ({@link LocalTTSService}). */
  readonly tts: EngineCheck;
}

/**
 * Absolute path of executable `name` on `PATH`, or `undefined`.
 */
export async function findExecutable(
  name: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string | undefined> {
  if (name.includes('/')) return (await canRun(name)) ? name : undefined;
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    if (await canRun(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Check the files pocketsphinx needs: the `pocketsphinx_continuous` binary on `PATH`, Debian's
 * `en-us.lm.bin` and `cmudict-en-us.dict`, and the `soundswallower` package's 8 kHz model.
 * @throws LocalEngineUnavailableError naming the first thing missing and its fix
 */
export async function assertPocketsphinxInstalled(
  paths: { command?: string; languageModelPath?: string; dictionaryPath?: string } = {},
): Promise<string> {
  const command = paths.command ?? 'pocketsphinx_continuous';
  const binary = await findExecutable(command);
  if (!binary) {
    throw new LocalEngineUnavailableError(
      'stt',
      `${command} is not installed (not found on PATH)`,
      POCKETSPHINX_FIX,
    );
  }
  for (const file of [
    paths.languageModelPath ?? path.join(DEBIAN_MODEL_DIR, 'en-us.lm.bin'),
    paths.dictionaryPath ?? path.join(DEBIAN_MODEL_DIR, 'cmudict-en-us.dict'),
  ]) {
    if (!(await readable(file))) {
      throw new LocalEngineUnavailableError(
        'stt',
        `The pocketsphinx English model file ${file} is missing`,
        POCKETSPHINX_FIX,
      );
    }
  }
  const model = soundswallowerModelDir();
  if (!(await readable(path.join(model, 'mdef')))) {
    throw new LocalEngineUnavailableError(
      'stt',
      `The 8 kHz speech model is missing from ${model}`,
      'npm install soundswallower@0.6.3',
    );
  }
  return binary;
}

/**
 * Check, once at start-up, whether the offline engines work on this machine: pocketsphinx's
 * files are present (nothing is spawned), and Flite really synthesizes a word in its worker
 * pool (about 100–200 ms the first time; it also warms the pool). Never throws: a failure is
 * reported as `{ ok: false, reason }`, where `reason` names the fix (e.g.
 * `apt-get install pocketsphinx pocketsphinx-en-us`).
 */
export async function checkLocalEngines(): Promise<LocalEnginesStatus> {
  const [stt, tts] = await Promise.all([
    check(() => assertPocketsphinxInstalled()),
    check(async () => {
      const timeout = AbortSignal.timeout(15_000);
      const { pcm } = await sharedFlitePool().synthesize('ok', 'kal', timeout);
      if (pcm.length === 0) throw new Error('Flite produced no audio');
    }),
  ]);
  return { stt, tts };
}

async function check(probe: () => Promise<unknown>): Promise<EngineCheck> {
  try {
    await probe();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}

async function canRun(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function readable(file: string): Promise<boolean> {
  try {
    await access(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
