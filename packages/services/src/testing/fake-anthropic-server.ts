import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoopbackServer } from './loopback-server.ts';

/** A content block of a message as the fake received it (text, tool_use, tool_result, …). */
export interface FakeAnthropicBlock {
  readonly type: string;
  readonly text?: string;
  readonly id?: string;
  readonly name?: string;
  readonly input?: unknown;
  readonly tool_use_id?: string;
  readonly content?: unknown;
  readonly [key: string]: unknown;
}

/** A message of a Messages API request, as received. */
export interface FakeAnthropicMessage {
  readonly role: string;
  readonly content: string | readonly FakeAnthropicBlock[];
}

/** The JSON body of one `POST /v1/messages`, as received. */
export interface FakeAnthropicRequest {
  readonly model: string;
  readonly max_tokens: number;
  readonly messages: readonly FakeAnthropicMessage[];
  readonly system?: string | readonly FakeAnthropicBlock[];
  readonly stream?: boolean;
  readonly tools?: ReadonlyArray<{
    readonly name: string;
    readonly description?: string;
    readonly input_schema: unknown;
  }>;
  readonly [key: string]: unknown;
}

/** The credentials one HTTP request carried (any route, before the key check). */
export interface FakeAnthropicCredentials {
  /** The `x-api-key` header. */
  readonly apiKey: string | undefined;
  /** The `Authorization` header (`Bearer <key>`, which SDK 1.x sends). */
  readonly authorization: string | undefined;
}

/** A tool call the fake should make (`tool_use`). `input` objects are JSON-encoded. */
export interface FakeAnthropicToolUse {
  readonly name: string;
  readonly input?: string | Readonly<Record<string, unknown>>;
  /** Default `toolu_fake_<n>`. */
  readonly id?: string;
}

/** Shared by streamed replies: pause between SSE events, ms (default: the server's, 0). */
interface Paced {
  readonly chunkDelayMs?: number;
}

/**
 * What the fake answers to one request:
 * - `{ text }`: a text block streamed word by word (each piece keeps its trailing space);
 * - `{ toolUses }`: those `tool_use` blocks (after a text block when `text` is set), their
 *   input streamed as `input_json_delta` fragments, `stop_reason: 'tool_use'`;
 * - `{ error: status }`: that HTTP status with an Anthropic error body;
 * - `{ hang: true }`: no answer at all, until the client gives up.
 */
export type FakeAnthropicReply =
  | ({ readonly text: string } & Paced)
  | ({ readonly toolUses: readonly FakeAnthropicToolUse[]; readonly text?: string } & Paced)
  | { readonly error: number; readonly message?: string }
  | { readonly hang: true };

/** Options of {@link FakeAnthropicServer.start}. */
export interface FakeAnthropicServerOptions {
  /** Reply used when nothing is queued. Default `{ text: 'OK.' }`. */
  readonly defaultReply?: FakeAnthropicReply;
  /** Pause between streamed events when the reply sets none, ms. Default 0. */
  readonly chunkDelayMs?: number;
  /** When set, requests must carry it (`x-api-key`, or `Authorization: Bearer`) or get 401. */
  readonly apiKey?: string;
  /** Model ids `GET …/models/{id}` knows (others: 404). Default: every id. */
  readonly models?: readonly string[];
}

type Event = { readonly type: string; readonly [key: string]: unknown };

/**
 * A fake Anthropic Messages API on 127.0.0.1 (random port) for tests, speaking the wire
 * protocol of https://docs.anthropic.com/en/api/messages-streaming closely enough for the
 * official `@anthropic-ai/sdk`: `POST /v1/messages` with `stream: true` answers SSE
 * (`event: <type>` + `data: <json>`): `message_start` (input token usage), `ping`, per block
 * `content_block_start` / `content_block_delta` (`text_delta` or `input_json_delta`) /
 * `content_block_stop`, then `message_delta` (`stop_reason`, output token usage) and
 * `message_stop`. Non-streaming requests get 400 (the services never send them).
 *
 * Like the real API it refuses with 400 `invalid_request_error` a request without `model`,
 * `max_tokens` or messages, a `system` role inside `messages`, an empty text block, and a
 * `tool_result` that does not answer a `tool_use` of the assistant turn just before it or that
 * follows other content in its turn
 * (https://docs.anthropic.com/en/docs/build-with-claude/tool-use/implement-tool-use).
 *
 * Replies come from the queue ({@link reply}), else the default reply. Every request body is
 * kept in {@link requests} and the credentials of every HTTP request in {@link credentials};
 * streams the client closed before the end (or requests it gave up on while the fake hung)
 * are counted in {@link abortedRequests}.
 *
 * @example
 * const claude = await FakeAnthropicServer.start();
 * claude.reply({ toolUses: [{ name: 'get_weather', input: { city: 'Paris' } }] }, { text: 'Sunny.' });
 * const client = new Anthropic({ apiKey: 'test', baseURL: claude.url, maxRetries: 0 });
 * await claude.close();
 */
