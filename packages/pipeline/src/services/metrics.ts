import { frame, type MetricsFrame } from '../frames/frames.ts';

/** Make a metrics frame: `name` measured by `processor`. */
export function metric(
  processor: string,
  name: string,
  value: number,
  unit: MetricsFrame['unit'],
): MetricsFrame {
  return frame('metrics', { processor, name, value, unit });
}
