import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  expectedLoglikelihood,
  type Fault,
  type FaultServer,
  type SeenRequest,
  startFaultServer,
} from "../../../test/support/fault-server.ts";
import { ModelmapError } from "../../core/errors.ts";
import { createRng } from "../../core/rng.ts";
import { BatchFailure } from "../types.ts";
import { OpenAIBackend } from "./backend.ts";
import type { OpenAIBackendOptions } from "./options.ts";

// Small timings so that retries and timeouts happen quickly; no assertion depends on speed except lower bounds
// that a correct client cannot undercut (waiting at least what Retry-After asked).
const FAST = { backoffBaseMs: 5, backoffMaxMs: 40, timeoutMs: 400, maxRetries: 4 } as const;

const servers: FaultServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function server(script?: (n: number, req: SeenRequest) => Fault): Promise<FaultServer> {
  const s = await startFaultServer(script ? { script } : {});
  servers.push(s);
  return s;
}

function backend(urls: string[], extra: Partial<OpenAIBackendOptions> = {}): OpenAIBackend {
  return new OpenAIBackend({ id: "toy", model: "toy", baseUrls: urls, ...FAST, ...extra });
}

const REQ = { context: "The capital of France is ", continuation: "Paris, a city" };

async function rejection(p: Promise<unknown>): Promise<ModelmapError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ModelmapError, `expected a ModelmapError, got ${String(e)}`);
    return e;
  }
  assert.fail("expected the call to fail");
}

describe("openai backend: results", () => {
  test("loglikelihood splits at the character boundary, moving the context's trailing space", async () => {
    const s = await server();
    const [r] = await backend([s.url]).loglikelihood([REQ]);
    const want = expectedLoglikelihood(REQ.context, REQ.continuation);
    assert.ok(r);
    assert.equal(r.tokenCount, 3); // " Paris,", " a", " city"
    assert.ok(Math.abs(r.logprob - want.logprob) < 1e-12, `${r.logprob} vs ${want.logprob}`);
    assert.equal(r.isGreedy, want.isGreedy);
    assert.equal(r.tokenLogprobs?.length, 3);
    const body = s.requests[0]?.body;
    assert.equal(body?.echo, true);
    assert.equal(body?.max_tokens, 0);
    assert.equal(body?.prompt, REQ.context + REQ.continuation);
  });

  test("isGreedy is true only when every continuation token is the argmax", async () => {
    const s = await server();
    const b = backend([s.url]);
    // " cat" (4 chars) loses to an alternative; " dog." (5) and " big" ... odd lengths win.
    const [greedy, notGreedy] = await b.loglikelihood([
      { context: "A", continuation: " dog" },
      { context: "A", continuation: " cat!" },
    ]);
    assert.equal(greedy?.isGreedy, false); // " dog" has 4 characters
    assert.equal(notGreedy?.isGreedy, true); // " cat!" has 5
  });

  test("falls back to max_tokens 1 where the server rejects 0, ignoring the generated token", async () => {
    const s = await server(() => ({ kind: "reject-max-tokens-0" }));
    const b = backend([s.url]);
    const [r] = await b.loglikelihood([REQ]);
    const want = expectedLoglikelihood(REQ.context, REQ.continuation);
    assert.ok(Math.abs((r?.logprob ?? 0) - want.logprob) < 1e-12);
    assert.equal(r?.tokenCount, want.tokenCount);
    await b.loglikelihood([REQ]);
    assert.deepEqual(
      s.requests.map((q) => q.body?.max_tokens),
      [0, 1, 1],
      "the fallback is learned once",
    );
  });

  test("rolling log-likelihood sums every scored prompt token", async () => {
    const s = await server();
    const [r] = await backend([s.url]).loglikelihoodRolling(["one two three four"]);
    assert.equal(r?.tokenCount, 3);
    const want = -(0.1 * 4 + 0.01) - (0.1 * 6 + 0.02) - (0.1 * 5 + 0.03);
    assert.ok(Math.abs((r?.logprob ?? 0) - want) < 1e-12);
  });

  test("chat and completion send the sampling parameters and the API key", async () => {
    const s = await server();
    const b = backend([s.url], { apiKey: "sk-test" });
    const chat = await b.generate([{ role: "user", content: "hi" }], {
      maxTokens: 5,
      temperature: 0,
      topK: 3,
      stop: ["\n"],
    });
    assert.equal(chat.text, "echo: hi");
    assert.equal(chat.finishReason, "stop");
    assert.deepEqual(chat.usage, { promptTokens: 3, completionTokens: 2 });
    const done = await b.generate("Hello", { maxTokens: 1 });
    assert.equal(done.text, " x");
    assert.equal(done.finishReason, "length");
    assert.equal(done.promptAsSent, "Hello");
    assert.deepEqual(await b.listModels(), ["toy"]);
    const [c0] = s.requests;
    assert.equal(c0?.path, "/v1/chat/completions");
    assert.deepEqual(c0?.body, {
      model: "toy",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 5,
      temperature: 0,
      top_k: 3,
      stop: ["\n"],
    });
    assert.ok(s.requests.every((q) => q.authorization === "Bearer sk-test"));
  });
});

