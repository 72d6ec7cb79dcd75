/**
 * Sends batches to the backend with its concurrency. Each finished batch is written to the cache in one
 * transaction before anything else happens, so a kill -9 loses at most the batches in flight. A failing batch is
 * retried request by request so that one bad item becomes one per-sample error, not a crashed run.
 */
import type { Backend } from "../backends/types.ts";
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

async function callBatch(
  backend: Backend,
  kind: PlannedRequest["kind"],
  reqs: PlannedRequest[],
  signal: AbortSignal | undefined,
): Promise<unknown[]> {
  const opts = signal ? { signal } : {};
  if (kind === "loglikelihood") {
    const rs = await backend.loglikelihood(
      reqs.map((r) => {
        if (r.kind !== "loglikelihood") throw new ModelmapError("internal", "mixed batch");
        return { context: r.context, continuation: r.continuation };
      }),
      opts,
    );
    return rs.map((r) => ({ logprob: r.logprob, isGreedy: r.isGreedy, tokenCount: r.tokenCount }));
  }
  if (kind === "rolling") {
    const rs = await backend.loglikelihoodRolling(
      reqs.map((r) => (r.kind === "rolling" ? r.text : "")),
      opts,
    );
    return rs.map((r) => ({ logprob: r.logprob, tokenCount: r.tokenCount }));
  }
  const out: unknown[] = [];
  for (const r of reqs) {
    if (r.kind !== "generate") throw new ModelmapError("internal", "mixed batch");
    const g = await backend.generate(r.prompt, r.params, opts);
    if (g.finishReason === "error") throw new ModelmapError("backend", "generation failed");
    out.push({ text: g.text, finishReason: g.finishReason, completionTokens: g.usage.completionTokens });
  }
  return out;
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
      try {
        const values = check(await callBatch(backend, b.kind, b.requests, signal), b.keys.length);
        const ms = performance.now() - t0;
        stats.backendMs += ms;
        await repo.cachePut(
          runId,
          b.keys.map((k, i) => ({ key: k, value: JSON.stringify(values[i]) })),
        );
        b.keys.forEach((k, i) => {
          outcomes.set(k, { ok: true, value: values[i], ms: ms / b.keys.length, cached: false });
        });
      } catch (e) {
        stats.backendMs += performance.now() - t0;
        if (signal?.aborted) throw new ModelmapError("aborted", "interrupted; run the same command again to resume");
        // Isolate the failure: one request at a time.
        for (const [i, k] of b.keys.entries()) {
          const t1 = performance.now();
          try {
            const v = check(await callBatch(backend, b.kind, [b.requests[i] as PlannedRequest], signal), 1);
            const ms = performance.now() - t1;
            stats.backendMs += ms;
            await repo.cachePut(runId, [{ key: k, value: JSON.stringify(v[0]) }]);
            outcomes.set(k, { ok: true, value: v[0], ms, cached: false });
          } catch (e2) {
            const ms = performance.now() - t1;
            stats.backendMs += ms;
            if (signal?.aborted)
              throw new ModelmapError("aborted", "interrupted; run the same command again to resume");
            const text = (e2 as Error).message || String(e2) || (e as Error).message;
            // The hint travels with the message: it is what the summary and `runs show` print.
            const message = e2 instanceof ModelmapError && e2.hint ? `${text} (hint: ${e2.hint})` : text;
            const reason = failureReason(e2);
            await repo.recordErrors(runId, [{ key: k, message, reason }]);
            outcomes.set(k, { ok: false, error: message, reason, ms });
          }
        }
      }
      stats.requestsSent += b.keys.length;
      stats.batches++;
      onBatch(b.keys.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
}
