import { frame, type LLMService, type ToolDefinition } from '@parley/pipeline';

/**
 * What the model sees of each tool: its name, what it does (the model reads this to decide
 * when to call it) and a JSON Schema of its arguments object.
 */
export const TOOLS: ToolDefinition[] = [
  {
    name: 'get_weather',
    description: 'Get the current weather in a city.',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string', description: 'City name, e.g. "Paris"' } },
      required: ['city'],
      additionalProperties: false,
    },
  },
  {
    name: 'end_call',
    description: 'End the conversation when the caller is done. Say goodbye in the same reply.',
    parameters: { type: 'object', properties: {}, additionalProperties: false },
  },
];

/** What `get_weather` answers (a handler may return any JSON-serializable value, or a string). */
export interface Weather {
  readonly city: string;
  readonly condition: string;
  readonly temperatureC: number;
}

/** Looks up the weather; pass `signal` to any request it makes (it aborts on barge-in or timeout). */
export type WeatherLookup = (city: string, signal: AbortSignal) => Weather | Promise<Weather>;

/** Made-up weather, so the example needs no weather API. */
export const madeUpWeather: WeatherLookup = (city) => ({ city, condition: 'sunny', temperatureC: 21 });

/** What runs when the model calls each of {@link TOOLS}: register the handlers on `llm`. */
export function registerTools(llm: LLMService, getWeather: WeatherLookup = madeUpWeather): void {
  llm.registerFunction('get_weather', ({ city }, { signal }) => getWeather(String(city), signal));
  llm.registerFunction('end_call', () => {
    // Ask the task to end. Its `end` frame queues behind this turn, so the goodbye still comes out.
    llm.push(frame('end_task', { reason: 'bot_ended_call' }), 'upstream');
    return { ok: true };
  });
}
