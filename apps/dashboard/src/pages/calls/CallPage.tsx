import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { Link, useParams } from 'react-router';
import { api } from '../../api/client.ts';
import { ErrorNotice } from '../../ui/ErrorNotice.tsx';
import { Loading } from '../../ui/Loading.tsx';
import { AnalysisPanel } from './AnalysisPanel.tsx';
import { CallRecording } from './CallRecording.tsx';
import { EventTimeline } from './EventTimeline.tsx';
import { flowPath, toolCalls } from './events.ts';
import { FlowPath } from './FlowPath.tsx';
import { formatDateTime, formatDuration, humanize } from './format.ts';
import { ToolCalls } from './ToolCalls.tsx';
import { Transcript } from './Transcript.tsx';
import type { CallDetail } from './types.ts';
import { UsagePanel } from './UsagePanel.tsx';
import { Waterfall } from './Waterfall.tsx';
import { callWaterfalls } from './waterfall.ts';
import './calls.css';

/** `/calls/:callId`: one stored call with its recording, transcript, events, latency and cost. */
export function CallPage() {
  const { callId = '' } = useParams();
  const call = useQuery({
    queryKey: ['call', callId],
    queryFn: () => api<CallDetail>('GET', `/api/calls/${encodeURIComponent(callId)}`),
  });
  if (call.isPending) return <Loading what="Loading the call" />;
  if (call.data === undefined) {
    return (
      <section>
        <h1>Call</h1>
        <ErrorNotice error={call.error} title="Could not load the call" />
        <Link to="/calls">Back to calls</Link>
      </section>
    );
  }
  return <CallView call={call.data} />;
}

function CallView({ call }: { call: CallDetail }) {
  const waterfalls = useMemo(() => callWaterfalls(call.events), [call.events]);
  const path = useMemo(() => flowPath(call.events), [call.events]);
  const tools = useMemo(() => toolCalls(call.events), [call.events]);
  return (
    <article className="call-page">
      <p>
        <Link to="/calls">← All calls</Link>
      </p>
      <h1>
        Call {call.direction === 'inbound' ? 'from' : 'to'}{' '}
        {(call.direction === 'inbound' ? call.from : call.to) ?? 'an unknown number'}
      </h1>
      <dl className="facts call-facts">
        <Fact label="Agent">
          {call.agentId === null ? (
            <span className="muted">none</span>
          ) : (
            <Link to={`/agents/${call.agentId}`}>{call.agentId}</Link>
          )}
        </Fact>
        <Fact label="From">{call.from ?? '—'}</Fact>
        <Fact label="To">{call.to ?? '—'}</Fact>
        <Fact label="Direction">{call.direction}</Fact>
        <Fact label="Provider">{call.provider}</Fact>
        <Fact label="Status">
          <span className={`call-status call-status-${call.status}`}>{humanize(call.status)}</span>
        </Fact>
        <Fact label="Started">{formatDateTime(call.startedAt ?? call.createdAt)}</Fact>
        <Fact label="Duration">{formatDuration(call.durationMs)}</Fact>
        <Fact label="End reason">{call.endReason === null ? '—' : humanize(call.endReason)}</Fact>
      </dl>

      <h2>Recording</h2>
      {call.recordingPath === null ? (
        <>
          <p className="muted">
            {call.status === 'ringing' || call.status === 'in_progress'
              ? 'The call is still going: its recording is available once it ends.'
              : 'This call has no recording.'}
          </p>
          <h2>Transcript</h2>
          <Transcript transcript={call.transcript} />
        </>
      ) : (
        <CallRecording callId={call.id} transcript={call.transcript} />
      )}

      <h2>Latency per turn</h2>
      <Waterfall turns={waterfalls} />

      <h2>Flow path</h2>
      <FlowPath steps={path} />

      <h2>Tool calls</h2>
      <ToolCalls calls={tools} />

      <h2>Usage and cost</h2>
      <UsagePanel usage={call.usage} />

      <h2>Post-call analysis</h2>
      {call.analysis === null ? (
        <p className="muted">No analysis for this call.</p>
      ) : (
        <AnalysisPanel analysis={call.analysis} />
      )}

      <h2>Events</h2>
      <EventTimeline events={call.events} />
    </article>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div className="facts-row">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
