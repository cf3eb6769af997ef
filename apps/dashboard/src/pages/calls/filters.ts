/**
 * The calls list's filters as they live in the page's URL (`/calls?agent=…&status=…&page=2`),
 * and the `GET /api/calls` query they make.
 */
import { CALL_DIRECTIONS, CALL_STATUSES, type CallDirection, type CallStatus } from './types.ts';

/** Calls per page of the list. */
export const PAGE_SIZE = 25;

/** The list's filters; an empty string means "any". */
export interface CallFilters {
  readonly agent: string;
  readonly status: CallStatus | '';
  readonly direction: CallDirection | '';
  /** First day, `YYYY-MM-DD`, in the browser's time zone (inclusive). */
  readonly from: string;
  /** Last day, `YYYY-MM-DD`, in the browser's time zone (inclusive). */
  readonly to: string;
  /** A number, exact, or its beginning followed by `*`. */
  readonly number: string;
}

export const NO_FILTERS: CallFilters = { agent: '', status: '', direction: '', from: '', to: '', number: '' };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const oneOf = <T extends string>(values: readonly T[], value: string | null): T | '' =>
  values.find((v) => v === value) ?? '';

/** The filters and 1-based page in `params`; unknown or malformed values are ignored. */
export function readFilters(params: URLSearchParams): { filters: CallFilters; page: number } {
  const day = (name: string) => {
    const value = params.get(name) ?? '';
    return DAY.test(value) ? value : '';
  };
  const page = Number(params.get('page'));
  return {
    filters: {
      agent: params.get('agent') ?? '',
      status: oneOf(CALL_STATUSES, params.get('status')),
      direction: oneOf(CALL_DIRECTIONS, params.get('direction')),
      from: day('from'),
      to: day('to'),
      number: (params.get('number') ?? '').trim(),
    },
    page: Number.isInteger(page) && page >= 1 ? page : 1,
  };
}

/** The URL query of `filters` at `page`: only the filters set, and the page when past the first. */
export function writeFilters(filters: CallFilters, page = 1): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    const text = String(value).trim();
    if (text !== '') params.set(name, text);
  }
  if (page > 1) params.set('page', String(page));
  return params;
}

/** Local midnight starting `day` (`YYYY-MM-DD`), plus `addDays`, as an ISO instant. */
function localMidnight(day: string, addDays = 0): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(y, m - 1, d + addDays).toISOString();
}

/**
 * The `GET /api/calls` path for `filters` at `page`: the days become the instants bounding them
 * in the browser's time zone (`to` is exclusive on the server, so the day after the last).
 */
export function listPath(filters: CallFilters, page: number): string {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String((page - 1) * PAGE_SIZE) });
  if (filters.agent !== '') query.set('agentId', filters.agent);
  if (filters.status !== '') query.set('status', filters.status);
  if (filters.direction !== '') query.set('direction', filters.direction);
  if (filters.from !== '') query.set('from', localMidnight(filters.from));
  if (filters.to !== '') query.set('to', localMidnight(filters.to, 1));
  if (filters.number !== '') query.set('number', filters.number);
  return `/api/calls?${query.toString()}`;
}
