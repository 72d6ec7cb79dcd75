/**
 * Concurrency control for one backend: a semaphore whose limit adapts. A 429 halves the limit (never below
 * one) so that a rate-limited server sees less pressure at once; successes add it back one step at a time
 * (additive increase, multiplicative decrease, as TCP does), never above the configured maximum.
 */
import { ModelmapError } from "../../core/errors.ts";

interface Waiter {
  resolve: () => void;
  reject: (e: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

export class AdaptiveLimiter {
  readonly max: number;
  #limit: number;
  #inFlight = 0;
  #successesSinceChange = 0;
  #lastDecrease = Number.NEGATIVE_INFINITY;
  readonly #queue: Waiter[] = [];

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new ModelmapError("config", `concurrency must be >= 1, got ${max}`);
    this.max = max;
    this.#limit = max;
  }

  get limit(): number {
    return this.#limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Waits for a slot; the returned function releases it (call it exactly once). */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) throw abortedError(signal);
    if (this.#inFlight < this.#limit && this.#queue.length === 0) {
      this.#inFlight++;
      return this.#releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#queue.indexOf(waiter);
          if (i >= 0) this.#queue.splice(i, 1);
          reject(abortedError(signal));
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#queue.push(waiter);
    });
    return this.#releaser();
  }

  /**
   * The server said "too many requests": halve the limit. A burst of 429s answers one overload, so the limit
   * halves at most once per `windowMs`; otherwise 64 requests in flight would cut it to 1 at once.
   */
  onRateLimited(now = Date.now(), windowMs = 1000): void {
    if (now - this.#lastDecrease < windowMs) return;
    this.#lastDecrease = now;
    this.#limit = Math.max(1, Math.floor(this.#limit / 2));
    this.#successesSinceChange = 0;
  }

  /** A request went through: after a full window of successes, allow one more in flight. */
  onSuccess(): void {
    if (this.#limit >= this.max) return;
    this.#successesSinceChange++;
    if (this.#successesSinceChange >= this.#limit) {
      this.#limit++;
      this.#successesSinceChange = 0;
      this.#drain();
    }
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#drain();
    };
  }

  #drain(): void {
    while (this.#inFlight < this.#limit && this.#queue.length > 0) {
      const w = this.#queue.shift() as Waiter;
      w.signal?.removeEventListener("abort", w.onAbort);
      this.#inFlight++;
      w.resolve();
    }
  }
}

export function abortedError(signal: AbortSignal | undefined): ModelmapError {
  const reason = signal?.reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? "" : String(reason);
  return new ModelmapError("aborted", `request cancelled${why ? `: ${why}` : ""}`, { cause: reason });
}

/** Sleeps for ms, rejecting with an aborted error as soon as the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
