import { useRef } from 'react';
import { formatPlayerTime } from './format.ts';
import { Transcript } from './Transcript.tsx';
import type { TranscriptEntry } from './types.ts';
import { useRecordingPlayer } from './useRecordingPlayer.ts';

/**
 * The call's stereo recording as two waveforms (caller on the left channel, bot on the right)
 * with play/pause and the position, and the transcript aligned to it: clicking a line seeks
 * there, and the line being heard is highlighted.
 */
export function CallRecording({
  callId,
  transcript,
}: {
  callId: string;
  transcript: readonly TranscriptEntry[];
}) {
  const waveform = useRef<HTMLDivElement>(null);
  const player = useRecordingPlayer(waveform, `/api/calls/${encodeURIComponent(callId)}/recording`);
  return (
    <>
      <div className="player">
        <div className="player-controls">
          <button type="button" className="primary" onClick={player.playPause} disabled={!player.ready}>
            {player.playing ? 'Pause' : 'Play'}
          </button>
          <span role="timer" aria-label="Playback position" className="player-time">
            {formatPlayerTime(player.currentTime)} / {formatPlayerTime(player.duration)}
          </span>
          {!player.ready && player.error === undefined && (
            <span className="muted">Loading the recording…</span>
          )}
        </div>
        {player.error !== undefined && (
          <p className="notice notice-error" role="alert">
            The recording could not be played: {player.error}
          </p>
        )}
        <div className="player-waves">
          <div className="player-channels" aria-hidden="true">
            <span>Caller (left)</span>
            <span>Bot (right)</span>
          </div>
          <div
            ref={waveform}
            className="player-waveform"
            role="img"
            aria-label="Waveforms of the recording: the caller's channel above, the bot's below"
          />
        </div>
      </div>
      <h2>Transcript</h2>
      <Transcript transcript={transcript} currentMs={player.currentTime * 1000} onSeek={player.seek} />
    </>
  );
}
