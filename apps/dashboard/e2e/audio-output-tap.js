/**
 * Loaded into a page before its scripts (Playwright's `addInitScript`) by the browser test
 * call's e2e test, to see that the page plays the bot: every AudioBufferSourceNode connected to
 * an AudioContext's speakers (its destination) is also fed to an AnalyserNode that records the
 * loudest sample it outputs, and the seconds of audio started and finished are added up, in
 * `globalThis.__audioOutputTap` (`{ startedSecs, endedSecs, peak }`; the peak is about 0–1, a little
 * more where resampling to the context's rate overshoots).
 * The page's own code is unchanged.
 */
(() => {
  const tap = { startedSecs: 0, endedSecs: 0, peak: 0 };
  globalThis.__audioOutputTap = tap;
  const analysers = new WeakMap();
  const toSpeakers = new WeakSet();

  /** The context's analyser, read every 20 ms (its 2048 samples span more than that at any rate). */
  const analyserOf = (context) => {
    let analyser = analysers.get(context);
    if (analyser === undefined) {
      analyser = context.createAnalyser();
      analyser.fftSize = 2048;
      const samples = new Float32Array(analyser.fftSize);
      const timer = setInterval(() => {
        if (context.state === 'closed') {
          clearInterval(timer);
          return;
        }
        analyser.getFloatTimeDomainData(samples);
        for (const sample of samples) tap.peak = Math.max(tap.peak, Math.abs(sample));
      }, 20);
      analysers.set(context, analyser);
    }
    return analyser;
  };

  const connect = AudioNode.prototype.connect;
  AudioNode.prototype.connect = function (destination, ...rest) {
    if (destination instanceof AudioDestinationNode && this instanceof AudioBufferSourceNode) {
      toSpeakers.add(this);
      connect.call(this, analyserOf(this.context));
    }
    return connect.call(this, destination, ...rest);
  };

  const start = AudioBufferSourceNode.prototype.start;
  AudioBufferSourceNode.prototype.start = function (...args) {
    if (toSpeakers.has(this) && this.buffer !== null) {
      const secs = this.buffer.duration;
      tap.startedSecs += secs;
      this.addEventListener('ended', () => {
        tap.endedSecs += secs;
      });
    }
    return start.apply(this, args);
  };
})();
