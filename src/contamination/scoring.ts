/**
 * Rolling log-likelihoods for contamination checks through the harness's persistent request cache (eval_cache),
 * so a repeated check, or one that was interrupted, sends nothing the store already holds. Texts are sent sorted,
 * so that an in-process engine that keeps its KV cache between requests (llama-cpp's node-llama-cpp fallback; its
 * native scorer decodes each window whole) reuses shared prefixes: shuffled orders that start with the same items,
 * and items that start with the same words.
 */
import type { Backend, RollingResult } from "../backends/types.ts";
import { hashOf } from "../core/hash.ts";
import { modelKey } from "../runner/plan.ts";
import type { EvalRepo } from "../store/evals.ts";

export interface RollingDetail {
  logprob: number;
  tokenCount: number;
  tokenLogprobs?: number[];
  tokenStats?: Array<{ mean: number; variance: number }>;
}

export interface ScoringStats {
  /** Texts asked for; texts served without sending (from the cache, or duplicates of another text); texts sent. */
  requested: number;
  cached: number;
  sent: number;
  /** Tokens a naive scorer would evaluate for the sent texts: every text from scratch (naiveRollingTokens). */
  naiveTokens: number;
  /** Tokens the engine reports it evaluated (llama-cpp), else null. */
  evaluatedTokens: number | null;
}

/** The harness's cache keeps results under this pseudo run id's error scope (errors are never cached). */
const CACHE_SCOPE = "contamination";

/**
 * Tokens a scorer that reuses nothing evaluates for one text of `t` tokens: BOS + t - 1 inputs when it fits
 * the context `l`, else lm-evaluation-harness's disjoint rolling windows of `l` inputs each.
 */
export function naiveRollingTokens(t: number, l: number | null): number {
  if (l === null || t <= l) return t;
  return Math.ceil(t / l) * l;
}

function contextSizeOf(b: Backend): number | null {
  const v = (b as unknown as { contextSize?: unknown }).contextSize;
  return typeof v === "number" && v > 0 ? v : null;
}

function tokensEvaluated(b: Backend): number | null {
  const v = (b as unknown as { tokensEvaluated?: unknown }).tokensEvaluated;
  return typeof v === "number" ? v : null;
}

export class RollingScorer {
  readonly stats: ScoringStats = { requested: 0, cached: 0, sent: 0, naiveTokens: 0, evaluatedTokens: null };
  private readonly model: Record<string, string>;

  constructor(
    private readonly backend: Backend,
    private readonly repo: EvalRepo,
    private readonly batchSize = 64,
    /** Send texts sorted (prefix reuse); false keeps the given order (the benchmark's baseline). */
    private readonly sorted = true,
  ) {
    this.model = modelKey(backend.identity);
  }

  private key(text: string, detail: boolean): string {
    return hashOf({
      v: 1,
      kind: detail ? "contamination-rolling-detail" : "contamination-rolling",
      model: this.model,
      text,
    });
  }

  /** Called with the number of texts done (served from the cache or scored) as they finish. */
  onScored: ((n: number) => void) | undefined;

  /** Scores every text; `detail` keeps per-token arrays (Min-K%), otherwise only totals are stored. */
  async score(texts: readonly string[], detail: boolean, signal?: AbortSignal): Promise<RollingDetail[]> {
    const keys = texts.map((t) => this.key(t, detail));
    const found = await this.repo.cacheGet([...new Set(keys)]);
    const out = new Map<string, RollingDetail>();
    for (const [k, v] of found) out.set(k, JSON.parse(v) as RollingDetail);
    this.stats.requested += texts.length;
    const todo = new Map<string, string>();
    texts.forEach((t, i) => {
      const k = keys[i] as string;
      if (!out.has(k)) todo.set(k, t);
    });
    this.stats.cached += texts.length - todo.size;
    this.onScored?.(texts.length - todo.size);
    const order = [...todo.entries()];
    if (this.sorted) order.sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    for (let i = 0; i < order.length; i += this.batchSize) {
      const part = order.slice(i, i + this.batchSize);
      const before = tokensEvaluated(this.backend);
      const rs: RollingResult[] = await this.backend.loglikelihoodRolling(
        part.map((p) => p[1]),
        { ...(signal ? { signal } : {}), tokenStats: detail },
      );
      const after = tokensEvaluated(this.backend);
      if (before !== null && after !== null)
        this.stats.evaluatedTokens = (this.stats.evaluatedTokens ?? 0) + after - before;
      const entries: Array<{ key: string; value: string }> = [];
      part.forEach(([k], j) => {
        const r = rs[j] as RollingResult;
        const d: RollingDetail = { logprob: r.logprob, tokenCount: r.tokenCount };
        if (detail && r.tokenLogprobs) d.tokenLogprobs = r.tokenLogprobs;
        if (detail && r.tokenStats) d.tokenStats = r.tokenStats;
        this.stats.naiveTokens += naiveRollingTokens(r.tokenCount, contextSizeOf(this.backend));
        const value = JSON.stringify(d);
        // Used as stored: a repeated check reads it back from the cache and must compute the same report.
        out.set(k, JSON.parse(value) as RollingDetail);
        entries.push({ key: k, value });
      });
      await this.repo.cachePut(CACHE_SCOPE, entries);
      this.stats.sent += part.length;
      this.onScored?.(part.length);
    }
    return keys.map((k) => out.get(k) as RollingDetail);
  }
}