describe("openai backend: faults end as results or errors with reasons", () => {
  test("429 with Retry-After in seconds: waits, lowers concurrency, then succeeds", async () => {
    const s = await server((n) => (n === 0 ? { kind: "status", status: 429, retryAfter: "1" } : { kind: "ok" }));
    const b = backend([s.url], { concurrency: 8 });
    const [r] = await b.loglikelihood([REQ]);
    assert.equal(r?.tokenCount, 3);
    const [first, second] = s.requests;
    assert.ok(first && second);
    assert.ok(second.at - first.at >= 990, `retried after ${second.at - first.at} ms, Retry-After said 1 s`);
    assert.equal(b.transport.stats.rateLimited, 1);
    assert.equal(b.transport.limiter.limit, 4, "a 429 halves the concurrency limit");
    await b.loglikelihood(Array.from({ length: 30 }, () => REQ));
    assert.equal(b.transport.limiter.limit, 8, "successes bring it back to the configured maximum");
  });

  test("a burst of 429s halves the limit once, and every request still ends with a result", async () => {
    const s = await server((n) =>
      n < 16 ? { kind: "status", status: 429, retryAfter: "0" } : { kind: "ok", delayMs: 10 },
    );
    const b = backend([s.url], { concurrency: 16 });
    const out = await b.loglikelihood(Array.from({ length: 16 }, () => REQ));
    assert.equal(out.length, 16);
    assert.equal(b.transport.stats.rateLimited, 16);
    assert.ok(b.transport.limiter.limit >= 8, `limit ${b.transport.limiter.limit}`);
  });

  test("429 with Retry-After as an HTTP date is honoured", async () => {
    let first = 0;
    const s = await server((n) => {
      if (n > 0) return { kind: "ok" };
      first = Date.now();
      return { kind: "status", status: 429, retryAfter: new Date(Date.now() + 2000).toUTCString() };
    });
    await backend([s.url]).loglikelihood([REQ]);
    const gap = (s.requests[1]?.at ?? 0) - first;
    // HTTP dates have whole seconds, so the wait is between 1 and 2 s.
    assert.ok(gap >= 990, `retried after ${gap} ms`);
  });

  test("a Retry-After longer than allowed fails at once as rate_limited", async () => {
    const s = await server(() => ({ kind: "status", status: 429, retryAfter: "3600" }));
    const e = await rejection(backend([s.url], { maxRetryAfterMs: 10_000 }).loglikelihood([REQ]));
    assert.equal(e.code, "rate_limited");
    assert.match(e.message, /wait 3600 s/);
    assert.equal(s.requests.length, 1);
  });

  test("500 and 503 are retried; a server that keeps failing gives an error naming status and attempts", async () => {
    const s = await server((n) =>
      n === 0 ? { kind: "status", status: 500 } : n === 1 ? { kind: "status", status: 503 } : { kind: "ok" },
    );
    const b = backend([s.url]);
    const [r] = await b.loglikelihood([REQ]);
    assert.equal(r?.tokenCount, 3);
    assert.equal(s.requests.length, 3);
    s.setScript(() => ({ kind: "status", status: 502 }));
    const e = await rejection(b.loglikelihood([REQ]));
    assert.equal(e.code, "backend");
    assert.match(e.message, /HTTP 502 .*fault 502.*gave up after 5 attempts/);
  });

  test("slow responses time out and are retried; a hanging server ends as a timeout error", async () => {
    const s = await server((n) => (n === 0 ? { kind: "hang" } : { kind: "ok" }));
    const b = backend([s.url], { timeoutMs: 200 });
    const [r] = await b.loglikelihood([REQ]);
    assert.equal(r?.tokenCount, 3);
    s.setScript(() => ({ kind: "ok", delayMs: 5000 }));
    const e = await rejection(b.loglikelihood([REQ]));
    assert.match(e.message, /timed out after 200 ms.*gave up after 5 attempts/);
    // The timeout covers the body too: headers arrive, the rest of the body never does.
    s.setScript(() => ({ kind: "slow-body" }));
    const e2 = await rejection(b.loglikelihood([REQ]));
    assert.match(e2.message, /timed out after 200 ms.*gave up after 5 attempts/);
  });

  test("dropped connections, before or during the body, are retried", async () => {
    const s = await server((n) => (n === 0 ? { kind: "drop" } : n === 1 ? { kind: "drop-mid-body" } : { kind: "ok" }));
    const b = backend([s.url]);
    const [r] = await b.loglikelihood([REQ]);
    assert.equal(r?.tokenCount, 3);
    s.setScript(() => ({ kind: "drop" }));
    const e = await rejection(b.loglikelihood([REQ]));
    assert.match(e.message, /connection failed/);
  });

  test("truncated JSON is retried, then reported with the parse error", async () => {
    const s = await server(() => ({ kind: "truncated-json" }));
    const e = await rejection(backend([s.url], { maxRetries: 1 }).loglikelihood([REQ]));
    assert.equal(e.code, "backend");
    assert.match(e.message, /invalid JSON/);
    assert.equal(s.requests.length, 2);
  });

  test("JSON of the wrong shape is an error naming the field, not retried", async () => {
    const s = await server(() => ({ kind: "wrong-json" }));
    const e = await rejection(backend([s.url]).generate([{ role: "user", content: "x" }], {}));
    assert.equal(e.code, "backend");
    assert.match(e.message, /unexpected response shape: choices\.0\.message/);
    assert.equal(s.requests.length, 1);
  });

  test("more choices than asked for is a response-shape error for every call, not retried and never scored", async () => {
    const s = await server(() => ({ kind: "extra-choices" }));
    const b = backend([s.url]);
    const calls: Array<[string, Promise<unknown>]> = [
      ["chat", b.generate([{ role: "user", content: "x" }], {})],
      ["completion", b.generate("Say x", {})],
      ["loglikelihood", b.loglikelihood([REQ])],
      ["rolling", b.loglikelihoodRolling(["some text here"])],
    ];
    for (const [what, p] of calls) {
      const e = await rejection(p);
      assert.equal(e.code, "backend", what);
      assert.match(e.message, /unexpected response shape: choices: expected exactly one choice/, what);
    }
    assert.equal(s.requests.length, calls.length);
  });

  test("a batch against a server that always fails: every request gets exactly 1 + maxRetries attempts", async () => {
    const s = await server(() => ({ kind: "status", status: 500 }));
    const b = backend([s.url], { maxRetries: 2, concurrency: 3 });
    const reqs = Array.from({ length: 7 }, (_, i) => ({ context: `Question ${i}: `, continuation: "yes" }));
    const e = await rejection(b.loglikelihood(reqs));
    assert.ok(e instanceof BatchFailure);
    assert.equal(e.settled.length, 7);
    for (const one of e.settled) {
      assert.equal(one.ok, false);
      if (!one.ok) assert.match(one.error.message, /HTTP 500.*gave up after 3 attempts/);
    }
    const perPrompt = new Map<unknown, number>();
    for (const r of s.requests) perPrompt.set(r.body?.prompt, (perPrompt.get(r.body?.prompt) ?? 0) + 1);
    assert.equal(perPrompt.size, 7);
    assert.deepEqual([...perPrompt.values()], Array(7).fill(3));
    // One bad request of a batch does not cancel the others: they finish and come back with the failure.
    s.setScript((_, req) =>
      String(req.body?.prompt).startsWith("Question 3") ? { kind: "status", status: 500 } : { kind: "ok" },
    );
    const e2 = await rejection(b.loglikelihood(reqs));
    assert.ok(e2 instanceof BatchFailure);
    assert.deepEqual(
      e2.settled.map((x) => x.ok),
      [true, true, true, false, true, true, true],
    );
  });

  test("a server without prompt logprobs gives 'unsupported' naming the alternative", async () => {
    for (const kind of ["no-logprobs", "no-echo"] as const) {
      const s = await server(() => ({ kind }));
      const e = await rejection(backend([s.url]).loglikelihood([REQ]));
      assert.equal(e.code, "unsupported", kind);
      assert.match(e.message, /no prompt log-probabilities/);
      assert.match(e.hint ?? "", /llama-cpp backend.*GGUF.*vLLM/);
    }
  });

  test("probeLoglikelihood tells whether the server returns prompt logprobs", async () => {
    const good = await server();
    assert.deepEqual(await backend([good.url]).probeLoglikelihood(), { supported: true });
    const bad = await server(() => ({ kind: "no-logprobs" }));
    const probe = await backend([bad.url]).probeLoglikelihood();
    assert.equal(probe.supported, false);
    assert.match(probe.reason ?? "", /no prompt log-probabilities/);
    const down = await server(() => ({ kind: "status", status: 401 }));
    await assert.rejects(backend([down.url]).probeLoglikelihood(), /HTTP 401/);
  });

  test("401 is an auth error and not retried", async () => {
    const s = await server(() => ({ kind: "status", status: 401 }));
    const e = await rejection(backend([s.url]).generate("x", {}));
    assert.equal(e.code, "auth");
    assert.equal(s.requests.length, 1);
  });
});

