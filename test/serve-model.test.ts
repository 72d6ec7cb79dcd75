/**
 * End to end: `serve-model` over real GGUF files (the shared Llama-2 tiny random model with its real
 * SentencePiece tokenizer, and a tiny byte-level BPE model the tests write), queried by the openai backend
 * over HTTP, compared with the llama-cpp backend in-process on the same file.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { streamableEnd } from "../src/backends/llama-cpp/generate.ts";
import { type LlamaCppBackend, openLlamaCppBackend } from "../src/backends/llama-cpp/index.ts";
import { OpenAIBackend } from "../src/backends/openai/index.ts";
import type { LoglikelihoodRequest } from "../src/backends/types.ts";
import { runCli } from "../src/cli/main.ts";
import { type RunningModelServer, startModelServer } from "../src/serve-model/service.ts";
import { createTinyModel } from "./support/tiny-model.ts";

const LLAMA2 = resolve("../shared/data/tiny_gguf_models/llama-2-tiny-random.gguf");
if (!existsSync(LLAMA2)) {
  throw new Error(`missing ${LLAMA2}: these tests read the shared data set in ../shared/data (see its README.md)`);
}

const REQUESTS: LoglikelihoodRequest[] = [
  { context: "Question: What is the capital of France?\nAnswer:", continuation: " Paris" },
  { context: "Question: What is the capital of France?\nAnswer:", continuation: " Lyon, on the Rhône" },
  { context: "Question: What is the capital of France?\nAnswer: ", continuation: "Marseille" },
  { context: "The cat sat on the", continuation: " mat." },
  { context: "Ünïcödé and emoji 😀 are", continuation: " fine 日本語" },
];

const ROLLING = [
  "The quick brown fox jumps over the lazy dog.",
  "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich 😀",
];

const dir = mkdtempSync(join(tmpdir(), "modelmap-serve-model-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function close(a: number, b: number, tol = 1e-4): boolean {
  return Math.abs(a - b) <= tol;
}

for (const which of ["llama-2-tiny-random (SentencePiece)", "tiny byte-level BPE (written by the test)"] as const) {
  describe(`serve-model + openai backend vs in-process: ${which}`, () => {
    let server: RunningModelServer;
    let local: LlamaCppBackend;
    let remote: OpenAIBackend;

    before(async () => {
      const file = which.startsWith("llama-2") ? LLAMA2 : createTinyModel(join(dir, "tiny.gguf"), { seed: 3 }).path;
      server = await startModelServer({ modelPath: file, port: 0, contextSize: 512, threads: 1, cwd: dir });
      local = await openLlamaCppBackend({ modelPath: file, contextSize: 512, threads: 1 });
      remote = new OpenAIBackend({
        id: "m",
        model: server.modelName,
        baseUrls: [`${server.url}/v1`],
        concurrency: 4,
        logprobs: 2,
      });
    });
    after(async () => {
      await server?.close();
      await local?.close();
    });

    test("log-likelihood over HTTP equals the in-process backend's", async () => {
      const [viaHttp, inProcess] = [await remote.loglikelihood(REQUESTS), await local.loglikelihood(REQUESTS)];
      for (const [i, r] of REQUESTS.entries()) {
        const h = viaHttp[i];
        const l = inProcess[i];
        assert.ok(h && l);
        assert.equal(h.tokenCount, l.tokenCount, `request ${i} token count`);
        assert.ok(
          close(h.logprob, l.logprob),
          `request ${i} (${JSON.stringify(r.continuation)}): ${h.logprob} vs ${l.logprob}`,
        );
        assert.equal(h.isGreedy, l.isGreedy, `request ${i} isGreedy`);
      }
      // max_tokens 1 (what some servers need) gives the same numbers: the generated token is ignored.
      const one = new OpenAIBackend({
        id: "m",
        model: server.modelName,
        baseUrls: [`${server.url}/v1`],
        scoringMaxTokens: 1,
      });
      const viaOne = await one.loglikelihood(REQUESTS);
      for (const [i, h] of viaOne.entries())
        assert.ok(close(h.logprob, inProcess[i]?.logprob ?? Number.NaN), `max_tokens 1, request ${i}`);
    });

    test("rolling log-likelihood over HTTP equals the in-process backend's", async () => {
      const [viaHttp, inProcess] = [
        await remote.loglikelihoodRolling(ROLLING),
        await local.loglikelihoodRolling(ROLLING),
      ];
      for (const [i, h] of viaHttp.entries()) {
        const l = inProcess[i];
        assert.equal(h.tokenCount, l?.tokenCount);
        assert.ok(close(h.logprob, l?.logprob ?? Number.NaN), `${h.logprob} vs ${l?.logprob}`);
      }
    });

    test("greedy completion over HTTP equals in-process generation", async () => {
      const params = { maxTokens: 8, temperature: 0 };
      const h = await remote.generate("Once upon a time", params);
      const l = await local.generate("Once upon a time", params);
      assert.equal(h.text, l.text);
      assert.equal(h.usage.completionTokens, l.usage.completionTokens);
      assert.deepEqual(await remote.listModels(), [server.modelName]);
    });
  });
}

test("streaming holds back what may still become a stop sequence or an unfinished character", () => {
  assert.equal(streamableEnd("hello wor", ["world"]), 6);
  assert.equal(streamableEnd("hello\n", ["\n\n", "lo\nX"]), 3);
  assert.equal(streamableEnd("hello", ["\n\n"]), 5);
  assert.equal(streamableEnd("ab\uFFFD", []), 2);
  assert.equal(streamableEnd("xa\uFFFD", ["a😀"]), 1);
});

describe("serve-model HTTP API", () => {
  let server: RunningModelServer;
  before(async () => {
    const m = createTinyModel(join(dir, "chat.gguf"), { seed: 5 });
    server = await startModelServer({
      modelPath: m.path,
      port: 0,
      contextSize: 256,
      threads: 1,
      modelName: "tiny-chat",
      cwd: dir,
    });
  });
  after(async () => server?.close());

  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  test("echo + logprobs + max_tokens 0 returns every prompt token with text_offset and top_logprobs", async () => {
    const prompt = "hello wörld 😀";
    const { status, json } = await post("/completions", {
      model: "tiny-chat",
      prompt,
      max_tokens: 0,
      echo: true,
      logprobs: 3,
    });
    assert.equal(status, 200);
    const choice = (json.choices as Array<Record<string, unknown>>)[0] as {
      text: string;
      logprobs: {
        tokens: string[];
        token_logprobs: Array<number | null>;
        top_logprobs: Array<Record<string, number> | null>;
        text_offset: number[];
      };
    };
    assert.equal(choice.text, prompt);
    const lp = choice.logprobs;
    assert.equal(lp.tokens.join(""), prompt, "token texts spell the prompt (BOS is empty)");
    assert.equal(lp.token_logprobs[0], null);
    assert.equal(lp.top_logprobs[0], null);
    let at = 0;
    for (const [i, t] of lp.tokens.entries()) {
      assert.equal(lp.text_offset[i], at);
      at += [...t].length;
      if (i === 0) continue;
      const top = lp.top_logprobs[i] as Record<string, number>;
      const values = Object.values(top);
      assert.ok(values.length >= 1 && values.length <= 4, "top 3 plus the token itself");
      assert.ok(values.every((v) => v <= 0));
    }
    assert.equal(lp.tokens.length, (json.usage as { prompt_tokens: number }).prompt_tokens);
  });

  test("choices sharing a context reuse its evaluation; scores stay those of a fresh evaluation", async () => {
    const context = `${"The committee met on Tuesday to discuss the annual budget and the new library. ".repeat(3)}Answer:`;
    const choices = [" yes", " no", " maybe later", " it depends"];
    const remote = new OpenAIBackend({ id: "m", model: "tiny-chat", baseUrls: [`${server.url}/v1`], concurrency: 1 });
    await remote.loglikelihoodRolling(["unrelated text first"]);
    server.backend.resetTokenCount();
    const viaHttp = await remote.loglikelihood(choices.map((continuation) => ({ context, continuation })));
    const evaluated = server.backend.tokensEvaluated;
    const ids = (t: string) => server.backend.tokenize(t);
    const naive = (await Promise.all(choices.map((c) => ids(context + c)))).reduce((a, t) => a + t.length, 0);
    assert.ok(evaluated < naive / 2, `evaluated ${evaluated} tokens; one evaluation per choice would be ${naive}`);
    // The same requests one at a time on a fresh prefix give the same numbers. Not to the last bit: llama.cpp's
    // CPU kernels depend on the batch's shape (a context evaluated with or without BOS in the same batch differs
    // by ~1e-3 on this random model), while reusing the wrong position would be off by whole nats.
    for (const [i, continuation] of choices.entries()) {
      await remote.loglikelihoodRolling([`reset ${i}`]);
      const [fresh] = await remote.loglikelihood([{ context, continuation }]);
      assert.ok(
        close(fresh?.logprob ?? 0, viaHttp[i]?.logprob ?? 1, 1e-2),
        `choice ${i}: ${fresh?.logprob} vs ${viaHttp[i]?.logprob}, tokens ${fresh?.tokenCount}`,
      );
    }
  });

  test("chat completions apply the model's template (ChatML from the GGUF)", async () => {
    const { status, json } = await post("/chat/completions", {
      model: "tiny-chat",
      messages: [{ role: "user", content: "Say hi" }],
      max_tokens: 4,
      temperature: 0,
    });
    assert.equal(status, 200);
    const choice = (json.choices as Array<{ message: { role: string; content: string }; finish_reason: string }>)[0];
    assert.equal(choice?.message.role, "assistant");
    assert.equal(typeof choice?.message.content, "string");
    const prompt = await server.backend.renderChat([{ role: "user", content: "Say hi" }]);
    assert.equal(prompt, "<|im_start|>user\nSay hi<|im_end|>\n<|im_start|>assistant\n");
    const local = await server.backend.generate(prompt, { maxTokens: 4, temperature: 0 });
    assert.equal(choice?.message.content, local.text);
  });

  const sse = async (path: string, body: unknown) => {
    const res = await fetch(`${server.url}/v1${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...(body as object), stream: true }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const events = (await res.text())
      .split("\n")
      .filter((l) => l.startsWith("data: "))
      .map((l) => l.slice(6));
    assert.equal(events.at(-1), "[DONE]");
    return events.slice(0, -1).map((e) => JSON.parse(e) as { choices: Array<Record<string, unknown>> });
  };

  test("stream: true sends the text as SSE chunks that add up to the non-streamed answer", async () => {
    const messages = [{ role: "user", content: "Tell me a story" }];
    const whole = await post("/chat/completions", { messages, max_tokens: 12, temperature: 0 });
    const text = (whole.json.choices as Array<{ message: { content: string } }>)[0]?.message.content ?? "";
    const chunks = await sse("/chat/completions", { messages, max_tokens: 12, temperature: 0 });
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: "assistant", content: "" });
    assert.ok(chunks.length > 3, `only ${chunks.length} chunks: not streamed`);
    const streamed = chunks
      .map((c) => (c.choices[0]?.delta as { content?: string } | undefined)?.content ?? "")
      .join("");
    assert.equal(streamed, text);
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, "length");

    // A stop sequence in the middle of the answer: never streamed, not even its first characters.
    const plain = await post("/completions", { prompt: "Once upon a time", max_tokens: 16, temperature: 0 });
    const full = (plain.json.choices as Array<{ text: string }>)[0]?.text ?? "";
    assert.ok(full.length >= 8, JSON.stringify(full));
    const stop = full.slice(4, 7);
    const cut = full.slice(0, full.indexOf(stop));
    const parts = await sse("/completions", {
      prompt: "Once upon a time",
      max_tokens: 16,
      temperature: 0,
      stop: [stop],
    });
    assert.equal(parts.map((p) => p.choices[0]?.text ?? "").join(""), cut);
    assert.equal(parts.at(-1)?.choices[0]?.finish_reason, "stop");
  });

  test("bad requests are 400 with the field named; unknown routes 404", async () => {
    const bad = await post("/completions", { prompt: 42 });
    assert.equal(bad.status, 400);
    assert.match((bad.json.error as { message: string }).message, /prompt/);
    const chat = await post("/chat/completions", { messages: [{ role: "wizard", content: "x" }] });
    assert.equal(chat.status, 400);
    assert.match((chat.json.error as { message: string }).message, /messages\[0\]\.role/);
    const streamedLogprobs = await post("/completions", { prompt: "x", stream: true, logprobs: 1 });
    assert.equal(streamedLogprobs.status, 501);
    const missing = await fetch(`${server.url}/v1/embeddings`, { method: "POST", body: "{}" });
    assert.equal(missing.status, 404);
    await missing.body?.cancel();
  });
});

test("a streaming client that disconnects stops the generation", async () => {
  const server = await startModelServer({ modelPath: LLAMA2, port: 0, contextSize: 2048, threads: 1, cwd: dir });
  try {
    const ctrl = new AbortController();
    const res = await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "Hi", max_tokens: 2000, temperature: 1, seed: 1, stream: true }),
      signal: ctrl.signal,
    });
    const reader = res.body?.getReader();
    await reader?.read();
    server.backend.resetTokenCount();
    ctrl.abort();
    // The backend serializes calls: this one runs only once the abandoned generation has stopped.
    await fetch(`${server.url}/v1/completions`, {
      method: "POST",
      body: JSON.stringify({ prompt: "Hi", max_tokens: 1 }),
    });
    assert.ok(
      server.backend.tokensEvaluated < 500,
      `${server.backend.tokensEvaluated} tokens evaluated after the disconnect`,
    );
  } finally {
    await server.close();
  }
});

test("the CLI serves until interrupted and rejects bad usage", async () => {
  const out: string[] = [];
  const ctrl = new AbortController();
  const done = runCli(
    ["serve-model", LLAMA2, "--port", "0", "--ctx-size", "128", "--threads", "1", "--model-name", "tiny"],
    {
      stdout: { write: (s: string) => out.push(s) },
      stderr: { write: (s: string) => out.push(s) },
      signal: ctrl.signal,
    },
  );
  for (let i = 0; i < 200 && !out.join("").includes("serving"); i++) await new Promise((r) => setTimeout(r, 25));
  const url = /at (http:\/\/\S+)/.exec(out.join(""))?.[1];
  assert.ok(url, out.join(""));
  const models = (await (await fetch(`${url}/models`)).json()) as { data: Array<{ id: string }> };
  assert.equal(models.data[0]?.id, "tiny");
  ctrl.abort();
  assert.equal(await done, 0);
  const err: string[] = [];
  const io = { stdout: { write: (s: string) => err.push(s) }, stderr: { write: (s: string) => err.push(s) } };
  assert.equal(await runCli(["serve-model"], io), 2);
  assert.equal(await runCli(["serve-model", join(dir, "missing.gguf"), "--port", "0"], io), 2);
  assert.match(err.join(""), /GGUF file not found/);
});