export class FakeAnthropicServer {
  /** Every accepted request body, oldest first. */
  readonly requests: FakeAnthropicRequest[] = [];
  /** The credentials of every HTTP request, oldest first. */
  readonly credentials: FakeAnthropicCredentials[] = [];
  private readonly queue: FakeAnthropicReply[] = [];
  private aborted = 0;
  private ids = 0;

  private constructor(
    private readonly loop: LoopbackServer,
    private readonly options: FakeAnthropicServerOptions,
    /** Base URL without the version path, e.g. `http://127.0.0.1:41234`: the SDK's `baseURL`. */
    readonly url: string,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(options: FakeAnthropicServerOptions = {}): Promise<FakeAnthropicServer> {
    let fake: FakeAnthropicServer | undefined;
    const loop = await LoopbackServer.start({
      request: (req, res) => fake?.respond(req, res),
    });
    fake = new FakeAnthropicServer(loop, options, loop.url('http'));
    return fake;
  }

  /** Queue replies for the next requests, in order. Returns `this`. */
  reply(...replies: FakeAnthropicReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Replies queued and not yet used. */
  get pendingReplies(): number {
    return this.queue.length;
  }

  /** Requests the client closed before their answer ended (e.g. an interrupted LLM run). */
  get abortedRequests(): number {
    return this.aborted;
  }

  /** Forget the recorded requests and queued replies (between tests). */
  reset(): void {
    this.requests.length = 0;
    this.credentials.length = 0;
    this.queue.length = 0;
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
    const apiKey = header(req, 'x-api-key');
    const authorization = header(req, 'authorization');
    this.credentials.push({ apiKey, authorization });
    const key = this.options.apiKey;
    if (key && apiKey !== key && authorization !== `Bearer ${key}`) {
      sendError(res, 401, 'invalid x-api-key');
      return;
    }
    const model = /^\/v1\/models\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'GET' && model) {
      const id = decodeURIComponent(model[1]!);
      if (this.options.models && !this.options.models.includes(id)) sendError(res, 404, `model: ${id}`);
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ type: 'model', id, display_name: id, created_at: '2025-01-01T00:00:00Z' }));
      }
      return;
    }
    if (req.method !== 'POST' || url.pathname !== '/v1/messages') {
      sendError(res, 404, `Unknown route ${req.method} ${url.pathname}`);
      return;
    }
    let body: FakeAnthropicRequest;
    try {
      body = JSON.parse(await readBody(req)) as FakeAnthropicRequest;
    } catch {
      sendError(res, 400, 'The request body is not valid JSON.');
      return;
    }
    const problem = invalid(body);
    if (problem) {
      sendError(res, 400, problem);
      return;
    }
    this.requests.push(body);
    const reply = this.queue.shift() ?? this.options.defaultReply ?? { text: 'OK.' };
    if ('error' in reply) {
      sendError(res, reply.error, reply.message ?? `Fake error ${reply.error}`);
      return;
    }
    if ('hang' in reply) {
      res.on('close', () => this.aborted++);
      return;
    }
    await this.stream(res, body, reply);
  }

  private async stream(
    res: ServerResponse,
    body: FakeAnthropicRequest,
    reply: Extract<FakeAnthropicReply, Paced>,
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
      'request-id': `req_fake_${++this.ids}`,
    });
    const events = this.events(body, reply);
    const delayMs = reply.chunkDelayMs ?? this.options.chunkDelayMs ?? 0;
    for (const event of events) {
      if (closed) return;
      res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
      if (delayMs > 0) await sleep(delayMs);
    }
    if (!closed) res.end();
  }

  private events(body: FakeAnthropicRequest, reply: Extract<FakeAnthropicReply, Paced>): Event[] {
    const text = reply.text ?? '';
    const toolUses = 'toolUses' in reply ? reply.toolUses : [];
    const events: Event[] = [
      {
        type: 'message_start',
        message: {
          id: `msg_fake_${++this.ids}`,
          type: 'message',
          role: 'assistant',
          content: [],
          model: body.model,
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens(body), output_tokens: 1 },
        },
      },
      { type: 'ping' },
    ];
    let index = 0;
    let outputTokens = 0;
    if (text || toolUses.length === 0) {
      events.push({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
      for (const piece of words(text)) {
        events.push({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: piece } });
        outputTokens++;
      }
      events.push({ type: 'content_block_stop', index });
      index++;
    }
    for (const use of toolUses) {
      const id = use.id ?? `toolu_fake_${++this.ids}`;
      events.push({
        type: 'content_block_start',
        index,
        content_block: { type: 'tool_use', id, name: use.name, input: {} },
      });
      const input = typeof use.input === 'string' ? use.input : JSON.stringify(use.input ?? {});
      for (const piece of fragments(input)) {
        events.push({
          type: 'content_block_delta',
          index,
          delta: { type: 'input_json_delta', partial_json: piece },
        });
        outputTokens++;
      }
      events.push({ type: 'content_block_stop', index });
      index++;
    }
    events.push(
      {
        type: 'message_delta',
        delta: { stop_reason: toolUses.length > 0 ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: outputTokens },
      },
      { type: 'message_stop' },
    );
    return events;
  }
}

