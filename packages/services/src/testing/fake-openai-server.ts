import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.ts';

/** A message as the fake received it (Chat Completions request shape). */
export interface FakeChatMessage {
  readonly role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';
  readonly content: string | null | unknown[];
  readonly tool_calls?: ReadonlyArray<{
    readonly id: string;
    readonly type: 'function';
    readonly function: { readonly name: string; readonly arguments: string };
  }>;
  readonly tool_call_id?: string;
  readonly [key: string]: unknown;
}

/** The JSON body of one `POST /v1/chat/completions`, as received. */
export interface FakeChatRequest {
  readonly model: string;
  readonly messages: readonly FakeChatMessage[];
  readonly stream?: boolean;
  readonly stream_options?: { readonly include_usage?: boolean };
  readonly tools?: ReadonlyArray<{
    readonly type: 'function';
    readonly function: {
      readonly name: string;
      readonly description?: string;
      readonly parameters?: unknown;
    };
  }>;
  readonly temperature?: number;
  readonly [key: string]: unknown;
}

/** A tool call the fake should ask for. `arguments` objects are JSON-encoded. */
export interface FakeToolCall {
  readonly name: string;
  readonly arguments?: string | Readonly<Record<string, unknown>>;
  /** Default `call_<n>`. */
  readonly id?: string;
}

/** Shared by every reply: pause between streamed chunks, ms (default: the server's, 0). */
interface Paced {
  readonly chunkDelayMs?: number;
}

/**
 * What the fake answers to one request:
 * - `{ text }`: the text, streamed word by word (each piece keeps its trailing space);
 * - `{ toolCalls }`: those calls (parallel when several), arguments streamed in fragments,
 *   optionally after some `text`;
 * - `{ error: status }`: that HTTP status with an OpenAI-style error body.
 */
export type FakeChatReply =
  | ({ readonly text: string } & Paced)
  | ({ readonly toolCalls: readonly FakeToolCall[]; readonly text?: string } & Paced)
  | { readonly error: number; readonly message?: string };

/** Decides the reply from the request (used when the queue is empty). */
export type FakeChatHandler = (request: FakeChatRequest) => FakeChatReply | Promise<FakeChatReply>;

