/**
 * Canary check for the project's own prompt sets (BIG-bench's idea): a set carries a unique canary string; a
 * model that saw the set in training gives the canary's secret part a far higher likelihood, given its public
 * prefix, than random strings of the same shape. The p-value is the canary's rank among seeded decoys.
 */
import type { Backend } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { createRng } from "../core/rng.ts";
import type { Store } from "../store/store.ts";

export interface CanaryReport {
  version: 1;
  model: string;
  set: string;
  canary: string;
  prefix: string;
  logprob: number;
  decoys: number;
  /** (1 + decoys at least as likely) / (1 + decoys). */
  pValue: number;
  /** Whether greedy decoding from the prefix reproduces the secret part exactly. */
  greedy: boolean;
  flagged: boolean;
}

/** Splits a canary into a public prefix and its secret part: the last whitespace-separated word. */
export function splitCanary(canary: string): { prefix: string; secret: string } {
  const i = canary.trimEnd().lastIndexOf(" ");
  if (i <= 0)
    throw new ModelmapError("input", `canary '${canary}' needs a prefix and a secret part separated by a space`);
  return { prefix: canary.slice(0, i), secret: canary.slice(i) };
}

/** A decoy of the same shape: every hex digit, digit and letter replaced by a random one of its class. */
export function decoyOf(secret: string, rng: ReturnType<typeof createRng>): string {
  const hex = "0123456789abcdef";
  return secret
    .replace(/[0-9a-f]/g, () => hex[rng.int(16)] as string)
    .replace(/[g-z]/g, () => String.fromCharCode(103 + rng.int(20)));
}

export async function runCanary(
  store: Store,
  backend: Backend,
  o: { modelId: string; setName: string; canary: string; decoys?: number; seed?: number; signal?: AbortSignal },
): Promise<CanaryReport> {
  if (!backend.capabilities.loglikelihood)
    throw new ModelmapError(
      "unsupported",
      `model '${o.modelId}' cannot give log-likelihoods, which the canary check needs`,
    );
  const { prefix, secret } = splitCanary(o.canary);
  const rng = createRng(o.seed ?? 1234);
  const n = o.decoys ?? 99;
  const decoys = Array.from({ length: n }, () => decoyOf(secret, rng));
  const opts = o.signal ? { signal: o.signal } : {};
  // One context, many continuations: an in-process engine evaluates the prefix once.
  const rs = await backend.loglikelihood(
    [secret, ...decoys].map((c) => ({ context: prefix, continuation: c })),
    opts,
  );
  const own = rs[0];
  if (!own) throw new ModelmapError("backend", "no result for the canary");
  const atLeast = rs.slice(1).filter((r) => r.logprob >= own.logprob).length;
  const pValue = (1 + atLeast) / (1 + n);
  const report: CanaryReport = {
    version: 1,
    model: o.modelId,
    set: o.setName,
    canary: o.canary,
    prefix,
    logprob: own.logprob,
    decoys: n,
    pValue,
    greedy: own.isGreedy,
    flagged: own.isGreedy || pValue <= 0.01,
  };
  await store.checks.put("contamination", o.modelId, `canary:${o.setName}`, report);
  return report;
}
