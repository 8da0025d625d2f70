// A deterministic Clock for unit tests: time moves only when the test calls advance().
// advance() moves both readings; stepWall() moves only the wall clock (an operator or NTP
// stepping it), which timers, like Node's, ignore.
import type { Clock } from '../../agent/core/clock.js';

interface Timer {
  at: number;
  /** Creation order: timers due at the same time fire in the order they were set. */
  seq: number;
  fn: () => void;
  every?: number;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  /** The monotonic reading; timers are due on it. */
  #now: number;
  /** Wall clock minus monotonic clock: changed only by stepWall(). */
  #wallOffset = 0;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now + this.#wallOffset;
  }

  monotonic(): number {
    return this.#now;
  }

  /** Steps the wall clock by `ms` (negative: backwards) without moving monotonic time or timers. */
  stepWall(ms: number): void {
    this.#wallOffset += ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = this.#add(ms, resolve);
      signal?.addEventListener('abort', () => {
        t.cancelled = true;
        reject(signal.reason);
      });
    });
  }

  setTimeout(fn: () => void, ms: number): { cancel(): void } {
    const t = this.#add(ms, fn);
    return { cancel: () => (t.cancelled = true) };
  }

  setInterval(fn: () => void, ms: number): { cancel(): void } {
    const t = this.#add(ms, fn, ms);
    return { cancel: () => (t.cancelled = true) };
  }

  /**
   * Moves time forward, firing due timers in order. Before each timer and at the end it awaits
   * `settle`: pending microtasks by default, or the code under test's in-flight work (real I/O
   * included), so every timer fires at the exact time it was due.
   */
  async advance(ms: number, settle: () => Promise<void> = flushMicrotasks): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((t) => !t.cancelled && t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.#now = Math.max(this.#now, due.at);
      if (due.every) due.at += due.every;
      else due.cancelled = true;
      due.fn();
    }
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    this.#now = target;
    await settle();
  }

  pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  #add(ms: number, fn: () => void, every?: number): Timer {
    const t: Timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, every, cancelled: false };
    this.#timers.push(t);
    return t;
  }
}

export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
  await new Promise((r) => setImmediate(r));
}
