/**
 * The llama-cpp backend on real engines: tiny models the project writes, and the real Llama-2 tokenizer of
 * ../shared/data/tiny_gguf_models. Reference values come from a naive evaluator that runs every prefix from
 * scratch on a separate context, token by token.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Template } from "@huggingface/jinja";
import type { LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { createTinyModel, type TinyModel } from "../../../test/support/tiny-model.ts";
import { createRng } from "../../core/rng.ts";
import { type LlamaCppBackend, openLlamaCppBackend } from "./backend.ts";
import { getSharedLlama } from "./engine.ts";
import { encodePair, rollingWindows, scorePosition } from "./tokens.ts";

const LLAMA2 = "../shared/data/tiny_gguf_models/llama-2-tiny-random.gguf";
const dir = mkdtempSync(join(tmpdir(), "modelmap-llamacpp-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Naive reference: for each scored token, evaluate the whole prefix from an empty cache. */
class Naive {
  constructor(
    readonly model: LlamaModel,
    readonly seq: LlamaContextSequence,
  ) {}
  static async open(path: string): Promise<Naive> {
    const llama = await getSharedLlama(false);
    const model = await llama.loadModel({ modelPath: path });
    const ctx = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
    return new Naive(model, ctx.getSequence());
  }
  async dist(prefix: readonly number[]): Promise<ReadonlyMap<number, number>> {
    await this.seq.clearHistory();
    const items = prefix.map((t, i) =>
      i === prefix.length - 1 ? ([t as Token, { generateNext: { probabilities: true } }] as const) : (t as Token),
    );
    const res = await this.seq.controlledEvaluate(items as never);
    const d = res[prefix.length - 1]?.next.probabilities;
    assert.ok(d);
    return d;
  }
  /** Log-probabilities of the last `n` tokens of `all`, from one evaluation on an empty cache. */
  async scoreTail(all: readonly number[], n: number): Promise<number[]> {
    await this.seq.clearHistory();
    const first = all.length - n - 1;
    const items = all
      .slice(0, -1)
      .map((t, i) => (i >= first ? ([t as Token, { generateNext: { probabilities: true } }] as const) : (t as Token)));
    const res = await this.seq.controlledEvaluate(items as never);
    return all.slice(-n).map((t, k) => {
      const d = res[first + k]?.next.probabilities;
      assert.ok(d);
      return scorePosition(d, t).logprob;
    });
  }
  async score(context: readonly number[], continuation: readonly number[]) {
    let logprob = 0;
    let greedy = true;
    const stats: Array<{ mean: number; variance: number }> = [];
    for (let k = 0; k < continuation.length; k++) {
      const s = scorePosition(await this.dist([...context, ...continuation.slice(0, k)]), continuation[k] as number);
      logprob += s.logprob;
      greedy &&= s.greedy;
      stats.push({ mean: s.mean, variance: s.variance });
    }
    return { logprob, greedy, stats };
  }
  async close(): Promise<void> {
    await this.model.dispose();
  }
}

const close = (a: number, b: number, tol = 1e-3) => Math.abs(a - b) <= tol * Math.max(1, Math.abs(b));

const chatml = (
  messages: Array<{ role: string; content: string }>,
  c: { addGenerationPrompt: boolean; ggufTemplate: string | undefined },
) => new Template(c.ggufTemplate ?? "").render({ messages, add_generation_prompt: c.addGenerationPrompt });

const MC = {
  context: "Question: What is the capital of France?\nAnswer:",
  choices: [" Paris", " London", " the answer is no", " 42"],
};

