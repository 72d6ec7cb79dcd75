/**
 * Sends batches to the backend with its concurrency. Each finished batch is written to the cache in one
 * transaction before anything else happens, so a kill -9 loses at most the batches in flight. A request that fails
 * (after the backend's own retries, the only retry layer) becomes one per-sample error, not a crashed run.
 */
import { type Backend, BatchFailure, type LoglikelihoodResult, type RollingResult } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import type { EvalRepo } from "../store/evals.ts";
import type { PlannedRequest } from "../tasks/instance.ts";
import type { Batch } from "./plan.ts";

export type RequestOutcome =
  | { ok: true; value: unknown; ms: number; cached: boolean }
  | { ok: false; error: string; reason: string; ms: number };

/** Why a request failed, for counting: the error's code where it has one. */
export function failureReason(e: unknown): string {
  return e instanceof ModelmapError ? e.code : "error";
}

export interface ExecStats {
  backendMs: number;
  requestsSent: number;
  batches: number;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * Sends one batch and says how each request ended. Generation goes one request at a time, so each ends on its
 * own. Scoring goes as one call: a BatchFailure says which requests failed (after the backend's own retries);
 * any other failure of a call of several requests is isolated by sending them one at a time, which is not a
 * retry of a request known to have failed (the openai backend never throws that way for several).
 */
async function callBatch(
  backend: Backend,
  kind: PlannedRequest["kind"],
  reqs: PlannedRequest[],
  signal: AbortSignal | undefined,
): Promise<Outcome[]> {
  const opts = signal ? { signal } : {};
  if (kind === "generate") {
    const out: Outcome[] = [];
    for (const r of reqs) {
      if (r.kind !== "generate") throw new ModelmapError("internal", "mixed batch");
      try {
        const g = await backend.generate(r.prompt, r.params, opts);
        if (g.finishReason === "error") throw new ModelmapError("backend", "generation failed");
        out.push({
          ok: true,
          value: { text: g.text, finishReason: g.finishReason, completionTokens: g.usage.completionTokens },
        });
      } catch (e) {
        if (signal?.aborted) throw e;
        out.push({ ok: false, error: asError(e) });
      }
    }
    return out;
  }
  try {
    return check(await scoreBatch(backend, kind, reqs, opts), reqs.length).map((value) => ({ ok: true, value }));
  } catch (e) {
    if (signal?.aborted) throw e;
    if (e instanceof BatchFailure && e.settled.length === reqs.length)
      return e.settled.map((s) => (s.ok ? { ok: true, value: project(kind, s.value) } : s));
    if (reqs.length === 1) return [{ ok: false, error: asError(e) }];
  }
  // Isolate the failure: one request at a time.
  const out: Outcome[] = [];
  for (const r of reqs) {
    try {
      out.push({ ok: true, value: check(await scoreBatch(backend, kind, [r], opts), 1)[0] });
    } catch (e) {
      if (signal?.aborted) throw e;
      out.push({ ok: false, error: asError(e) });
    }
  }
  return out;
}

function project(kind: PlannedRequest["kind"], r: unknown): unknown {
  if (kind === "loglikelihood") {
    const v = r as LoglikelihoodResult;
    return { logprob: v.logprob, isGreedy: v.isGreedy, tokenCount: v.tokenCount };
  }
  const v = r as RollingResult;
  return { logprob: v.logprob, tokenCount: v.tokenCount };
}

async function scoreBatch(
  backend: Backend,
  kind: PlannedRequest["kind"],
  reqs: PlannedRequest[],
  opts: { signal?: AbortSignal },
): Promise<unknown[]> {
  if (kind === "loglikelihood") {
    const rs = await backend.loglikelihood(
      reqs.map((r) => {
        if (r.kind !== "loglikelihood") throw new ModelmapError("internal", "mixed batch");
        return { context: r.context, continuation: r.continuation };
      }),
      opts,
    );
    return rs.map((r) => project(kind, r));
  }
  const rs = await backend.loglikelihoodRolling(
    reqs.map((r) => (r.kind === "rolling" ? r.text : "")),
    opts,
  );
  return rs.map((r) => project(kind, r));
}

function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}

function check(values: unknown[], n: number): unknown[] {
  if (values.length !== n)
    throw new ModelmapError("backend", `backend returned ${values.length} results for ${n} requests`);
  return values;
}

export async function executeBatches(
  backend: Backend,
  repo: EvalRepo,
  runId: string,
  batches: Batch[],
  outcomes: Map<string, RequestOutcome>,
  stats: ExecStats,
  signal: AbortSignal | undefined,
  onBatch: (done: number) => void,
): Promise<void> {
  let next = 0;
  const concurrency = Math.max(1, Math.floor(backend.capabilities.concurrency || 1));
  const worker = async () => {
    while (next < batches.length) {
      if (signal?.aborted) throw new ModelmapError("aborted", "interrupted; run the same command again to resume");
      const b = batches[next++] as Batch;
      const t0 = performance.now();
      let outcomesOfBatch: Outcome[];
      try {
        outcomesOfBatch = await callBatch(backend, b.kind, b.requests, signal);
      } catch (e) {
        stats.backendMs += performance.now() - t0;
        if (signal?.aborted) throw new ModelmapError("aborted", "interrupted; run the same command again to resume");
        throw e;
      }
      const ms = performance.now() - t0;
      stats.backendMs += ms;
      const done: Array<{ key: string; value: string }> = [];
      const failed: Array<{ key: string; message: string; reason: string }> = [];
      b.keys.forEach((k, i) => {
        const o = outcomesOfBatch[i] ?? { ok: false, error: new Error("no result") };
        if (o.ok) {
          const value = JSON.stringify(o.value);
          done.push({ key: k, value });
          // Scored as stored: a rerun reads the value back from the cache, and must score exactly what this run did
          // (JSON has no NaN, -0 or undefined).
          outcomes.set(k, { ok: true, value: JSON.parse(value), ms: ms / b.keys.length, cached: false });
        } else {
          const text = o.error.message || String(o.error);
          // The hint travels with the message: it is what the summary and `runs show` print.
          const message = o.error instanceof ModelmapError && o.error.hint ? `${text} (hint: ${o.error.hint})` : text;
          const reason = failureReason(o.error);
          failed.push({ key: k, message, reason });
          outcomes.set(k, { ok: false, error: message, reason, ms: ms / b.keys.length });
        }
      });
      if (done.length > 0) await repo.cachePut(runId, done);
      if (failed.length > 0) await repo.recordErrors(runId, failed);
      stats.requestsSent += b.keys.length;
      stats.batches++;
      onBatch(b.keys.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
}
