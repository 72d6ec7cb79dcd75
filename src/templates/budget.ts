/**
 * The bound on one render of an untrusted Jinja template, shared by every interpreter modelmap runs (chat
 * templates in sandbox.ts, task templates in tasks/jinja.ts). A template cannot run host code, but it can loop
 * for a very long time or build huge strings and lists: `{% for i in range(1000000000) %}x{% endfor %}` in a
 * task's doc_to_text aborted V8 at 2.7 GB. Every evaluation step counts, the clock is read every 256 steps,
 * and sizes are checked before a list or string is allocated where the size is known in advance (range(),
 * repetition) and after every value otherwise.
 */

export interface RenderLimits {
  /** Maximum evaluation steps (AST nodes) per render. */
  maxSteps: number;
  /** Wall-clock budget per render, in milliseconds (checked every 256 steps). */
  maxMillis: number;
  /** Maximum length (UTF-16 code units) of any string a template builds, the output included. */
  maxOutputChars: number;
  /** Maximum length of any list a template builds (range(), concatenation, filters). */
  maxItems: number;
}

export const DEFAULT_LIMITS: RenderLimits = {
  maxSteps: 2_000_000,
  maxMillis: 2_000,
  maxOutputChars: 4_000_000,
  maxItems: 100_000,
};

/** A render went over one of its limits; the message says which. */
export class LimitExceeded extends Error {}

export class RenderBudget {
  readonly limits: RenderLimits;
  steps = 0;
  private readonly deadline: number;

  constructor(limits: Partial<RenderLimits> = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    this.deadline = Date.now() + this.limits.maxMillis;
  }

  /** One evaluation step. */
  tick(): void {
    this.steps++;
    if (this.steps > this.limits.maxSteps)
      throw new LimitExceeded(`rendering took more than ${this.limits.maxSteps} steps (an endless loop?)`);
    if ((this.steps & 255) === 0 && Date.now() > this.deadline)
      throw new LimitExceeded(`rendering took more than ${this.limits.maxMillis} ms`);
  }

  /** Before building a list of `n` items. */
  items(n: number): void {
    if (n > this.limits.maxItems)
      throw new LimitExceeded(`the template built a list of ${n} items (limit ${this.limits.maxItems})`);
  }

  /** Before building a string of `n` characters. */
  chars(n: number): void {
    if (n > this.limits.maxOutputChars)
      throw new LimitExceeded(`the template built a string of ${n} characters (limit ${this.limits.maxOutputChars})`);
  }

  /** After a value was produced: strings and lists within the limits. */
  check<T>(v: T): T {
    if (typeof v === "string") this.chars(v.length);
    else if (Array.isArray(v)) this.items(v.length);
    return v;
  }

  /** Before `x * n`: the size of a repeated string or list. */
  repetition(a: unknown, b: unknown): void {
    const [seq, n] = typeof b === "number" ? [a, b] : [b, a];
    if (typeof n !== "number" || n <= 0) return;
    if (typeof seq === "string") this.chars(seq.length * n);
    else if (Array.isArray(seq)) this.items(seq.length * n);
  }

  /** Before Python's range(start, stop, step) is built: its length within the item limit. */
  rangeSize(start: number, stop: number, step: number): number {
    if (![start, stop, step].every(Number.isFinite)) throw new Error("range() expects finite numbers");
    if (step === 0) throw new Error("range() step must not be zero");
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > this.limits.maxItems)
      throw new LimitExceeded(`range() of ${count} items (limit ${this.limits.maxItems})`);
    return count;
  }

  /** Python's range(), counted before anything is allocated. */
  range(start: number, stop?: number, step = 1): number[] {
    const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
    const count = this.rangeSize(lo, hi, step);
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push(lo + i * step);
    return out;
  }
}
