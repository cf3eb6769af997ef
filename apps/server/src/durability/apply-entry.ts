import type { TranscriptEntry } from '@parley/pipeline';
import type { CallEventRepository, NewCallEvent } from '../db/call-events.ts';
import type { CallUsage } from '../db/call-types.ts';
import type { CallRepository } from '../db/calls.ts';
import { type EventsEntry, GroupCommit, type JournalApplyEvents } from './group-commit.ts';
import type { JournalApply } from './write-journal.ts';

/**
 * Writes journal entries with the repositories: `events` are appended (skipping stored keys);
 * `finish` ends the call if it is still live, else stores its transcript and recording path
 * (a status callback may have ended it first). Both are safe to repeat.
 */
export function applyWithRepositories(calls: CallRepository, events: CallEventRepository): JournalApply {
  return async (entry) => {
    if (entry.kind === 'events') {
      await events.append(entry.callId, toNewEvents(entry.events));
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

/**
 * {@link applyWithRepositories} through a {@link GroupCommit}: the `events` entries of many calls
 * written at about the same time are stored in one transaction. What the server's journal uses.
 */
export function applyBatchedWithRepositories(
  calls: CallRepository,
  events: CallEventRepository,
): JournalApply {
  return new GroupCommit(applyWithRepositories(calls, events), appendEventsWithRepository(events)).apply;
}

/**
 * Appends many `events` entries in one transaction (all or none): what {@link GroupCommit} uses
 * to store the events of many calls together.
 */
export function appendEventsWithRepository(events: CallEventRepository): JournalApplyEvents {
  return async (entries) => {
    await events.appendMany(
      entries.map((entry) => ({ callId: entry.callId, events: toNewEvents(entry.events) })),
    );
  };
}

function toNewEvents(events: EventsEntry['events']): NewCallEvent[] {
  return events.map((e) => ({ key: e.key, type: e.type, at: new Date(e.at), data: e.data }));
}