/** Options of {@link FakeOpenAIServer.start}. */
export interface FakeOpenAIServerOptions {
  /** Reply used when nothing is queued and no handler is set. Default `{ text: 'OK.' }`. */
  readonly defaultReply?: FakeChatReply;
  /** Decides replies when nothing is queued. */
  readonly handler?: FakeChatHandler;
  /** Pause between streamed chunks when the reply sets none, ms. Default 0. */
  readonly chunkDelayMs?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` or get 401. */
  readonly apiKey?: string;
  /** Model ids `GET …/models/{id}` knows (others: 404). Default: every id. */
  readonly models?: readonly string[];
}

type Chunk = Record<string, unknown>;

/**
 * A fake OpenAI-compatible Chat Completions server on 127.0.0.1 (random port) for tests,
 * speaking the wire protocol of https://platform.openai.com/docs/api-reference/chat-streaming
 * closely enough for the official SDK: `POST /v1/chat/completions` streams SSE
 * (`data: <chunk>\n\n`: a role delta, content deltas, `tool_calls` fragments keyed by `index`,
 * a `finish_reason` chunk, a usage chunk when `stream_options.include_usage`, then
 * `data: [DONE]`), or answers one `chat.completion` JSON when `stream` is false.
 * `GET /v1/models` lists one model.
 *
 * Replies come from the queue ({@link reply}), else the handler ({@link setHandler}), else the
 * default reply. Every request body is kept in {@link requests} and every `Authorization`
 * header in {@link authorizations}; streams the client closed before the end are counted in
 * {@link abortedRequests}, connections in {@link connections}.
 *
 * @example
 * const llm = await FakeOpenAIServer.start();
 * llm.reply({ text: 'Hello there.' }, { toolCalls: [{ name: 'end_call' }] });
 * const client = new OpenAI({ apiKey: 'test', baseURL: llm.url });
 * await llm.close();
 */
export class FakeOpenAIServer {
  /** Every request body received, oldest first. */
  readonly requests: FakeChatRequest[] = [];
  /** The `Authorization` header of every HTTP request (any route, before the key check), oldest first. */
  readonly authorizations: (string | undefined)[] = [];
  private readonly queue: FakeChatReply[] = [];
  private handler: FakeChatHandler | undefined;
  private aborted = 0;
  private completed = 0;
  private callIds = 0;
  private connectionCount = 0;

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeOpenAIServerOptions,
    /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`: pass it as the SDK's `baseURL`. */
    readonly url: string,
  ) {
    this.handler = options.handler;
  }

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeOpenAIServerOptions = {}): Promise<FakeOpenAIServer> {
    let fake: FakeOpenAIServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.respond(req, res),
      connection: () => {
        if (fake) fake.connectionCount++;
      },
    });
    fake = new FakeOpenAIServer(loop, options, loop.url('http', '/v1'));
    return fake;
  }

  /** Queue replies for the next requests, in order. Returns `this`. */
  reply(...replies: FakeChatReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Decide replies with `handler` when the queue is empty (`undefined`: the default reply). */
  setHandler(handler: FakeChatHandler | undefined): void {
    this.handler = handler;
  }

  /** Replies queued and not yet used. */
  get pendingReplies(): number {
    return this.queue.length;
  }

  /** Streams the client closed before `[DONE]` (e.g. an aborted LLM run). */
  get abortedRequests(): number {
    return this.aborted;
  }

  /** TCP connections accepted so far (to show that a client never connected). */
  get connections(): number {
    return this.connectionCount;
  }

  /** Responses sent to the end (errors included). */
  get completedRequests(): number {
    return this.completed;
  }

  /** The latest request body (`requests.at(-1)`), or `undefined` before the first. */
  get lastRequest(): FakeChatRequest | undefined {
    return this.requests.at(-1);
  }

  /** Stop the server, closing open connections. */
  async close(): Promise<void> {
    await this.loop.close();
  }

  /** Answers one request; a failure of the fake itself becomes a 500 (or a cut stream). */
  private respond(req: IncomingMessage, res: ServerResponse): void {
    this.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) this.sendError(res, 500, e instanceof Error ? e.message : String(e));
      else res.destroy();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    this.authorizations.push(req.headers.authorization);
    if (this.options.apiKey && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      this.sendError(res, 401, 'Incorrect API key provided.');
      return;
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      sendJson(res, 200, {
        object: 'list',
        data: [{ id: 'gpt-4o-mini', object: 'model', created: 1, owned_by: 'fake' }],
      });
      return;
    }
    const model = /^\/v1\/models\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && model) {
      const id = decodeURIComponent(model[1]!);
      if (this.options.models && !this.options.models.includes(id)) {
        this.sendError(res, 404, `The model '${id}' does not exist`);
      } else sendJson(res, 200, { id, object: 'model', created: 1, owned_by: 'fake' });
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/chat/completions') {
      this.sendError(res, 404, `Unknown route ${req.method} ${url.pathname}`);
      return;
    }
    let body: FakeChatRequest;
    try {
      body = JSON.parse(await readBody(req)) as FakeChatRequest;
    } catch {
      this.sendError(res, 400, 'We could not parse the JSON body of your request.');
      return;
    }
    this.requests.push(body);
    const reply = this.queue.shift() ??
      (await this.handler?.(body)) ??
      this.options.defaultReply ?? { text: 'OK.' };
    if ('error' in reply) {
      this.sendError(res, reply.error, reply.message ?? `Fake error ${reply.error}`);
      return;
    }
    if (body.stream) await this.stream(res, body, reply);
    else this.answer(res, body, reply);
  }

  private async stream(
    res: ServerResponse,
    body: FakeChatRequest,
    reply: Exclude<FakeChatReply, { error: number }>,
  ): Promise<void> {
    let closed = false;
    res.on('close', () => {
      if (!res.writableFinished) {
        closed = true;
        this.aborted++;
      }
    });
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    });
    const delayMs = reply.chunkDelayMs ?? this.options.chunkDelayMs ?? 0;
    const head = chunkHead(body.model);
    const choice = (delta: Record<string, unknown>, finish: string | null = null): Chunk => ({
      ...head,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
      ...(body.stream_options?.include_usage ? { usage: null } : {}),
    });
    const events: Chunk[] = [];
    const text = reply.text ?? '';
    const calls = 'toolCalls' in reply ? this.toCalls(reply.toolCalls) : [];
    if (text || calls.length === 0) {
      events.push(choice({ role: 'assistant', content: '', refusal: null }));
      for (const piece of words(text)) events.push(choice({ content: piece }));
    }
    calls.forEach((call, index) => {
      const first = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
      events.push(
        choice(
          index === 0 && !text
            ? { role: 'assistant', content: null, tool_calls: [first] }
            : { tool_calls: [first] },
        ),
      );
      for (const piece of fragments(call.arguments)) {
        events.push(choice({ tool_calls: [{ index, function: { arguments: piece } }] }));
      }
    });
    events.push(choice({}, calls.length > 0 ? 'tool_calls' : 'stop'));
    if (body.stream_options?.include_usage) {
      events.push({ ...head, choices: [], usage: usage(body, events.length) });
    }
    for (const event of events) {
      if (closed) return;
      res.write(`data: ${JSON.stringify(event)}\n\n`);
      if (delayMs > 0) await sleep(delayMs);
    }
    if (closed) return;
    res.end('data: [DONE]\n\n');
    this.completed++;
  }

  private answer(
    res: ServerResponse,
    body: FakeChatRequest,
    reply: Exclude<FakeChatReply, { error: number }>,
  ): void {
    const calls = 'toolCalls' in reply ? this.toCalls(reply.toolCalls) : [];
    const message = {
      role: 'assistant',
      content: reply.text ?? (calls.length > 0 ? null : ''),
      refusal: null,
      ...(calls.length > 0
        ? {
            tool_calls: calls.map((c) => ({
              id: c.id,
              type: 'function',
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    };
    const head = chunkHead(body.model);
    sendJson(res, 200, {
      ...head,
      object: 'chat.completion',
      choices: [
        { index: 0, message, logprobs: null, finish_reason: calls.length > 0 ? 'tool_calls' : 'stop' },
      ],
      usage: usage(body, words(reply.text ?? '').length + calls.length),
    });
    this.completed++;
  }

  private toCalls(calls: readonly FakeToolCall[]): { id: string; name: string; arguments: string }[] {
    return calls.map((c) => ({
      id: c.id ?? `call_${++this.callIds}`,
      name: c.name,
      arguments: typeof c.arguments === 'string' ? c.arguments : JSON.stringify(c.arguments ?? {}),
    }));
  }

  private sendError(res: ServerResponse, status: number, message: string): void {
    const type =
      status === 401 ? 'invalid_request_error' : status === 429 ? 'rate_limit_exceeded' : 'server_error';
    sendJson(res, status, {
      error: { message, type, param: null, code: status === 401 ? 'invalid_api_key' : null },
    });
    this.completed++;
  }
}

function chunkHead(model: string): Chunk {
  return {
    id: 'chatcmpl-fake',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    system_fingerprint: 'fp_fake',
  };
}

/** Split text into word pieces that keep their trailing whitespace; joined they give the text back. */
function words(text: string): string[] {
  return text ? text.split(/(?<=\s)(?=\S)/) : [];
}

/** Split tool-call arguments into a few fragments, as providers stream them. */
function fragments(args: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i += 8) out.push(args.slice(i, i + 8));
  return out;
}

function usage(body: FakeChatRequest, completionTokens: number) {
  const promptTokens = body.messages.reduce(
    (n, m) => n + (typeof m.content === 'string' ? m.content.split(/\s+/).filter(Boolean).length : 0),
    0,
  );
  return {
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
  };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const json = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