/** Why the real API would refuse `body` with 400, or `undefined`. */
function invalid(body: FakeAnthropicRequest): string | undefined {
  if (typeof body.model !== 'string' || !body.model) return 'model: Field required';
  if (!Number.isInteger(body.max_tokens) || body.max_tokens < 1) return 'max_tokens: Field required';
  if (body.stream !== true) return 'this fake answers streaming requests only';
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    return 'messages: at least one message is required';
  let previous: FakeAnthropicMessage | undefined;
  for (const [i, m] of body.messages.entries()) {
    if (m.role !== 'user' && m.role !== 'assistant')
      return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks: readonly FakeAnthropicBlock[] =
      typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content;
    if (blocks.some((b) => b.type === 'text' && !b.text))
      return `messages.${i}: text content blocks must be non-empty`;
    const results = blocks.filter((b) => b.type === 'tool_result');
    if (results.length > 0) {
      const asked = new Set(
        previous?.role === 'assistant' && typeof previous.content !== 'string'
          ? previous.content.filter((b) => b.type === 'tool_use').map((b) => b.id)
          : [],
      );
      const orphan = results.find((r) => !asked.has(r.tool_use_id));
      if (orphan) {
        return `messages.${i}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${String(orphan.tool_use_id)}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
      }
      const firstOther = blocks.findIndex((b) => b.type !== 'tool_result');
      if (firstOther !== -1 && firstOther < blocks.findLastIndex((b) => b.type === 'tool_result')) {
        return `messages.${i}: \`tool_result\` blocks must come first in the user message content`;
      }
    }
    previous = m;
  }
  return undefined;
}

const ERROR_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

function sendError(res: ServerResponse, status: number, message: string): void {
  const json = JSON.stringify({
    type: 'error',
    error: { type: ERROR_TYPES[status] ?? 'api_error', message },
    request_id: 'req_fake_error',
  });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) });
  res.end(json);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A rough token count: the words of the system prompt and of every text and tool result. */
function inputTokens(body: FakeAnthropicRequest): number {
  const count = (s: unknown) => (typeof s === 'string' ? s.split(/\s+/).filter(Boolean).length : 0);
  let n = typeof body.system === 'string' ? count(body.system) : 0;
  for (const m of body.messages) {
    if (typeof m.content === 'string') n += count(m.content);
    else for (const b of m.content) n += count(b.text) + count(b.content);
  }
  return n;
}

/** Split text into word pieces that keep their trailing whitespace; joined they give the text back. */
function words(text: string): string[] {
  return text ? text.split(/(?<=\s)(?=\S)/) : [];
}

/** Split a tool's input JSON into a few fragments, as the API streams it. */
function fragments(json: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < json.length; i += 8) out.push(json.slice(i, i + 8));
  return out;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
