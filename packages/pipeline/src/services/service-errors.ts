import type { ServiceKind } from '../frames/frames.ts';

/**
 * A service's request took too long: no response (or no next piece of a streamed response)
 * came within its limit. The request was aborted. Reported as the `cause` of a non-fatal
 * `error` frame whose `service` is {@link service}.
 */
export class ServiceTimeoutError extends Error {
  override readonly name = 'ServiceTimeoutError';

  /**
   * @param service Which kind of service timed out.
   * @param source The service's processor name, e.g. `OpenAILLMService`.
   * @param timeoutMs The limit that passed, ms.
   */
  constructor(
    readonly service: ServiceKind,
    readonly source: string,
    readonly timeoutMs: number,
  ) {
    super(`${source} sent no response for ${Math.round(timeoutMs)} ms; the request was aborted`);
  }
}
