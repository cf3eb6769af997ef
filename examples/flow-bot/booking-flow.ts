// #region flow
import { type FlowFunction, type FlowNode, goTo } from '@parley/flows';

/** What the caller asked for, kept in the flow's shared state. */
export interface Booking {
  readonly partySize: number;
  readonly time: string;
}

/** Callable in every node: answers in place, the flow stays where it is. */
export const openingHours: FlowFunction = {
  name: 'opening_hours',
  description: 'Tell the caller when the restaurant is open.',
  handler: () => ({ open: '18:00', close: '23:00', closedOn: 'Mondays' }),
};

/** First node: the persona, and one function that moves on once the booking is known. */
export function greetNode(): FlowNode {
  return {
    name: 'greet',
    roleMessage: 'You are Ada, who takes table bookings for Chez Parley by phone. Be brief.',
    taskMessages: ['Greet the caller and ask for how many people and what time they want a table.'],
    functions: [
      {
        name: 'set_booking',
        description: 'Record the party size and time once the caller gave both.',
        parameters: {
          type: 'object',
          properties: {
            partySize: { type: 'integer', minimum: 1 },
            time: { type: 'string', description: 'e.g. "19:30"' },
          },
          required: ['partySize', 'time'],
        },
        handler: ({ partySize, time }, { flow }) => {
          const booking: Booking = { partySize: Number(partySize), time: String(time) };
          flow.state.booking = booking;
          return goTo(confirmNode(booking), { recorded: true }); // result for the LLM, then the next node
        },
      },
    ],
  };
}

/** Built from the state: the node's prompt says what to confirm. */
export function confirmNode(booking: Booking): FlowNode {
  return {
    name: 'confirm',
    taskMessages: [
      `Read the booking back (a table for ${booking.partySize} at ${booking.time}) and ask the caller to confirm.`,
    ],
    preActions: [{ type: 'tts_say', text: 'Let me check that table.' }],
    functions: [
      {
        name: 'confirm_booking',
        description: 'The caller confirmed the booking.',
        handler: () => goTo(goodbyeNode(), { bookingId: 'B-1042' }),
      },
      {
        name: 'change_booking',
        description: 'The caller wants a different size or time.',
        handler: () => goTo(greetNode()),
      },
    ],
  };
}

/** Last node: a fresh context, a thank-you from the LLM, then the call ends. */
export function goodbyeNode(): FlowNode {
  return {
    name: 'goodbye',
    contextStrategy: { strategy: 'reset' },
    taskMessages: ['The table is booked (reference B-1042). Thank the caller in one sentence.'],
    postActions: [{ type: 'end_conversation', text: 'Goodbye!', reason: 'booking_done' }],
  };
}
// #endregion flow
