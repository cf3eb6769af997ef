import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.ts';

/** A part of a content as the fake received it (text, functionCall, functionResponse, …). */
export interface FakeGeminiPart {
  readonly text?: string;
  readonly functionCall?: {
    readonly id?: string;
    readonly name: string;
    readonly args?: Readonly<Record<string, unknown>>;
  };
  readonly functionResponse?: {
    readonly id?: string;
    readonly name: string;
    readonly response: Readonly<Record<string, unknown>>;
  };
  readonly thoughtSignature?: string;
  readonly [key: string]: unknown;
}

/** A content (turn) of a request, as received. */
export interface FakeGeminiContent {
  readonly role?: string;
  readonly parts?: readonly FakeGeminiPart[];
}

/** The JSON body of one `streamGenerateContent` request, as received. */
export interface FakeGeminiRequestBody {
  readonly contents: readonly FakeGeminiContent[];
  readonly systemInstruction?: FakeGeminiContent;
  readonly tools?: ReadonlyArray<{
    readonly functionDeclarations?: ReadonlyArray<{
      readonly name: string;
      readonly description?: string;
      readonly parameters?: unknown;
      readonly parametersJsonSchema?: unknown;
    }>;
    readonly [key: string]: unknown;
  }>;
  readonly generationConfig?: Readonly<Record<string, unknown>>;
  readonly [key: string]: unknown;
}

/** One accepted request: the model from its path, the key it carried and its body. */
export interface FakeGeminiRequest {
  /** The model id of the path `/v1beta/models/{model}:streamGenerateContent`. */
  readonly model: string;
  /** The `x-goog-api-key` header (or, failing that, the `key` query parameter). */
  readonly apiKey: string | undefined;
  readonly body: FakeGeminiRequestBody;
}

/** A function call the fake should make. */
export interface FakeGeminiFunctionCall {
  readonly name: string;
  readonly args?: Readonly<Record<string, unknown>>;
  /** Sent as `functionCall.id` when set (the Gemini API often sends none). */
  readonly id?: string;
  /** Sent as the part's `thoughtSignature` when set (Gemini 3 models send one). */
  readonly thoughtSignature?: string;
}

/** Token counts of the final chunk's `usageMetadata`; what is not set is counted in words. */
export interface FakeGeminiUsage {
  readonly promptTokenCount?: number;
  readonly candidatesTokenCount?: number;
  readonly thoughtsTokenCount?: number;
}

/** Shared by streamed replies: timing (default: the server's) and token counts. */
interface Streamed {
  /** Pause before the response starts (headers and first chunk), ms. */
  readonly firstChunkDelayMs?: number;
  /** Pause between chunks, ms. */
  readonly chunkDelayMs?: number;
  readonly usage?: FakeGeminiUsage;
}

/**
 * What the fake answers to one request:
 * - `{ text }`: the text, streamed word by word (each piece keeps its trailing space);
 * - `{ functionCalls }`: one chunk with those `functionCall` parts (after the text when `text`
 *   is set);
 * - `{ error: status }`: that HTTP status with Google's error JSON (`status` and the
 *   `ErrorInfo` `reason` optional);
 * - `{ blockReason }`: one chunk without candidates whose `promptFeedback` says the prompt was
 *   blocked (e.g. `'SAFETY'`);
 * - `{ hang: true }`: no answer at all, until the client gives up.
 */
export type FakeGeminiReply =
  | ({ readonly text: string } & Streamed)
  | ({ readonly functionCalls: readonly FakeGeminiFunctionCall[]; readonly text?: string } & Streamed)
  | { readonly error: number; readonly message?: string; readonly status?: string; readonly reason?: string }
  | { readonly blockReason: string }
  | { readonly hang: true };

