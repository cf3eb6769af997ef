/**
 * Where services sit in an agent configuration: `stt`, `llm`, `tts`, then each failover entry
 * (`failover.llm.0`, …). Keys, credentials and base URLs are handled per slot.
 */
import type { VendorKind } from '@parley/services';
import type { AgentConfig, ServiceConfig } from './agent-config.ts';

/** One service of an agent and where it sits. */
export interface ServiceSlot {
  readonly kind: VendorKind;
  /** Dotted path in the configuration, e.g. `tts` or `failover.stt.1`. */
  readonly path: string;
  readonly service: ServiceConfig;
}

const KINDS: readonly VendorKind[] = ['stt', 'llm', 'tts'];

/** Every service of `config`: the three primaries, then the failover lists, in order. */
export function serviceSlots(config: AgentConfig): ServiceSlot[] {
  const slots: ServiceSlot[] = KINDS.map((kind) => ({ kind, path: kind, service: config[kind] }));
  for (const kind of KINDS) {
    (config.failover?.[kind] ?? []).forEach((service, i) => {
      slots.push({ kind, path: `failover.${kind}.${i}`, service });
    });
  }
  return slots;
}

/**
 * The service objects of an unvalidated configuration (stored JSON, an API body), with their
 * paths: what is a plain object at a slot's place.
 */
export function rawServiceSlots(config: unknown): { path: string; service: Record<string, unknown> }[] {
  if (!isRecord(config)) return [];
  const slots: { path: string; service: Record<string, unknown> }[] = [];
  for (const kind of KINDS) {
    const service = config[kind];
    if (isRecord(service)) slots.push({ path: kind, service });
  }
  const failover = config.failover;
  for (const kind of KINDS) {
    const list = isRecord(failover) ? failover[kind] : undefined;
    if (!Array.isArray(list)) continue;
    list.forEach((service, i) => {
      if (isRecord(service)) slots.push({ path: `failover.${kind}.${i}`, service });
    });
  }
  return slots;
}

/** The credential name referred to at `path` of a stored configuration, if any. */
export function credentialAt(config: unknown, path: string): string | undefined {
  const credential = rawServiceSlots(config).find((slot) => slot.path === path)?.service.credential;
  return typeof credential === 'string' ? credential : undefined;
}

/** Whether `value` is a plain JSON object (not null, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
