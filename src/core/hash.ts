import { createHash } from "node:crypto";

/** sha256 hex of a string or bytes. */
export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A stable JSON encoding (sorted keys) so that equal values hash equally. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** Content hash of any JSON-able value. */
export function hashOf(value: unknown): string {
  return sha256(stableStringify(value));
}

/** Short hash for display and ids. */
export function shortHash(value: unknown, len = 12): string {
  return hashOf(value).slice(0, len);
}