/** Options of {@link FakeGeminiServer.start}. */
export interface FakeGeminiServerOptions {
  /** Reply used when nothing is queued. Default `{ text: 'OK.' }`. */
  readonly defaultReply?: FakeGeminiReply;
  /** Pause before a response starts when the reply sets none, ms. Default 0. */
  readonly firstChunkDelayMs?: number;
  /** Pause between chunks when the reply sets none, ms. Default 0. */
  readonly chunkDelayMs?: number;
  /**
   * When set, requests must carry it: without a key the fake answers 403 `PERMISSION_DENIED`,
   * with another key 400 `INVALID_ARGUMENT` (reason `API_KEY_INVALID`), as Google does.
   */
  readonly apiKey?: string;
  /** Model ids `GET …/models/{id}` knows (others: 404). Default: every id. */
  readonly models?: readonly string[];
}

type Chunk = Record<string, unknown>;

const ROUTE = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

/**
 * A fake Gemini API on 127.0.0.1 (random port) for tests, speaking the REST streaming
 * protocol of https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent
 * closely enough for the official `@google/genai` SDK: `POST
 * /v1beta/models/{model}:streamGenerateContent?alt=sse` answers SSE, each event
 * `data: <GenerateContentResponse JSON>` and a blank line, no end marker: text chunks, a chunk of
 * `functionCall` parts, and a last chunk with `finishReason: 'STOP'` and the full
 * `usageMetadata` (earlier chunks carry the prompt count only). Errors are Google's JSON
 * (`{"error":{"code","message","status","details"}}`).
 *
 * Like the real API it refuses with 400 `INVALID_ARGUMENT` a request without contents, a role
 * other than `user` / `model`, a content without parts, an empty text part, a function call
 * turn that does not follow a user turn or a function response turn, and a function response
 * turn whose parts do not answer, one for one, the function calls of the turn before
 * (https://ai.google.dev/gemini-api/docs/function-calling).
 *
 * Replies come from the queue ({@link reply}), else the default reply. Every accepted request
 * is kept in {@link requests} and the key of every HTTP request in {@link apiKeys}; responses
 * the client closed before their end (an interrupted run, or a request given up on while the
 * fake hung) are counted in {@link abortedRequests}.
 *
 * @example
 * const gemini = await FakeGeminiServer.start();
 * gemini.reply({ functionCalls: [{ name: 'get_weather', args: { city: 'Paris' } }] }, { text: 'Sunny.' });
 * const ai = new GoogleGenAI({ apiKey: 'test', httpOptions: { baseUrl: gemini.url, apiVersion: 'v1beta' } });
 * await gemini.close();
 */
