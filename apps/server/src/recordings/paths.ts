/**
 * Where a call's recording lives: `<root>/YYYY/MM/<callId>.wav`, year and month in UTC.
 */
import path from 'node:path';
import { isUuid } from '../db/uuid.ts';

/**
 * A recording path cannot be used: a call id that is not a UUID, or a stored path that
 * points outside the recordings root (path traversal, absolute path elsewhere, symlink out).
 */
export class RecordingPathError extends Error {
  override readonly name = 'RecordingPathError';

  /** @param storedPath - The offending call id or stored path, as given. */
  constructor(
    readonly storedPath: string,
    reason: string,
  ) {
    super(`Unusable recording path ${JSON.stringify(storedPath)}: ${reason}`);
  }
}

/**
 * The recording's location relative to the recordings root: `YYYY/MM/<callId>.wav` with `/`
 * separators on every platform, the call id in lower case.
 * @param date - The instant the call started; its UTC year and month name the folders.
 * @throws {@link RecordingPathError} if `callId` is not a UUID.
 * @throws RangeError if `date` is an invalid Date.
 */
export function recordingRelativePath(callId: string, date: Date): string {
  if (!isUuid(callId)) throw new RecordingPathError(callId, 'the call id is not a UUID');
  const time = date.getTime();
  if (Number.isNaN(time)) throw new RangeError('Invalid recording date');
  const year = String(date.getUTCFullYear()).padStart(4, '0');
  const month = String(date.getUTCMonth() + 1).padStart(2, '0');
  return `${year}/${month}/${callId.toLowerCase()}.wav`;
}

/**
 * The recording file of a call: `<root>/YYYY/MM/<callId>.wav` (joined with the platform's
 * separator; relative if `root` is). Pure: touches no file.
 * @param date - The instant the call started; its UTC year and month name the folders.
 * @throws {@link RecordingPathError} if `callId` is not a UUID (so it cannot escape `root`).
 * @throws RangeError if `date` is an invalid Date.
 */
export function recordingPath(root: string, callId: string, date: Date): string {
  return path.join(root, ...recordingRelativePath(callId, date).split('/'));
}
