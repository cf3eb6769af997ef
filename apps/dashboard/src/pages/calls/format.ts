/** Formatting of times and durations on the calls pages. */

/** A latency in whole milliseconds: `"1250 ms"`, `"-40 ms"`. */
export function formatMs(ms: number): string {
  return `${Math.round(ms)} ms`;
}

/** A position in a call, `m:ss` (e.g. `"1:05"`); negative positions show as `0:00`. */
export function formatClock(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

/** A player position, `m:ss.t` (tenths), from seconds. */
export function formatPlayerTime(seconds: number): string {
  const tenths = Math.max(0, Math.floor(seconds * 10));
  const whole = Math.floor(tenths / 10);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}.${tenths % 10}`;
}

/** A call's length: `"42 s"`, `"3 min 05 s"`; `"—"` for none. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`;
}

/** An ISO 8601 instant in the browser's locale and time zone; `"—"` for none. */
export function formatDateTime(iso: string | null): string {
  if (iso === null) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime())
    ? iso
    : date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** A snake_case API value for people: `no_answer` → `no answer`. */
export function humanize(value: string): string {
  return value.replaceAll('_', ' ');
}
