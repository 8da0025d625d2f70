// Capped exponential backoff with jitter, for "the API server is not usable right now".
// Jitter spreads the retries of many nodes after a control-plane outage, like
// wait.Jitter: the delay is stretched by up to `jitter` of itself. Randomness is injected.
import { backoffDelay } from '../core/backoff.js';

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Fraction of the delay added at random (0.1 = up to +10 %). */
  readonly jitter: number;
}

/** Node status, mirror pods, events: retried within their 10 s sync period. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 10_000, jitter: 0.1 };

/** The lease controller's backoffEnsureLease: 200 ms doubling, capped at 7 s, no jitter. */
export const LEASE_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 7000, jitter: 0 };

export class Backoff {
  readonly #policy: BackoffPolicy;
  readonly #random: () => number;
  #failures = 0;
  #until = 0;

  constructor(policy: BackoffPolicy, random: () => number = Math.random) {
    this.#policy = policy;
    this.#random = random;
  }

  /** Records one more failure; returns the time (ms) before which nothing should be tried. */
  failure(now: number): number {
    this.#failures++;
    const base = backoffDelay(this.#policy, this.#failures);
    this.#until = now + Math.round(base + base * this.#policy.jitter * this.#random());
    return this.#until;
  }

  success(): void {
    this.#failures = 0;
    this.#until = 0;
  }

  /** 0 when not backing off. */
  get until(): number {
    return this.#until;
  }

  get failures(): number {
    return this.#failures;
  }
}
