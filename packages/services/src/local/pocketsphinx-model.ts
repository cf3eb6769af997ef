import { constants } from 'node:fs';
import { access, copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LocalEngineUnavailableError } from '../errors.ts';

/** Where Debian's `pocketsphinx-en-us` package puts the US English model, LM and dictionary. */
export const DEBIAN_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';

/** The apt command that installs the pocketsphinx binary and its English model. */
export const POCKETSPHINX_FIX = 'apt-get install pocketsphinx pocketsphinx-en-us';

/** Files of the 8 kHz acoustic model, as pocketsphinx's `-hmm` directory expects them. */
const MODEL_FILES = [
  'mdef',
  'means',
  'variances',
  'sendump',
  'transition_matrices',
  'noisedict',
  'feat.params',
];

/**
 * Front-end parameters of `cmusphinx-en-us-ptm-8khz-5.2` (filterbank 130–3700 Hz), written as
 * `feat.params` (the recipe in the project's embedded-stack notes, section 1). The filterbank
 * stops at 3.7 kHz, so the same model also accepts 16 kHz audio.
 */
const FEAT_PARAMS = [
  '-lowerf 130',
  '-upperf 3700',
  '-nfilt 20',
  '-transform dct',
  '-lifter 22',
  '-feat 1s_c_d_dd',
  '-svspec 0-12/13-25/26-38',
  '-agc none',
  '-cmn batch',
  '-varnorm no',
  '-model ptm',
  '',
].join('\n');

/**
 * Directory of the `soundswallower` npm package's 8 kHz English model (`model/en-us`).
 * @throws LocalEngineUnavailableError when the package is not installed
 */
export function soundswallowerModelDir(): string {
  try {
    const entry = createRequire(import.meta.url).resolve('soundswallower');
    return path.join(path.dirname(entry), 'model', 'en-us');
  } catch (e) {
    throw new LocalEngineUnavailableError(
      'stt',
      'The 8 kHz speech model (npm package soundswallower) is not installed',
      'npm install soundswallower@0.6.3',
      e,
    );
  }
}

/**
 * Default cache directory of the assembled model: `<DATA_DIR or .data>/models/en-us-8k`,
 * resolved against the working directory.
 */
export function defaultModelCacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  return path.resolve(env.DATA_DIR || '.data', 'models', 'en-us-8k');
}

const pending = new Map<string, Promise<string>>();

/**
 * Make sure `dir` holds the 8 kHz acoustic model for pocketsphinx: the `soundswallower`
 * package's `mdef`, `means`, `variances`, `sendump`, `transition_matrices`, its
 * `noisedict.txt` renamed `noisedict`, and a `feat.params` (6.4 MB in all). A complete
 * directory is reused; otherwise the files are written to a temporary sibling that is then
 * renamed into place, so concurrent processes never see a half-written model. Calls for the
 * same `dir` share one promise. Resolves to `dir`.
 *
 * @throws LocalEngineUnavailableError when the `soundswallower` package is missing
 */
export function ensureEightKhzModel(dir: string): Promise<string> {
  const key = path.resolve(dir);
  let p = pending.get(key);
  if (!p) {
    p = assemble(key);
    pending.set(key, p);
    p.catch(() => pending.delete(key));
  }
  return p;
}

async function assemble(dir: string): Promise<string> {
  if (await isComplete(dir)) return dir;
  const source = soundswallowerModelDir();
  const tmp = `${dir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await mkdir(tmp, { recursive: true });
  try {
    for (const f of ['mdef', 'means', 'variances', 'sendump', 'transition_matrices']) {
      await copyFile(path.join(source, f), path.join(tmp, f));
    }
    await copyFile(path.join(source, 'noisedict.txt'), path.join(tmp, 'noisedict'));
    await writeFile(path.join(tmp, 'feat.params'), FEAT_PARAMS);
    if (await isComplete(dir)) return dir; // another process finished first
    if (await exists(dir)) await rm(dir, { recursive: true, force: true }); // an incomplete leftover
    try {
      await rename(tmp, dir);
    } catch (e) {
      // Another process won the race: use its copy.
      if (!(await isComplete(dir))) throw e;
    }
  } catch (e) {
    if (e instanceof Error && 'code' in e && e.code === 'ENOENT' && !(await exists(source))) {
      throw new LocalEngineUnavailableError(
        'stt',
        `The 8 kHz speech model files are missing from ${source}`,
        'npm install soundswallower@0.6.3',
        e,
      );
    }
    throw e;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return dir;
}

async function isComplete(dir: string): Promise<boolean> {
  for (const f of MODEL_FILES) if (!(await exists(path.join(dir, f)))) return false;
  return true;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
