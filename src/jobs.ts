import type { FastifyBaseLogger } from 'fastify';
import type { JobRunner } from './context.js';

interface Job {
  name: string;
  ms: number;
  fn: () => Promise<void>;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
}

export class Jobs implements JobRunner {
  private readonly jobs: Job[] = [];
  private started = false;

  constructor(
    private readonly log: FastifyBaseLogger,
    private readonly enabled: boolean,
  ) {}

  every(name: string, ms: number, fn: () => Promise<void>): void {
    const job: Job = { name, ms, fn, timer: null, running: null };
    this.jobs.push(job);
    if (this.started) this.schedule(job);
  }

  start(): void {
    if (!this.enabled || this.started) return;
    this.started = true;
    for (const job of this.jobs) this.schedule(job);
  }

  private schedule(job: Job): void {
    job.timer = setTimeout(async () => {
      await this.run(job);
      if (this.started) this.schedule(job);
    }, job.ms);
    job.timer.unref();
  }

  private async run(job: Job): Promise<void> {
    if (job.running) return job.running;
    job.running = job
      .fn()
      .catch((err) => this.log.error({ err, job: job.name }, 'background job failed'))
      .finally(() => {
        job.running = null;
      });
    return job.running;
  }

  async runAll(): Promise<void> {
    for (const job of this.jobs) await this.run(job);
  }

  async stop(): Promise<void> {
    this.started = false;
    for (const job of this.jobs) if (job.timer) clearTimeout(job.timer);
    await Promise.all(this.jobs.map((j) => j.running));
  }
}
