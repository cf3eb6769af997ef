/** Percentile `p` (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Options of {@link printFigure}. */
export interface FigureOptions {
  /** A reference value to print the ratio to. */
  readonly baseline?: number;
  /** What the baseline is. */
  readonly baselineName?: string;
  /** The figure is a capacity (ratio = value / baseline) rather than a cost (baseline / value). */
  readonly higherIsBetter?: boolean;
  /** The target: the figure must be below it (or at least it with `higherIsBetter`). */
  readonly target?: number;
}

/**
 * Print one figure as `name: value unit`, and its ratio to a baseline when given
 * (`ratio` = baseline / value for costs: above 1 means we are cheaper), and whether it meets
 * a target when given.
 */
export function printFigure(name: string, value: number, unit: string, options: FigureOptions = {}): void {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 3;
  let line = `${name}: ${value.toFixed(digits)} ${unit}`;
  const notes: string[] = [];
  if (options.baseline !== undefined) {
    const ratio = options.higherIsBetter ? value / options.baseline : options.baseline / value;
    notes.push(
      `${ratio.toFixed(1)}× ${options.higherIsBetter ? 'of' : 'cheaper than'} ${options.baselineName ?? 'baseline'}`,
    );
  }
  if (options.target !== undefined) {
    const met = options.higherIsBetter ? value >= options.target : value < options.target;
    notes.push(
      `target ${options.higherIsBetter ? '≥' : '<'} ${options.target} ${unit}: ${met ? 'met' : 'MISSED'}`,
    );
  }
  if (notes.length > 0) line += ` (${notes.join('; ')})`;
  console.log(line);
}