describe("tiny byte-level BPE model", () => {
  let tiny: TinyModel;
  let be: LlamaCppBackend;
  let naive: Naive;
  before(async () => {
    tiny = createTinyModel(join(dir, "tiny.gguf"), { seed: 11, contextLength: 256 });
    be = await openLlamaCppBackend({ modelPath: tiny.path, id: "tiny", renderChat: chatml, threads: 1 });
    naive = await Naive.open(tiny.path);
  });
  after(async () => {
    await be.close();
    await naive.close();
  });

  test("identity carries the file's sha256; BOS/EOS texts and the GGUF chat template are read", () => {
    assert.equal(be.identity.fileSha256, tiny.sha256);
    assert.equal(be.identity.id, "tiny");
    assert.equal(be.bosToken, "<|endoftext|>");
    assert.equal(be.eosToken, "<|im_end|>");
    assert.equal(be.ggufChatTemplate, tiny.chatTemplate);
    assert.equal(be.contextSize, 256);
  });

  test("tokenization agrees with the reference BPE; special tokens are parsed", async () => {
    for (const t of ["Hello world! The answer is Paris.", " x  y\t\nz", "ünïcödé 日本語 🦊", "3.14159 = pi?"]) {
      assert.deepEqual(await be.tokenize(t), tiny.encode(t), t);
      assert.equal(await be.detokenize(await be.tokenize(t)), t);
    }
    assert.deepEqual(await be.tokenize("<|im_start|>user"), [tiny.imStartId, ...tiny.encode("user")]);
  });

  test("log-likelihood equals naive token-by-token evaluation; shared context equals separate calls", async () => {
    const reqs = [
      ...MC.choices.map((c) => ({ context: MC.context, continuation: c })),
      { context: "The quick brown fox ", continuation: "jumps over" },
      { context: "", continuation: "Hello there." },
      { context: "Same prefix", continuation: " shared" },
      { context: "Same prefix", continuation: " shared and longer" },
    ];
    const batch = await be.loglikelihood(reqs, { tokenStats: true });
    const tok = (s: string) => tiny.encode(s);
    for (const [i, r] of reqs.entries()) {
      const pair = encodePair(tok, r.context, r.continuation, [tiny.bosId], tiny.bosId);
      const ref = await naive.score(pair.context, pair.continuation);
      const got = batch[i];
      assert.ok(got);
      assert.equal(got.tokenCount, pair.continuation.length);
      assert.deepEqual(got.tokens, pair.continuation);
      assert.ok(close(got.logprob, ref.logprob), `req ${i}: ${got.logprob} vs naive ${ref.logprob}`);
      assert.equal(got.isGreedy, ref.greedy);
      got.tokenStats?.forEach((s, k) => {
        assert.ok(
          close(s.mean, ref.stats[k]?.mean ?? Number.NaN),
          `mean ${i}/${k}: ${s.mean} vs ${ref.stats[k]?.mean}`,
        );
        assert.ok(close(s.variance, ref.stats[k]?.variance ?? Number.NaN, 1e-2), `var ${i}/${k}`);
      });
      const alone = await be.loglikelihood([r]);
      assert.ok(close(alone[0]?.logprob ?? Number.NaN, got.logprob, 1e-4), `req ${i} alone vs batch`);
    }
  });

  test("property: random texts (spaces, newlines, unicode) score as naive evaluation in one batch", async () => {
    const rng = createRng(2024);
    const pieces = ["the", " ", "  ", "\n", "answer", "é", "日本", "🦊", "?", "1", "x", "\t", " is", "."];
    const text = (n: number) => Array.from({ length: n }, () => pieces[rng.int(pieces.length)]).join("");
    const reqs = Array.from({ length: 8 }, () => ({
      context: text(1 + rng.int(12)),
      continuation: text(1 + rng.int(4)),
    }));
    for (const r of reqs)
      assert.deepEqual(await be.tokenize(r.context), tiny.encode(r.context), JSON.stringify(r.context));
    const batch = await be.loglikelihood(reqs);
    for (const [i, r] of reqs.entries()) {
      const pair = encodePair(tiny.encode, r.context, r.continuation, [tiny.bosId], tiny.bosId);
      const ref =
        pair.continuation.length === 0
          ? { logprob: 0, greedy: true }
          : await naive.score(pair.context, pair.continuation);
      assert.ok(
        close(batch[i]?.logprob ?? Number.NaN, ref.logprob),
        `${JSON.stringify(r)}: ${batch[i]?.logprob} vs ${ref.logprob}`,
      );
      assert.equal(batch[i]?.isGreedy, ref.greedy);
    }
  });

  test("a multiple-choice item evaluates its context once, and each distinct input prefix once", async () => {
    // A different request first: whatever it leaves in the cache must not change the count.
    await be.loglikelihood([{ context: "zzz unrelated", continuation: " text" }]);
    be.resetTokenCount();
    await be.loglikelihood(MC.choices.map((c) => ({ context: MC.context, continuation: c })));
    const pairs = MC.choices.map((c) => encodePair(tiny.encode, MC.context, c, [tiny.bosId], tiny.bosId));
    const ctxLen = pairs[0]?.context.length ?? 0;
    for (const p of pairs) assert.equal(p.context.length, ctxLen);
    // The minimum: every distinct prefix of the inputs (all tokens but the last of each request), once; choices
    // that start with the same token share it. BOS counts too: a context shorter than one block (native-scorer.ts)
    // is evaluated whole for its item, so that its numbers never depend on what the cache held before.
    const prefixes = new Set<string>();
    for (const p of pairs) {
      const input = [...p.context, ...p.continuation].slice(0, -1);
      for (let k = 1; k <= input.length; k++) prefixes.add(input.slice(0, k).join(","));
    }
    assert.equal(be.tokensEvaluated, prefixes.size);
    assert.ok(be.tokensEvaluated <= ctxLen + pairs.reduce((s, p) => s + p.continuation.length - 1, 0));
  });

  test("isGreedy is true for the model's own greedy next token", async () => {
    // A greedy token only scores as greedy when its text tokenizes back to that token after the context;
    // with a fixed seed several of these contexts give one, and the test needs at least one.
    const reqs: Array<{ context: string; continuation: string }> = [];
    for (const context of ["The answer is", "Hello world", "Question:", "1 2 3", "She said", "The quick", "model"]) {
      const pair = encodePair(tiny.encode, context, "", [tiny.bosId], tiny.bosId);
      const dist = await naive.dist(pair.context);
      const g = dist.keys().next().value as number;
      const continuation = await be.detokenize([g]);
      const check = encodePair(tiny.encode, context, continuation, [tiny.bosId], tiny.bosId);
      if (check.continuation.length === 1 && check.continuation[0] === g) reqs.push({ context, continuation });
    }
    assert.ok(reqs.length > 0, "no greedy token round-tripped through the tokenizer");
    const got = await be.loglikelihood(reqs);
    for (const r of got) assert.equal(r.isGreedy, true);
    const worse = await be.loglikelihood(reqs.map((r) => ({ ...r, continuation: `${r.continuation}~~` })));
    for (const r of worse) assert.equal(r.isGreedy, false);
  });

  test("rolling log-likelihood: equals log-likelihood from an empty context, and windows past the context", async () => {
    const text = "In the beginning there was the word, and the word was with the model. ".repeat(2);
    const [roll] = await be.loglikelihoodRolling([text]);
    const [ll] = await be.loglikelihood([{ context: "", continuation: text }]);
    assert.ok(roll && ll);
    assert.equal(roll.tokenCount, tiny.encode(text).length);
    assert.ok(close(roll.logprob, ll.logprob, 1e-4), `${roll.logprob} vs ${ll.logprob}`);

    const small = await openLlamaCppBackend({
      modelPath: tiny.path,
      contextSize: 16,
      rollingContextTokens: 4,
      threads: 1,
    });
    try {
      const long = text.repeat(2);
      const tokens = tiny.encode(long);
      const [r] = await small.loglikelihoodRolling([long]);
      assert.ok(r);
      assert.equal(r.tokenCount, tokens.length);
      assert.ok(tokens.length > 16 * 3);
      // Reference: the harness windows, each evaluated from an empty cache.
      let ref = 0;
      for (const w of rollingWindows(tokens, tiny.bosId, 16, 4)) {
        const all = [...w.input, w.targets.at(-1) as number];
        ref += (await naive.scoreTail(all, w.scored)).reduce((a, b) => a + b, 0);
      }
      assert.ok(close(r.logprob, ref), `${r.logprob} vs ${ref}`);
    } finally {
      await small.close();
    }
  });

  test("generation: stop sequences are cut, maxTokens gives 'length', a seed reproduces sampling", async () => {
    const g = await be.generate("Hello", { maxTokens: 12, temperature: 0 });
    assert.equal(g.usage.completionTokens, 12);
    assert.equal(g.usage.promptTokens, 1 + tiny.encode("Hello").length);
    const stopAt = g.text.slice(3, 5);
    const s = await be.generate("Hello", { maxTokens: 12, temperature: 0, stop: [stopAt] });
    assert.equal(s.finishReason, "stop");
    assert.equal(s.text, g.text.slice(0, g.text.indexOf(stopAt)));
    const a = await be.generate("Hello", { maxTokens: 10, temperature: 1.2, seed: 5 });
    const b = await be.generate("Hello", { maxTokens: 10, temperature: 1.2, seed: 5 });
    assert.equal(a.text, b.text);
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(be.generate("Hello", { maxTokens: 5 }, { signal: ctl.signal }), /aborted/);
  });

  test("chat goes through the renderer; the prompt as sent is recorded and special tokens are tokens", async () => {
    const r = await be.generate([{ role: "user", content: "Hi" }], { maxTokens: 3 });
    assert.equal(r.promptAsSent, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
    const expectedPrompt = 1 + (await be.tokenize(r.promptAsSent ?? "")).length;
    assert.equal(r.usage.promptTokens, expectedPrompt);
    assert.ok(expectedPrompt < 1 + tiny.encode(r.promptAsSent ?? "").length, "special tokens became single tokens");
  });

  test("a context longer than the window is cut from the left, as lm-evaluation-harness does", async () => {
    const context = "She said that the weather would be fine. ".repeat(30);
    const continuation = " and they went to the market";
    const pair = encodePair(tiny.encode, context, continuation, [tiny.bosId], tiny.bosId);
    const all = [...pair.context, ...pair.continuation];
    assert.ok(all.length > 257);
    const [got] = await be.loglikelihood([{ context, continuation }]);
    const kept = all.slice(all.length - 257); // 256 inputs + the last (never input) token
    const ref = await naive.scoreTail(kept, pair.continuation.length);
    assert.equal(got?.tokenCount, pair.continuation.length);
    assert.ok(
      close(
        got?.logprob ?? 0,
        ref.reduce((a, b) => a + b, 0),
      ),
    );
  });

  test("empty continuation scores 0; per-token arrays have one entry per token; abort rejects", async () => {
    const [empty, two] = await be.loglikelihood(
      [
        { context: "Hello", continuation: "" },
        { context: "Hello", continuation: " world there" },
      ],
      { tokenStats: true },
    );
    assert.deepEqual(
      { ...empty, tokenStats: undefined },
      {
        logprob: 0,
        tokenCount: 0,
        tokenLogprobs: [],
        tokenStats: undefined,
        isGreedy: true,
        tokens: [],
      },
    );
    assert.ok(two);
    assert.equal(two.tokenLogprobs?.length, two.tokenCount);
    assert.equal(two.tokenStats?.length, two.tokenCount);
    assert.ok(close(two.tokenLogprobs?.reduce((a, b) => a + b, 0) ?? 0, two.logprob, 1e-9));
    for (const st of two.tokenStats ?? []) assert.ok(st.mean < 0 && st.variance >= 0);
    const ctl = new AbortController();
    ctl.abort();
    await assert.rejects(be.loglikelihood([{ context: "a", continuation: " b" }], { signal: ctl.signal }), /aborted/);
    await assert.rejects(be.loglikelihoodRolling(["a b"], { signal: ctl.signal }), /aborted/);
  });

  test("generation aborted midway stops early and reports abort", async () => {
    const ctl = new AbortController();
    let n = 0;
    const r = await be.generate(
      "Hello",
      { maxTokens: 50 },
      {
        signal: ctl.signal,
        onText: () => {
          n++;
          if (n === 2) ctl.abort();
        },
      },
    );
    assert.equal(r.finishReason, "abort");
    assert.ok(r.usage.completionTokens < 50);
  });

  test("a prompt longer than the context is a clear input error", async () => {
    await assert.rejects(be.generate("word ".repeat(400), { maxTokens: 2 }), /context holds 256/);
  });
});

describe("real Llama-2 SentencePiece tokenizer (llama-2-tiny-random.gguf)", () => {
  let be: LlamaCppBackend;
  let naive: Naive;
  before(async () => {
    assert.ok(existsSync(LLAMA2), `missing ${LLAMA2}: the shared data folder ../shared/data is required`);
    be = await openLlamaCppBackend({ modelPath: LLAMA2, contextSize: 512, threads: 1 });
    naive = await Naive.open(LLAMA2);
  });
  after(async () => {
    await be.close();
    await naive.close();
  });

  test("identity sha256 matches PROVENANCE", () => {
    assert.equal(be.identity.fileSha256, "81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb");
  });

  test("context/continuation boundary, BOS, and equality with naive evaluation", async () => {
    const tok = (s: string) => naive.model.tokenize(s, true) as number[];
    const reqs = [
      ...MC.choices.map((c) => ({ context: MC.context, continuation: c })),
      { context: "Answer: ", continuation: "yes" },
      { context: "", continuation: "Hello" },
    ];
    const got = await be.loglikelihood(reqs);
    for (const [i, r] of reqs.entries()) {
      const pair = encodePair(tok, r.context, r.continuation, [1], 1);
      assert.equal(pair.context[0], 1, "BOS first");
      assert.notEqual(pair.context[1], 1, "only one BOS");
      const ref = await naive.score(pair.context, pair.continuation);
      assert.deepEqual(got[i]?.tokens, pair.continuation);
      assert.ok(close(got[i]?.logprob ?? Number.NaN, ref.logprob), `req ${i}`);
      assert.equal(got[i]?.isGreedy, ref.greedy);
    }
    // "Answer: " + "yes": the space moves to the continuation, which SentencePiece spells "▁yes" (one token).
    assert.deepEqual(got[4]?.tokens, tok(" yes").slice(-1));
    const [withBosText] = await be.loglikelihood([{ context: "<s>Answer:", continuation: " yes" }]);
    const [plain] = await be.loglikelihood([{ context: "Answer:", continuation: " yes" }]);
    assert.ok(close(withBosText?.logprob ?? 0, plain?.logprob ?? 1, 1e-5), "a written <s> is not doubled");
  });
});

describe("the same request gives the same numbers whatever ran before it (issue 19 item 7)", () => {
  let path: string;
  before(() => {
    path = createTinyModel(join(dir, "order.gguf"), { seed: 23, contextLength: 512 }).path;
  });
  const words = (n: number, seed: number) => {
    const rng = createRng(seed);
    const w = ["the", "river", "capital", "of", "model", "answer", "is", "a", "small", "light", "number", "and"];
    return Array.from({ length: n }, () => w[rng.int(w.length)]).join(" ");
  };
  // One short item, one whose context spans complete blocks (native-scorer.ts) and a neighbour sharing them.
  const shared = words(150, 1);
  const item = (context: string) =>
    [" Paris", " London", " the answer is no", " 42", " Paris is"].map((c) => ({ context, continuation: c }));
  const short = item(MC.context);
  const long = item(`${shared} ${words(60, 2)}\nAnswer:`);
  const neighbour = item(`${shared} ${words(40, 3)}\nAnswer:`);
  const strip = (rs: Awaited<ReturnType<LlamaCppBackend["loglikelihood"]>>) =>
    rs.map((r) => [r.logprob, r.isGreedy, r.tokenLogprobs, r.tokenStats]);

  for (const nativeScorer of [true, false]) {
    test(nativeScorer ? "native scorer: bit for bit" : "node-llama-cpp fallback: to 1e-6", async () => {
      const score = async (be: LlamaCppBackend, reqs: typeof short) =>
        strip(await be.loglikelihood(reqs, { tokenStats: true }));
      const fresh = async (reqs: typeof short) => {
        const be = await openLlamaCppBackend({ modelPath: path, threads: 1, nativeScorer });
        try {
          return await score(be, reqs);
        } finally {
          await be.close();
        }
      };
      const refShort = await fresh(short);
      const refLong = await fresh(long);
      const be = await openLlamaCppBackend({ modelPath: path, threads: 1, nativeScorer });
      if (nativeScorer) assert.equal(be.nativeScorerStatus.ok, true, JSON.stringify(be.nativeScorerStatus));
      const same = (got: unknown[], ref: unknown[], what: string) => {
        if (nativeScorer) assert.deepEqual(got, ref, what);
        else
          for (const [i, g] of got.entries())
            assert.ok(close((g as number[])[0] as number, (ref[i] as number[])[0] as number, 1e-6), `${what} ${i}`);
      };
      try {
        // Generation that shares only BOS with the item (the fallback once misplaced its cached distributions
        // after this), then generation that shares the item's whole prompt.
        await be.generate("Hello", { maxTokens: 8 });
        same(await score(be, short), refShort, "after generation");
        await be.generate(`${MC.context} Paris`, { maxTokens: 8 });
        same(await score(be, short), refShort, "after generation sharing the prompt");
        // The neighbour (its blocks and prompt prefix are in the cache), then the long item.
        await score(be, neighbour);
        same(await score(be, long), refLong, "after a neighbour sharing blocks");
        // Rolling windows over texts that start like the items; both items in one call, in reverse order.
        await be.loglikelihoodRolling([`${MC.context} Paris`, `${shared} tail`], { tokenStats: true });
        const both = await score(be, [...long.slice().reverse(), ...short]);
        same(both.slice(0, long.length).reverse(), refLong, "long item, reversed, in one call");
        same(both.slice(long.length), refShort, "short item in one call");
      } finally {
        await be.close();
      }
    });
  }
});

describe("native scorer against node-llama-cpp's probabilities (llama-2-tiny-random.gguf, 32k vocabulary)", () => {
  test("many choices (several sub-groups), a continuation beyond one decode's logits, rolling windows", async () => {
    assert.ok(existsSync(LLAMA2), `missing ${LLAMA2}`);
    const open = (nativeScorer: boolean) =>
      openLlamaCppBackend({ modelPath: LLAMA2, contextSize: 1024, threads: 1, nativeScorer });
    const native = await open(true);
    const fallback = await open(false);
    try {
      assert.equal(native.nativeScorerStatus.ok, true, JSON.stringify(native.nativeScorerStatus));
      assert.equal(fallback.nativeScorerStatus.ok, false);
      const rng = createRng(5);
      const word = () => ["alpha", "beta", "gamma", "delta", "river", "stone", "light", "number"][rng.int(8)];
      const text = (n: number) => Array.from({ length: n }, word).join(" ");
      // 40 choices of one context: more than the 15 sequences of one decode. 600 words: more rows than the
      // 64 MB logits budget allows at 32k entries (512), so the continuation is cut into several decodes.
      const context = `${text(50)}\nAnswer:`;
      const reqs = [
        ...Array.from({ length: 40 }, (_, i) => ({ context, continuation: ` ${text(1 + (i % 5))}` })),
        { context: "Long:", continuation: ` ${text(600)}` },
      ];
      const [a, b] = [await native.loglikelihood(reqs), await fallback.loglikelihood(reqs)];
      for (const [i, r] of a.entries()) {
        assert.equal(r.tokenCount, b[i]?.tokenCount);
        assert.ok(close(r.logprob, b[i]?.logprob ?? Number.NaN, 1e-4), `req ${i}: ${r.logprob} vs ${b[i]?.logprob}`);
        assert.equal(r.isGreedy, b[i]?.isGreedy);
      }
      const texts = [text(700), text(30), `${text(700)} tail`];
      const [ra, rb] = [await native.loglikelihoodRolling(texts), await fallback.loglikelihoodRolling(texts)];
      for (const [i, r] of ra.entries())
        assert.ok(
          close(r.logprob, rb[i]?.logprob ?? Number.NaN, 1e-4),
          `rolling ${i}: ${r.logprob} vs ${rb[i]?.logprob}`,
        );
    } finally {
      await native.close();
      await fallback.close();
    }
  });
});

describe("greedy generation in the native scorer", () => {
  test("the same text, finish reason and token count as node-llama-cpp's greedy sampler; stops cut; abort stops", async () => {
    const path = createTinyModel(join(dir, "gen.gguf"), { seed: 29, contextLength: 512 }).path;
    const native = await openLlamaCppBackend({ modelPath: path, threads: 1 });
    const engine = await openLlamaCppBackend({ modelPath: path, threads: 1, nativeScorer: false });
    try {
      for (const prompt of ["Hello", MC.context, "1 2 3", "ünïcödé 日本語"]) {
        const a = await native.generate(prompt, { maxTokens: 24 });
        const b = await engine.generate(prompt, { maxTokens: 24 });
        assert.deepEqual(a, b, prompt);
        // A stop string taken from the middle of the output: cut there, reason "stop", on both paths.
        const stop = a.text.slice(5, 8);
        if (stop.length === 3) {
          const sa = await native.generate(prompt, { maxTokens: 24, stop: [stop] });
          assert.deepEqual(sa, await engine.generate(prompt, { maxTokens: 24, stop: [stop] }), `${prompt} / ${stop}`);
          assert.equal(sa.finishReason, "stop");
          assert.equal(sa.text, a.text.slice(0, a.text.indexOf(stop)));
        }
      }
      // Abort midway: fewer tokens than asked, or refused before it started (a loaded machine).
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(), 50);
      try {
        const r = await native.generate("Hello", { maxTokens: 480 }, { signal: ctl.signal });
        if (r.finishReason === "abort") assert.ok(r.usage.completionTokens < 480);
      } catch (e) {
        assert.match(String(e), /aborted/);
      }
      const after = await native.generate("Hello", { maxTokens: 24 });
      assert.deepEqual(after, await engine.generate("Hello", { maxTokens: 24 }), "after an abort");
    } finally {
      await native.close();
      await engine.close();
    }
  });
});
