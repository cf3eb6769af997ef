import { z } from 'zod';
import type { MediaStreamDeps } from '../calls/media-stream.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { PendingStreamGuard } from '../limits/pending-streams.ts';

/** What the telephony routes (webhooks, status callbacks, media streams) need. */
export type TelephonyRouteDeps = MediaStreamDeps & {
  readonly config: ServerConfig;
  /** The per-address cap on media streams that have not sent `start` (its hook is installed on the app). */
  readonly pendingStreams: PendingStreamGuard;
};

/** `:agent` of the telephony routes. */
export const agentParams = z.object({ agent: z.string().min(1).max(100) });

/** `?callId=` of the answer and status URLs of calls we placed. */
export const callIdQuery = z.looseObject({ callId: z.uuid().optional() });
