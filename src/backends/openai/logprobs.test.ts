import assert from "node:assert/strict";
import { test } from "node:test";
import { ModelmapError } from "../../core/errors.ts";
import { AdaptiveLimiter } from "./limiter.ts";
import { codePointLength, promptTokens, scoreContinuation, scoreRolling, splitRequest } from "./logprobs.ts";
import { completionResponseSchema } from "./schemas.ts";
import { parseRetryAfter } from "./transport.ts";

const res = (logprobs: unknown, text: string) => completionResponseSchema.parse({ choices: [{ text, logprobs }] });

test("offsets count code points, as Python servers do", () => {
  assert.equal(codePointLength("a😀b"), 3);
  const { prompt, boundary } = splitRequest("Q: 😀? A: ", "yes");
  assert.equal(prompt, "Q: 😀? A: yes");
  assert.equal(boundary, 8); // "Q: 😀? A:" without the trailing space
});

test("legacy logprobs: continuation tokens from the boundary to the end of the prompt, generated ones ignored", () => {
  const prompt = "The sky is blue";
  const r = res(
    {
      tokens: ["<s>", "The", " sky", " is", " blue", " today"],
      token_logprobs: [null, -1, -2, -3, -4, -5],
      top_logprobs: [null, { The: -1 }, { " sky": -2 }, { " was": -2.5, " is": -3 }, { " blue": -4 }, { " today": -5 }],
      text_offset: [0, 0, 3, 7, 10, 15],
    },
    `${prompt} today`,
  );
  const toks = promptTokens(r, prompt, "s");
  const { boundary } = splitRequest("The sky", " is blue");
  const out = scoreContinuation(toks, boundary, codePointLength(prompt), "s");
  assert.deepEqual(out, { logprob: -7, isGreedy: false, tokenCount: 2, tokenLogprobs: [-3, -4] });
  const last = scoreContinuation(toks, splitRequest("The sky is", " blue").boundary, codePointLength(prompt), "s");
  assert.equal(last.isGreedy, true);
  assert.deepEqual(scoreRolling(toks, codePointLength(prompt)), {
    logprob: -10,
    tokenCount: 4,
    tokenLogprobs: [-1, -2, -3, -4],
  });
});

test("a token that straddles the boundary belongs to the continuation", () => {
  const prompt = "abcdef";
  const r = res({ tokens: ["ab", "cde", "f"], token_logprobs: [null, -1, -2], text_offset: [0, 2, 5] }, prompt);
  const out = scoreContinuation(promptTokens(r, prompt, "s"), 3, 6, "s");
  assert.equal(out.tokenCount, 2);
  assert.equal(out.logprob, -3);
  assert.equal(out.isGreedy, false, "no top_logprobs: cannot claim greedy");
});

test("chat-style content logprobs (llama.cpp server) get offsets from the token texts", () => {
  const prompt = "Hi there";
  const r = res(
    {
      content: [
        { token: "Hi", logprob: -0.5, top_logprobs: [] },
        { token: " there", logprob: -0.25, top_logprobs: [{ token: " there", logprob: -0.25 }] },
      ],
    },
    prompt,
  );
  const out = scoreContinuation(promptTokens(r, prompt, "s"), 2, 8, "s");
  assert.deepEqual(out, { logprob: -0.25, isGreedy: true, tokenCount: 1, tokenLogprobs: [-0.25] });
  const bad = res({ content: [{ token: "Hx", logprob: -1 }] }, prompt);
  assert.throws(() => promptTokens(bad, prompt, "s"), /do not spell the prompt/);
});

test("all-null prompt logprobs are 'unsupported'", () => {
  const r = res({ tokens: ["a", " b"], token_logprobs: [null, null], text_offset: [0, 1] }, "a b");
  assert.throws(
    () => promptTokens(r, "a b", "s"),
    (e: unknown) => e instanceof ModelmapError && e.code === "unsupported",
  );
});

test("Retry-After: seconds, HTTP date, retry-after-ms, garbage", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");
  assert.equal(parseRetryAfter(new Headers({ "retry-after": "3" }), now), 3000);
  assert.equal(parseRetryAfter(new Headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now), 5000);
  assert.equal(parseRetryAfter(new Headers({ "retry-after": "Wed, 31 Dec 2025 00:00:05 GMT" }), now), 0);
  assert.equal(parseRetryAfter(new Headers({ "retry-after-ms": "250", "retry-after": "9" }), now), 250);
  assert.equal(parseRetryAfter(new Headers({ "retry-after": "soon" }), now), undefined);
  assert.equal(parseRetryAfter(new Headers(), now), undefined);
});

test("the limiter halves on 429 and climbs back one step per window of successes", async () => {
  const l = new AdaptiveLimiter(8);
  l.onRateLimited(1000);
  l.onRateLimited(1500);
  assert.equal(l.limit, 4, "a burst of 429s within a second halves once");
  l.onRateLimited(2000);
  assert.equal(l.limit, 2);
  l.onSuccess();
  assert.equal(l.limit, 2);
  l.onSuccess();
  assert.equal(l.limit, 3);
  const r1 = await l.acquire();
  const r2 = await l.acquire();
  const r3 = await l.acquire();
  let fourth = false;
  const p = l.acquire().then((r) => {
    fourth = true;
    return r;
  });
  await new Promise((r) => setImmediate(r));
  assert.equal(fourth, false, "a fourth waits at limit 3");
  r1();
  (await p)();
  r2();
  r3();
  assert.equal(l.inFlight, 0);
  const ctrl = new AbortController();
  for (let i = 0; i < 3; i++) await l.acquire();
  const waiting = l.acquire(ctrl.signal);
  ctrl.abort();
  await assert.rejects(waiting, (e: unknown) => e instanceof ModelmapError && e.code === "aborted");
  assert.equal(l.queued, 0);
});
