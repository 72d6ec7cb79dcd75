/** Session and assignment tokens: random, URL-safe, compared in constant time, stored only as hashes. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Random bytes drawn 4 KiB at a time from the CSPRNG, as Node's randomUUID draws its own: a labeling server makes a
 * token for every assignment, and a call of randomBytes each cost more than the rest of making the assignment id.
 * A token's bytes are zeroed once used.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

export function token(bytes = 18): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    used = 0;
  }
  const t = pool.toString("base64url", used, used + bytes);
  pool.fill(0, used, used + bytes);
  used += bytes;
  return t;
}

export const hashToken = (t: string): string => createHash("sha256").update(t).digest("hex");

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
