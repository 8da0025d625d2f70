// A fake systemd-logind for the node shutdown manager (agent/shutdown/logind.ts): counts the
// delay locks held, the drop-ins written and the reloads, and lets a test emit PrepareForShutdown.
// Times in its log are seconds since START on the fake clock.
import type { InhibitLock, LogindPort, ShutdownWatch } from '../../agent/shutdown/logind.js';
import type { FakeClock } from './fake-clock.js';

/** FakeClock's default start. */
export const START = Date.UTC(2026, 0, 1);

export class FakeLogind implements LogindPort {
  delayUs = 5_000_000;
  /** The value logind reports after a reload (undefined: the drop-in's). */
  afterReload?: number;
  overrides: number[] = [];
  reloads = 0;
  held = 0;
  taken = 0;
  unavailable?: string;
  log: string[] = [];
  #emit?: (shuttingDown: boolean) => void;

  readonly #clock: FakeClock;

  constructor(clock: FakeClock) {
    this.#clock = clock;
  }

  async inhibitDelayMaxUs(): Promise<number> {
    if (this.unavailable) throw new Error(this.unavailable);
    return this.delayUs;
  }
  async overrideInhibitDelay(seconds: number): Promise<void> {
    this.overrides.push(seconds);
  }
  async reload(): Promise<void> {
    this.reloads++;
    this.delayUs = this.afterReload ?? (this.overrides.at(-1) ?? 0) * 1_000_000;
  }
  async inhibit(): Promise<InhibitLock> {
    this.held++;
    this.taken++;
    let released = false;
    let done = (): void => {};
    const gone = new Promise<void>((r) => (done = r));
    return {
      release: () => {
        if (released) return;
        released = true;
        this.held--;
        this.log.push(`release@${this.t()}`);
        done();
      },
      gone,
    };
  }
  watches = 0;
  #end?: (why: string) => void;

  async watch(onSignal: (shuttingDown: boolean) => void): Promise<ShutdownWatch> {
    this.#emit = onSignal;
    this.watches++;
    const ended = new Promise<string>((r) => (this.#end = r));
    return { stop: () => this.#end?.('stopped'), ended };
  }
  /** The bus connection is lost (busctl monitor exited). */
  endWatch(why: string): void {
    this.#end?.(why);
  }
  emit(shuttingDown: boolean): void {
    this.#emit?.(shuttingDown);
  }
  t(): number {
    return (this.#clock.monotonic() - START) / 1000;
  }
}

