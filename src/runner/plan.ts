/**
 * Request planning: cache keys that capture everything that changes an answer, merging of identical requests,
 * and an order that suits the backend (longest first, all choices of one context side by side so an in-process
 * engine evaluates each context once).
 */
import type { ModelIdentity } from "../backends/types.ts";
import { hashOf } from "../core/hash.ts";
import type { PlannedRequest } from "../tasks/instance.ts";

/** The part of a model's identity that changes answers (not the configured id: two ids may share one file). */
export function modelKey(id: ModelIdentity): Record<string, string> {
  const k: Record<string, string> = { backend: id.backend, name: id.name };
  if (id.fileSha256) k.fileSha256 = id.fileSha256;
  if (id.endpoint) k.endpoint = id.endpoint;
  return k;
}

/** Cache key of one request: model identity, the rendered request, its parameters and the repeat index. */
export function requestKey(model: Record<string, string>, req: PlannedRequest, repeat = 0): string {
  return hashOf({ v: 1, model, req, repeat });
}

function lengthOf(r: PlannedRequest): number {
  switch (r.kind) {
    case "loglikelihood":
      return r.context.length + r.continuation.length;
    case "generate":
      return r.prompt.length;
    case "rolling":
      return r.text.length;
  }
}

function groupOf(r: PlannedRequest): string {
  return r.kind === "loglikelihood" ? r.context : r.kind === "generate" ? r.prompt : r.text;
}

export interface Batch {
  kind: PlannedRequest["kind"];
  keys: string[];
  requests: PlannedRequest[];
}

/**
 * Orders pending requests and cuts them into batches. Deterministic (ties broken by key) so a resumed run sends
 * the same batches. A context's choices never straddle two batches.
 */
export function makeBatches(pending: Map<string, PlannedRequest>, maxBatch: number): Batch[] {
  const byKind = new Map<PlannedRequest["kind"], Array<[string, PlannedRequest]>>();
  for (const e of pending) {
    const list = byKind.get(e[1].kind) ?? [];
    list.push(e);
    byKind.set(e[1].kind, list);
  }
  const out: Batch[] = [];
  for (const kind of ["loglikelihood", "rolling", "generate"] as const) {
    const list = byKind.get(kind);
    if (!list) continue;
    // Longest context first (memory problems show early), grouped by context, then by key.
    const groups = new Map<string, Array<[string, PlannedRequest]>>();
    for (const e of list) {
      const g = groupOf(e[1]);
      const arr = groups.get(g) ?? [];
      arr.push(e);
      groups.set(g, arr);
    }
    const ordered = [...groups.entries()].sort((a, b) => {
      const la = Math.max(...a[1].map((x) => lengthOf(x[1])));
      const lb = Math.max(...b[1].map((x) => lengthOf(x[1])));
      return lb - la || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    });
    const size = kind === "generate" ? 1 : maxBatch;
    let cur: Batch = { kind, keys: [], requests: [] };
    for (const [, members] of ordered) {
      members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      if (cur.keys.length > 0 && cur.keys.length + members.length > size) {
        out.push(cur);
        cur = { kind, keys: [], requests: [] };
      }
      for (const [k, r] of members) {
        cur.keys.push(k);
        cur.requests.push(r);
      }
    }
    if (cur.keys.length > 0) out.push(cur);
  }
  return out;
}
