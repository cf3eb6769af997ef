import { STTService } from '@parley/pipeline';

/** Hears nothing: used when no recogniser is installed, so the call can still explain why. */
export class DisabledSTTService extends STTService {
  constructor() {
    super('DisabledSTTService');
  }
  protected override connect(): void {}
  protected override sendAudio(): void {}
  protected override disconnect(): void {}
}
