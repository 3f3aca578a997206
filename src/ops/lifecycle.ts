import type { FastifyBaseLogger } from 'fastify';

type ShutdownHook = () => Promise<void> | void;

/**
 * The process's shutdown sequence, shared by every module: `onShutdown(name, fn)`
 * registers work to do when the server stops (SIGTERM, or `app.close()` in tests).
 * Hooks run in reverse order of registration (what started last stops first),
 * each awaited, after the server has stopped accepting requests and told the
 * event streams to reconnect elsewhere; a hook that throws is logged and the
 * others still run.
 */
export class Lifecycle {
  private readonly hooks: { name: string; fn: ShutdownHook }[] = [];
  private draining = false;
  private readonly drainListeners = new Set<() => void>();

  constructor(private readonly log: FastifyBaseLogger) {}

  onShutdown(name: string, fn: ShutdownHook): void {
    this.hooks.push({ name, fn });
  }

  /** Called once the process has decided to stop: /readyz turns 503 so balancers take it out. */
  beginDrain(): void {
    if (this.draining) return;
    this.draining = true;
    for (const fn of this.drainListeners) fn();
  }

  /** Runs when draining begins (or at once if it already has). */
  onDrain(fn: () => void): void {
    if (this.draining) fn();
    else this.drainListeners.add(fn);
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async runShutdownHooks(): Promise<void> {
    this.beginDrain();
    for (const { name, fn } of [...this.hooks].reverse()) {
      try {
        await fn();
      } catch (err) {
        this.log.error({ err, hook: name }, 'a shutdown hook failed');
      }
    }
  }
}
