import assert from "node:assert/strict";
import { test } from "node:test";
import { safeEqual, token } from "./tokens.ts";

test("tokens have the asked number of random bytes, URL-safe, and do not repeat across pool refills", () => {
  const seen = new Set<string>();
  // 3,000 tokens of 12 bytes run through the 4 KiB pool nine times; one of 5,000 bytes is larger than a pool.
  for (let i = 0; i < 3000; i++) {
    const t = token(12);
    assert.match(t, /^[A-Za-z0-9_-]{16}$/);
    assert.equal(Buffer.from(t, "base64url").length, 12);
    seen.add(t);
  }
  assert.equal(seen.size, 3000);
  assert.equal(Buffer.from(token(5000), "base64url").length, 5000);
  assert.equal(token().length, 24); // 18 bytes by default
  // Not all zero: a used (zeroed) part of the pool is never handed out again.
  for (let i = 0; i < 400; i++) assert.notEqual(token(12), "AAAAAAAAAAAAAAAA");
});

test("safeEqual compares strings of any lengths", () => {
  assert.equal(safeEqual("abc", "abc"), true);
  assert.equal(safeEqual("abc", "abd"), false);
  assert.equal(safeEqual("abc", "abcd"), false);
});