export class FakeGeminiServer {
  /** Every accepted request, oldest first. */
  readonly requests: FakeGeminiRequest[] = [];
  /** The key of every HTTP request (any route, before the key check), oldest first. */
  readonly apiKeys: (string | undefined)[] = [];
  private readonly queue: FakeGeminiReply[] = [];
  private aborted = 0;
  private completed = 0;
  private responseIds = 0;

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeGeminiServerOptions,
    /** Base URL without the version path, e.g. `http://127.0.0.1:41234`: the SDK's `httpOptions.baseUrl`. */
    readonly url: string,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeGeminiServerOptions = {}): Promise<FakeGeminiServer> {
    let fake: FakeGeminiServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.respond(req, res),
    });
    fake = new FakeGeminiServer(loop, options, loop.url('http'));
    return fake;
  }

  /** Queue replies for the next requests, in order. Returns `this`. */
  reply(...replies: FakeGeminiReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Replies queued and not yet used. */
  get pendingReplies(): number {
    return this.queue.length;
  }

  /** Responses the client closed before their end (e.g. an interrupted LLM run). */
  get abortedRequests(): number {
    return this.aborted;
  }

  /** Streams sent to their end. */
  get completedRequests(): number {
    return this.completed;
  }

  /** Forget the recorded requests, keys, queued replies and counts (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.apiKeys.length = 0;
    this.queue.length = 0;
    this.aborted = 0;
    this.completed = 0;
  }

  /** Stop the server, closing open connections. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  /** Answers one request; a failure of the fake itself becomes a 500 (or a cut stream). */
  private respond(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, e instanceof Error ? e.message : String(e));
      else res.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const apiKey = header(req, 'x-goog-api-key') ?? url.searchParams.get('key') ?? undefined;
    this.apiKeys.push(apiKey);
    const expected = this.options.apiKey;
    if (expected && apiKey === undefined) {
      sendError(
        res,
        403,
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
      return;
    }
    if (expected && apiKey !== expected) {
      sendError(res, 400, 'API key not valid. Please pass a valid API key.', { reason: 'API_KEY_INVALID' });
      return;
    }
    const modelGet = /^\/v1beta\/models\/([^/:]+)$/.exec(url.pathname);
    if (req.method === 'GET' && modelGet) {
      const id = decodeURIComponent(modelGet[1]!);
      if (this.options.models && !this.options.models.includes(id)) {
        sendError(res, 404, `models/${id} is not found for API version v1beta`);
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ name: `models/${id}`, displayName: id }));
      }
      return;
    }
    const route = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !route) {
      sendError(res, 404, `Unknown route ${req.method} ${url.pathname}`);
      return;
    }
    const model = decodeURIComponent(route[1]!);
    let body: FakeGeminiRequestBody;
    try {
      body = JSON.parse(await readBody(req)) as FakeGeminiRequestBody;
    } catch {
      sendError(res, 400, 'Invalid JSON payload received.');
      return;
    }
    const problem = invalid(body);
    if (problem) {
      sendError(res, 400, problem);
      return;
    }
    this.requests.push({ model, apiKey, body });
    const reply = this.queue.shift() ?? this.options.defaultReply ?? { text: 'OK.' };
    if ('error' in reply) {
      sendError(res, reply.error, reply.message ?? `Fake error ${reply.error}`, reply);
      return;
    }
    if ('hang' in reply) {
      res.on('close', () => this.aborted++);
      return;
    }
    if ('blockReason' in reply) {
      const promptTokenCount = promptWords(body);
      const chunk = {
        promptFeedback: { blockReason: reply.blockReason },
        usageMetadata: { promptTokenCount, totalTokenCount: promptTokenCount },
        modelVersion: model,
        responseId: `fake-response-${++this.responseIds}`,
      };
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
      this.completed++;
      return;
    }
    await this.stream(res, model, body, reply);
  }

  private async stream(
    res: ServerResponse,
    model: string,
    body: FakeGeminiRequestBody,
    reply: Extract<FakeGeminiReply, Streamed>,
  ): Promise<void> {
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        this.aborted++;
      }
    });
    const firstDelayMs = reply.firstChunkDelayMs ?? this.options.firstChunkDelayMs ?? 0;
    if (firstDelayMs > 0) await sleep(firstDelayMs);
    if (closed) return;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    const delayMs = reply.chunkDelayMs ?? this.options.chunkDelayMs ?? 0;
    const chunks = this.chunks(model, body, reply);
    for (const [i, chunk] of chunks.entries()) {
      if (closed) return;
      if (i > 0 && delayMs > 0) await sleep(delayMs);
      if (closed) return;
      res.write(`data: ${JSON.stringify(chunk)}\r\n\r\n`);
    }
    if (closed) return;
    res.end();
    this.completed++;
  }

  private chunks(
    model: string,
    body: FakeGeminiRequestBody,
    reply: Extract<FakeGeminiReply, Streamed>,
  ): Chunk[] {
    const head = { modelVersion: model, responseId: `fake-response-${++this.responseIds}` };
    const promptTokenCount = reply.usage?.promptTokenCount ?? promptWords(body);
    const candidate = (parts: unknown[], finishReason?: string): Chunk => ({
      candidates: [
        { content: { parts, role: 'model' }, ...(finishReason ? { finishReason } : {}), index: 0 },
      ],
      usageMetadata: { promptTokenCount, totalTokenCount: promptTokenCount },
      ...head,
    });
    const pieces = words(reply.text ?? '');
    const calls = 'functionCalls' in reply ? reply.functionCalls : [];
    const chunks = pieces.map((text) => candidate([{ text }]));
    if (calls.length > 0) {
      chunks.push(
        candidate(
          calls.map((c) => ({
            functionCall: { ...(c.id ? { id: c.id } : {}), name: c.name, args: c.args ?? {} },
            ...(c.thoughtSignature ? { thoughtSignature: c.thoughtSignature } : {}),
          })),
        ),
      );
    }
    const candidatesTokenCount = reply.usage?.candidatesTokenCount ?? pieces.length + calls.length;
    const thoughtsTokenCount = reply.usage?.thoughtsTokenCount;
    chunks.push({
      ...candidate([{ text: '' }], 'STOP'),
      usageMetadata: {
        promptTokenCount,
        candidatesTokenCount,
        ...(thoughtsTokenCount !== undefined ? { thoughtsTokenCount } : {}),
        totalTokenCount: promptTokenCount + candidatesTokenCount + (thoughtsTokenCount ?? 0),
      },
    });
    return chunks;
  }
}

