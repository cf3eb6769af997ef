import type { TranscriptEntry } from '@parley/pipeline';
import type { CallEventRepository } from '../db/call-events.ts';
import type { CallUsage } from '../db/call-types.ts';
import type { CallRepository } from '../db/calls.ts';
import type { JournalApply } from './write-journal.ts';

/**
 * Writes journal entries with the repositories: `events` are appended (skipping stored keys);
 * `finish` ends the call if it is still live, else stores its transcript and recording path
 * (a status callback may have ended it first). Both are safe to repeat.
 */
export function applyWithRepositories(calls: CallRepository, events: CallEventRepository): JournalApply {
  return async (entry) => {
    if (entry.kind === 'events') {
      await events.append(
        entry.callId,
        entry.events.map((e) => ({ key: e.key, type: e.type, at: new Date(e.at), data: e.data })),
      );
      return;
    }
    const { endedAt, transcript, recordingPath, usage, ...rest } = entry.end;
    const artifacts = {
      ...(transcript ? { transcript: transcript as unknown as TranscriptEntry[] } : {}),
      ...(recordingPath ? { recordingPath } : {}),
      ...(usage ? { usage: usage as unknown as CallUsage } : {}),
    };
    const finished = await calls.finish(entry.callId, {
      ...rest,
      ...(endedAt ? { endedAt: new Date(endedAt) } : {}),
      ...artifacts,
    });
    if (!finished) await calls.saveArtifacts(entry.callId, artifacts);
  };
}
