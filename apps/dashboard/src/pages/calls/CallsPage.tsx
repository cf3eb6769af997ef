import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api } from '../../api/client.ts';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { CallFiltersForm } from './CallFiltersForm.tsx';
import { type CallFilters, listPath, PAGE_SIZE, readFilters, writeFilters } from './filters.ts';
import { formatDateTime, formatDuration, humanize } from './format.ts';
import type { CallListPage } from './types.ts';
import './calls.css';

/** `/calls`: the stored calls, newest first, filtered and paged by the URL's query string. */
export function CallsPage() {
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `search` is what `params` says.
  const { filters, page } = useMemo(() => readFilters(params), [search]);
  const path = listPath(filters, page);
  const list = useQuery({
    queryKey: ['calls', path],
    queryFn: () => api<CallListPage>('GET', path),
    placeholderData: keepPreviousData,
  });
  const apply = (next: CallFilters) => setParams(writeFilters(next));
  const goTo = (next: number) => setParams(writeFilters(filters, next));
  const total = list.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, page * PAGE_SIZE);

  return (
    <section>
      <h1>Calls</h1>
      <CallFiltersForm value={filters} onApply={apply} />
      <ErrorNotice error={list.error} title="Could not load the calls" />
      {list.isPending ? (
        <Loading what="Loading calls" />
      ) : (
        list.data !== undefined && (
          <>
            <p className="muted" aria-live="polite">
              {total === 0
                ? 'No calls match these filters.'
                : list.data.calls.length === 0
                  ? `No calls on page ${page}: there are ${total}.`
                  : `Calls ${first}–${last} of ${total}`}
            </p>
            {list.data.calls.length > 0 && (
              <table className="calls-table">
                <thead>
                  <tr>
                    <th scope="col">Started</th>
                    <th scope="col">Agent</th>
                    <th scope="col">Direction</th>
                    <th scope="col">From</th>
                    <th scope="col">To</th>
                    <th scope="col">Status</th>
                    <th scope="col">Duration</th>
                  </tr>
                </thead>
                <tbody>
                  {list.data.calls.map((call) => (
                    <tr key={call.id}>
                      <td>
                        <Link to={`/calls/${call.id}`}>
                          {formatDateTime(call.startedAt ?? call.createdAt)}
                        </Link>
                      </td>
                      <td>{call.agentId ?? <span className="muted">none</span>}</td>
                      <td>{call.direction}</td>
                      <td>{call.from ?? '—'}</td>
                      <td>{call.to ?? '—'}</td>
                      <td>
                        <span className={`call-status call-status-${call.status}`}>
                          {humanize(call.status)}
                        </span>
                      </td>
                      <td>{formatDuration(call.durationMs)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
            {(total > PAGE_SIZE || page > 1) && (
              <nav className="pager" aria-label="Pages of calls">
                <button type="button" disabled={page <= 1} onClick={() => goTo(Math.min(page - 1, pages))}>
                  Previous page
                </button>
                <span>
                  Page {page} of {pages}
                </span>
                <button type="button" disabled={page >= pages} onClick={() => goTo(page + 1)}>
                  Next page
                </button>
              </nav>
            )}
          </>
        )
      )}
    </section>
  );
}