/** Why the real API would refuse `body` with 400, or `undefined`. */
function invalid(body: FakeGeminiRequestBody): string | undefined {
  if (!Array.isArray(body.contents) || body.contents.length === 0) {
    return '* GenerateContentRequest.contents: contents is not specified';
  }
  let previous: FakeGeminiContent | undefined;
  for (const [i, content] of body.contents.entries()) {
    if (content.role !== 'user' && content.role !== 'model') return 'Please use a valid role: user, model.';
    const parts: readonly FakeGeminiPart[] = content.parts ?? [];
    if (parts.length === 0)
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    if (parts.some((p) => p.text === '')) {
      return 'Unable to submit request because it has an empty text parameter. Add a value to the parameter and try again.';
    }
    const calls = parts.filter((p) => p.functionCall);
    const responses = parts.filter((p) => p.functionResponse);
    if (calls.length > 0 && previous?.role !== 'user') {
      return 'Please ensure that function call turn comes immediately after a user turn or after a function response turn.';
    }
    if (responses.length > 0) {
      const before: readonly FakeGeminiPart[] = previous?.role === 'model' ? (previous.parts ?? []) : [];
      const asked = before.filter((p) => p.functionCall);
      const answered =
        responses.length === parts.length &&
        responses.length === asked.length &&
        responses.every((r, k) => r.functionResponse?.name === asked[k]?.functionCall?.name);
      if (!answered) {
        return 'Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.';
      }
    }
    previous = content;
  }
  return undefined;
}

/** Google's canonical status name of an HTTP status (https://cloud.google.com/apis/design/errors). */
const STATUS_NAMES: Readonly<Record<number, string>> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

function sendError(
  res: ServerResponse,
  code: number,
  message: string,
  extra: { readonly status?: string; readonly reason?: string } = {},
): void {
  const json = JSON.stringify({
    error: {
      code,
      message,
      status: extra.status ?? STATUS_NAMES[code] ?? 'UNKNOWN',
      ...(extra.reason
        ? {
            details: [
              {
                '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                reason: extra.reason,
                domain: 'googleapis.com',
                metadata: { service: 'generativelanguage.googleapis.com' },
              },
            ],
          }
        : {}),
    },
  });
  res.writeHead(code, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(json),
  });
  res.end(json);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A rough prompt token count: the words of the system instruction and of every text part. */
function promptWords(body: FakeGeminiRequestBody): number {
  const count = (parts: readonly FakeGeminiPart[] | undefined) =>
    (parts ?? []).reduce((n, p) => n + (p.text ? p.text.split(/\s+/).filter(Boolean).length : 0), 0);
  return count(body.systemInstruction?.parts) + body.contents.reduce((n, c) => n + count(c.parts), 0);
}

/** Split text into word pieces that keep their trailing whitespace; joined they give the text back. */
function words(text: string): string[] {
  return text ? text.split(/(?<=\s)(?=\S)/) : [];
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
