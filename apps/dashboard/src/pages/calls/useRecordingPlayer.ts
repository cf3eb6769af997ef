import { type RefObject, useCallback, useEffect, useRef, useState } from 'react';
import WaveSurfer from 'wavesurfer.js';

/** What {@link useRecordingPlayer} gives the page. */
export interface RecordingPlayer {
  /** The audio is fetched, decoded and drawn. */
  readonly ready: boolean;
  readonly playing: boolean;
  /** Playback position, seconds. */
  readonly currentTime: number;
  /** Length of the recording, seconds (0 until ready). */
  readonly duration: number;
  /** Why the recording could not be loaded or played, if it could not. */
  readonly error: string | undefined;
  playPause(): void;
  /** Moves playback to `seconds` (clamped to the recording by the player). */
  seek(seconds: number): void;
}

/** Waveform colours per channel (WCAG AA against the white background for the progress part). */
const CHANNELS = [
  { waveColor: '#9fb3c8', progressColor: '#0b57d0' },
  { waveColor: '#c4b5d9', progressColor: '#6a3fa0' },
] as const;

/**
 * A wavesurfer.js player of the stereo WAV at `url` (caller left, bot right), drawn in
 * `container` as one waveform per channel. Recreated when `url` changes, destroyed on unmount.
 */
export function useRecordingPlayer(container: RefObject<HTMLElement | null>, url: string): RecordingPlayer {
  const player = useRef<WaveSurfer | null>(null);
  const [ready, setReady] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [currentTime, setCurrentTime] = useState(0);
  const [duration, setDuration] = useState(0);
  const [error, setError] = useState<string | undefined>(undefined);

  useEffect(() => {
    const element = container.current;
    if (element === null) return;
    setReady(false);
    setPlaying(false);
    setCurrentTime(0);
    setError(undefined);
    const ws = WaveSurfer.create({
      container: element,
      url,
      height: 72,
      splitChannels: [...CHANNELS],
      cursorColor: '#1b1f24',
      normalize: true,
      fetchParams: { credentials: 'same-origin' },
    });
    player.current = ws;
    const offs = [
      ws.on('ready', (seconds) => {
        setDuration(seconds);
        setReady(true);
      }),
      ws.on('timeupdate', (seconds) => setCurrentTime(seconds)),
      ws.on('play', () => setPlaying(true)),
      ws.on('pause', () => setPlaying(false)),
      ws.on('finish', () => setPlaying(false)),
      ws.on('error', (e) => setError(e.message)),
    ];
    return () => {
      for (const off of offs) off();
      ws.destroy();
      player.current = null;
    };
  }, [container, url]);

  const playPause = useCallback(() => {
    player.current?.playPause().catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, []);
  const seek = useCallback((seconds: number) => player.current?.setTime(seconds), []);
  return { ready, playing, currentTime, duration, error, playPause, seek };
}
