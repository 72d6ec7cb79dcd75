/** Session and assignment tokens: random, URL-safe, compared in constant time, stored only as hashes. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export const token = (bytes = 18): string => randomBytes(bytes).toString("base64url");
export const hashToken = (t: string): string => createHash("sha256").update(t).digest("hex");

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
