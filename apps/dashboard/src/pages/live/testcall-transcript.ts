/**
 * The live transcript of a browser test call: the server's transcript messages folded into
 * lines. A provisional line (`final: false`) is replaced by the next line of its role.
 */

/** One transcript message from the server. */
export interface TranscriptMessage {
  readonly role: 'user' | 'bot';
  readonly text: string;
  readonly final: boolean;
}

/** A shown line; `key` stays the same while a provisional line is replaced. */
export interface TranscriptLine extends TranscriptMessage {
  readonly key: number;
}

/** The lines so far and, per role, the index of its provisional line. */
export interface TranscriptState {
  readonly lines: readonly TranscriptLine[];
  readonly pending: Readonly<Partial<Record<'user' | 'bot', number>>>;
}

/** No lines yet. */
export const EMPTY_TRANSCRIPT: TranscriptState = { lines: [], pending: {} };

/** `state` with `message` added: it replaces its role's provisional line, or comes last. */
export function addTranscriptMessage(state: TranscriptState, message: TranscriptMessage): TranscriptState {
  const at = state.pending[message.role];
  const lines = [...state.lines];
  let index: number;
  if (at === undefined) {
    index = lines.length;
    lines.push({ ...message, key: lines.length });
  } else {
    index = at;
    lines[at] = { ...message, key: lines[at]!.key };
  }
  return { lines, pending: { ...state.pending, [message.role]: message.final ? undefined : index } };
}
