import { z } from 'zod';
import type { MediaStreamDeps } from '../calls/media-stream.ts';
import type { ServerConfig } from '../config/server-config.ts';

/** What the telephony routes (webhooks, status callbacks, media streams) need. */
export type TelephonyRouteDeps = MediaStreamDeps & { readonly config: ServerConfig };

/** `:agent` of the telephony routes. */
export const agentParams = z.object({ agent: z.string().min(1).max(100) });

/** `?callId=` of the answer and status URLs of calls we placed. */
export const callIdQuery = z.looseObject({ callId: z.uuid().optional() });

/** What callers hear when the agent in the number's URL does not exist. */
export const UNKNOWN_AGENT_APOLOGY = 'Sorry, this number is not connected to an agent. Goodbye.';
/** What callers hear over the concurrency limit. */
export const BUSY_APOLOGY = 'Sorry, all our agents are busy right now. Please call again later. Goodbye.';
/** What a call hears when the call it answers is no longer known (ended, or not ours). */
export const UNKNOWN_CALL_APOLOGY = 'Sorry, this call can no longer be connected. Goodbye.';