describe("openai backend: cancellation, limits, balancing", () => {
  test("aborting cancels an in-flight request and one waiting on Retry-After", async () => {
    const s = await server(() => ({ kind: "hang" }));
    const b = backend([s.url], { timeoutMs: 60_000 });
    const ctrl = new AbortController();
    setTimeout(() => ctrl.abort(new Error("user pressed Ctrl-C")), 50);
    const e = await rejection(b.loglikelihood([REQ, REQ], { signal: ctrl.signal }));
    assert.equal(e.code, "aborted");
    assert.match(e.message, /Ctrl-C/);
    s.setScript(() => ({ kind: "status", status: 429, retryAfter: "60" }));
    const ctrl2 = new AbortController();
    setTimeout(() => ctrl2.abort(), 100);
    const e2 = await rejection(b.generate("x", {}, { signal: ctrl2.signal }));
    assert.equal(e2.code, "aborted");
  });

  test("never more requests in flight than the concurrency limit", async () => {
    const s = await server(() => ({ kind: "ok", delayMs: 20 }));
    const b = backend([s.url], { concurrency: 3 });
    const reqs = Array.from({ length: 24 }, (_, i) => ({ context: `q${i}`, continuation: " a" }));
    await b.loglikelihood(reqs);
    assert.equal(s.requests.length, 24);
    assert.ok(s.maxInFlight <= 3, `saw ${s.maxInFlight} in flight`);
    assert.equal(s.maxInFlight, 3);
  });

  test("a failing endpoint is skipped; work goes to the healthy one", async () => {
    const bad = await server(() => ({ kind: "status", status: 500 }));
    const good = await server(() => ({ kind: "ok", delayMs: 5 }));
    const b = backend([bad.url, good.url], { concurrency: 4, backoffBaseMs: 200, backoffMaxMs: 200 });
    const reqs = Array.from({ length: 40 }, (_, i) => ({ context: `q${i}`, continuation: " a" }));
    const out = await b.loglikelihood(reqs);
    assert.equal(out.length, 40);
    assert.ok(bad.requests.length < 10, `the failing endpoint got ${bad.requests.length} requests`);
    assert.ok(good.requests.length >= 40);
  });

  test("least-outstanding sends more work to the faster endpoint", async () => {
    const slow = await server(() => ({ kind: "ok", delayMs: 100 }));
    const fast = await server(() => ({ kind: "ok", delayMs: 2 }));
    const b = backend([slow.url, fast.url], { concurrency: 4 });
    await b.loglikelihood(Array.from({ length: 40 }, () => REQ));
    assert.equal(slow.requests.length + fast.requests.length, 40);
    assert.ok(
      fast.requests.length > 2 * slow.requests.length,
      `fast ${fast.requests.length}, slow ${slow.requests.length}`,
    );
  });

  test("round-robin spreads requests evenly over healthy endpoints", async () => {
    const a = await server();
    const c = await server();
    const b = backend([a.url, c.url], { balance: "round-robin", concurrency: 1 });
    await b.loglikelihood(Array.from({ length: 10 }, () => REQ));
    assert.equal(a.requests.length, 5);
    assert.equal(c.requests.length, 5);
  });

  test("under random faults every request ends as a result or an error with a reason", async () => {
    const rng = createRng(7);
    const faults: Fault[] = [
      { kind: "ok" },
      { kind: "ok", delayMs: 30 },
      { kind: "status", status: 429, retryAfter: "0" },
      { kind: "status", status: 500 },
      { kind: "status", status: 503 },
      { kind: "hang" },
      { kind: "drop" },
      { kind: "drop-mid-body" },
      { kind: "slow-body" },
      { kind: "truncated-json" },
      { kind: "wrong-json" },
      { kind: "no-logprobs" },
    ];
    const script = () => faults[rng.int(faults.length)] as Fault;
    const a = await server(script);
    const c = await server(script);
    const b = backend([a.url, c.url], { concurrency: 16, timeoutMs: 150, maxRetries: 3 });
    const settled = await Promise.allSettled(
      Array.from({ length: 120 }, (_, i) => b.loglikelihood([{ context: `item ${i}`, continuation: " yes" }])),
    );
    let ok = 0;
    const reasons = new Map<string, number>();
    for (const r of settled) {
      if (r.status === "fulfilled") {
        ok++;
        assert.equal(r.value[0]?.tokenCount, 1);
        continue;
      }
      assert.ok(r.reason instanceof ModelmapError, String(r.reason));
      assert.ok(r.reason.message.length > 10);
      reasons.set(r.reason.code, (reasons.get(r.reason.code) ?? 0) + 1);
    }
    assert.equal(settled.length, 120);
    assert.ok(ok > 0, "some requests succeed");
    assert.ok((reasons.get("backend") ?? 0) > 0 && (reasons.get("unsupported") ?? 0) > 0, JSON.stringify([...reasons]));
    assert.equal(b.transport.limiter.inFlight, 0, "no slot leaks");
  });
});
