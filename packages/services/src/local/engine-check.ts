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
  /** For pocketsphinx: the absolute path of the `pocketsphinx_continuous` binary found. */
  readonly command?: string;
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
 * Check whether the offline engines work on this machine: {@link checkLocalStt} and
 * {@link checkLocalTts}. Never throws: a failure is reported as `{ ok: false, reason }`, where
 * `reason` names the fix (e.g. `apt-get install pocketsphinx pocketsphinx-en-us`).
 */
export async function checkLocalEngines(): Promise<LocalEnginesStatus> {
  const [stt, tts] = await Promise.all([checkLocalStt(), checkLocalTts()]);
  return { stt, tts };
}

/**
 * Whether pocketsphinx's files are present (nothing is spawned; a few file checks, well under
 * a millisecond, so it can run before every call). Never throws.
 * @param command The binary's name on `PATH` or its path. Default `pocketsphinx_continuous`.
 * @returns `command`: the binary's path when found.
 */
export async function checkLocalStt(command?: string): Promise<EngineCheck> {
  try {
    const found = await assertPocketsphinxInstalled(command ? { command } : {});
    return { ok: true, command: found };
  } catch (e) {
    return failed(e);
  }
}

/**
 * Whether Flite really synthesizes a word in its worker pool (about 100–200 ms the first time;
 * it also warms the pool). Never throws.
 */
export async function checkLocalTts(): Promise<EngineCheck> {
  try {
    const { pcm } = await sharedFlitePool().synthesize('ok', 'kal', AbortSignal.timeout(15_000));
    if (pcm.length === 0) throw new Error('Flite produced no audio');
    return { ok: true };
  } catch (e) {
    return failed(e);
  }
}

function failed(e: unknown): EngineCheck {
  return { ok: false, reason: e instanceof Error ? e.message : String(e) };
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
