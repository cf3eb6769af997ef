/**
 * The server's background work: its heartbeat, the lost-call sweep (at start-up, once the
 * previous process's heartbeat has gone stale, then every 5 minutes) and, when configured, the
 * recording retention at 03:00. The cron jobs use node-cron; the sweep's advisory lock lets
 * one instance run at a time across processes.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { ServerRegistry } from '../db/servers.ts';
import type { CallRecovery } from './call-recovery.ts';
import type { RecordingRetention } from './recording-retention.ts';

/** What {@link Maintenance} runs. */
export interface MaintenanceDeps {
  readonly recovery: CallRecovery;
  readonly servers: ServerRegistry;
  readonly serverId: string;
  /** Whether this process still runs a call. */
  readonly isLive: (callId: string) => boolean;
  /** A server silent this long is gone, s; heartbeats come 3 times as often. */
  readonly staleSecs: number;
  /** Deletes old recordings at 03:00; none keeps them. */
  readonly retention?: RecordingRetention;
  readonly logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

/**
 * Runs {@link MaintenanceDeps}' background work for one server process: a heartbeat every
 * `staleSecs / 3` s, lost-call sweeps and the 03:00 retention; {@link stop} ends it all.
 */
export class Maintenance {
  private heartbeat: NodeJS.Timeout | undefined;
  private followUp: NodeJS.Timeout | undefined;
  private readonly jobs: ScheduledTask[] = [];

  constructor(private readonly deps: MaintenanceDeps) {}

  /** Beats, sweeps once, and schedules the rest. Failures are logged, never thrown. */
  async start(): Promise<void> {
    const { deps } = this;
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), (deps.staleSecs * 1000) / 3);
    this.heartbeat.unref();
    await this.sweep();
    // A crashed predecessor's heartbeat may still look fresh now: look again once it cannot.
    this.followUp = setTimeout(() => void this.sweep(), (deps.staleSecs + 1) * 1000);
    this.followUp.unref();
    this.jobs.push(cron.schedule('*/5 * * * *', () => this.sweep(), { name: 'lost-calls', noOverlap: true }));
    const { retention } = deps;
    if (retention) {
      this.jobs.push(
        cron.schedule('0 3 * * *', () => this.run('recording retention', () => retention.run()), {
          name: 'recording-retention',
          noOverlap: true,
        }),
      );
    }
  }

  /** Stops the jobs and deregisters this server (its calls are over by then). */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    clearTimeout(this.followUp);
    for (const job of this.jobs.splice(0)) await job.destroy();
    await this.deps.servers.remove(this.deps.serverId).catch(() => {});
  }

  /** One lost-call sweep now. */
  sweep(): Promise<void> {
    return this.run('lost-call sweep', () => this.deps.recovery.sweep(this.deps.isLive));
  }

  private beat(): Promise<void> {
    return this.run('heartbeat', () => this.deps.servers.beat(this.deps.serverId));
  }

  private async run(what: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.deps.logger.error({ err }, `${what} failed`);
    }
  }
}
