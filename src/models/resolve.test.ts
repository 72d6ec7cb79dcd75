/**
 * Opening configured models (resolveModel) against real components: a local HTTP server that records what an
 * OpenAI-compatible client sends, and a tiny GGUF model through the real llama.cpp engine.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createTinyModel } from "../../test/support/tiny-model.ts";
import type { Backend } from "../backends/types.ts";
import { parseConfig } from "../config/load.ts";
import { ModelmapError } from "../core/errors.ts";
import { runConfig } from "../runner/run-eval.ts";
import { resolveModel } from "./resolve.ts";
import { modelFromFlags, parseModelRef } from "./spec.ts";

function tokenize(b: Backend, text: string): Promise<number[]> {
  return b.tokenize ? b.tokenize(text) : assert.fail("the backend cannot tokenize");
}

interface Seen {
  path: string;
  auth: string | undefined;
  body: Record<string, unknown>;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  let s = "";
  for await (const chunk of req) s += chunk;
  return s ? (JSON.parse(s) as Record<string, unknown>) : {};
}

describe("openai models", () => {
  let server: Server;
  let base = "";
  const seen: Seen[] = [];
  before(async () => {
    server = createServer(async (req, res) => {
      const body = await readBody(req);
      seen.push({ path: req.url ?? "", auth: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      if (req.url === "/v1/models") return res.end(JSON.stringify({ object: "list", data: [{ id: "served" }] }));
      if (req.url === "/v1/chat/completions")
        return res.end(JSON.stringify({ choices: [{ message: { content: "chat-reply" }, finish_reason: "stop" }] }));
      res.end(
        JSON.stringify({
          choices: [{ text: "text-reply", finish_reason: "stop" }],
          usage: { prompt_tokens: 5, completion_tokens: 1 },
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => server.close());

  const config = (model: string) =>
    parseConfig(
      `system_prompts:\n  terse: Be terse.\nmodels:\n  - id: m\n    backend: openai\n    endpoints: ${base}\n    model: served\n${model}`,
      "/tmp/modelmap.yaml",
    );

  test("a named template is rendered here and sent to /completions without BOS, with its stop strings", async () => {
    const c = config(
      "    template: {source: named, name: llama-2}\n    system_prompt: {preset: terse}\n    generation: {max_tokens: 7}\n",
    );
    const b = await resolveModel({ kind: "config", model: "m" }, { env: {}, config: c });
    seen.length = 0;
    const r = await b.generate([{ role: "user", content: "Hi" }], { temperature: 0 });
    assert.equal(r.text, "text-reply");
    assert.equal(r.promptAsSent, "<s>[INST] <<SYS>>\nBe terse.\n<</SYS>>\n\nHi [/INST]");
    const req = seen.at(-1)!;
    assert.equal(req.path, "/v1/completions");
    assert.equal(req.body.prompt, "[INST] <<SYS>>\nBe terse.\n<</SYS>>\n\nHi [/INST]", "the server adds BOS itself");
    assert.equal(req.body.max_tokens, 7, "generation defaults from the config");
    assert.equal(req.body.temperature, 0);
    assert.deepEqual(req.body.stop, ["</s>"]);
    assert.equal(b.provenance?.templateSource, "named");
    assert.equal(b.provenance?.systemPromptSource, "preset:terse");
    assert.match(b.provenance?.templateHash ?? "", /^[0-9a-f]{64}$/);
    await b.close();
  });

  test("without a configured template the server's own applies; the system prompt is still sent", async () => {
    const c = config("    system_prompt: {text: You are a pirate.}\n    api_key_env: TEST_KEY\n");
    const b = await resolveModel({ kind: "config", model: "m" }, { env: { TEST_KEY: "sk-123" }, config: c });
    seen.length = 0;
    const r = await b.generate([{ role: "user", content: "Hi" }], {});
    assert.equal(r.text, "chat-reply");
    const req = seen.at(-1)!;
    assert.equal(req.path, "/v1/chat/completions");
    assert.equal(req.auth, "Bearer sk-123");
    assert.deepEqual(req.body.messages, [
      { role: "system", content: "You are a pirate." },
      { role: "user", content: "Hi" },
    ]);
    assert.equal(b.provenance?.templateSource, "server");
    await assert.rejects(
      async () => b.renderChat?.([{ role: "user", content: "x" }]),
      (e: unknown) => e instanceof ModelmapError && e.code === "unsupported",
    );
    await b.close();
  });

  test("a configured server lists its models through the engine, which opens on that first call", async () => {
    const b = await resolveModel({ kind: "config", model: "m" }, { env: {}, config: config("") });
    seen.length = 0;
    assert.deepEqual(await b.listModels?.(), ["served"]);
    assert.deepEqual(
      seen.map((x) => x.path),
      ["/v1/models"],
    );
    await b.close();
  });

  test("NAME@URL is the bare engine: the server's template, no provenance (runs record none)", async () => {
    const { id, spec } = parseModelRef(`served@${base}`);
    assert.equal(id, "served");
    const b = await resolveModel(spec, { env: {} });
    seen.length = 0;
    const r = await b.generate([{ role: "user", content: "Hi" }], {});
    assert.equal(r.text, "chat-reply");
    assert.deepEqual(seen.at(-1)?.body.messages, [{ role: "user", content: "Hi" }]);
    assert.equal(seen.at(-1)?.body.model, "served");
    assert.equal(b.identity.id, "served");
    assert.equal(b.provenance, undefined);
    const opts = {
      modelId: id,
      tasks: [],
      groups: [],
      dataDir: ".",
      prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1 },
    };
    assert.equal(runConfig(b, opts).model_prompting, null);
    await b.close();
  });

  test("a configured id needs the config the shell loaded", async () => {
    await assert.rejects(
      () => resolveModel({ kind: "config", model: "m" }, { env: {} }),
      (e: unknown) => e instanceof ModelmapError && e.code === "not_found" && /no modelmap.yaml/.test(e.message),
    );
    await assert.rejects(
      () => resolveModel({ kind: "config", model: "nope" }, { env: {}, config: config("") }),
      (e: unknown) => e instanceof ModelmapError && e.code === "not_found" && /no model 'nope'/.test(e.message),
    );
  });

  test("a missing API key variable is an auth error naming it", async () => {
    const c = config("    api_key_env: MISSING_KEY_VAR\n");
    await assert.rejects(
      () => resolveModel({ kind: "config", model: "m" }, { env: {}, config: c }),
      (e: unknown) => e instanceof ModelmapError && e.code === "auth" && /MISSING_KEY_VAR/.test(e.message),
    );
  });
});

describe("llama-cpp models", () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-factory-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("a template that writes BOS on a model whose tokenizer adds BOS: the engine sees one BOS", async () => {
    const tmpl =
      "{{ bos_token }}{% for m in messages %}{{ '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
    const tiny = createTinyModel(join(dir, "bos.gguf"), { chatTemplate: tmpl, addBos: true });
    const c = parseConfig(
      `models:\n  - id: tiny\n    backend: llama-cpp\n    file: ${tiny.path}\n`,
      join(dir, "m.yaml"),
    );
    const b = await resolveModel({ kind: "config", model: c.config.models[0]! }, { env: {}, config: c });
    try {
      assert.equal(b.provenance?.templateSource, "gguf");
      const rendered = (await b.renderChat?.([{ role: "user", content: "hello" }])) ?? assert.fail("no renderChat");
      assert.ok(rendered.startsWith("<|im_start|>user"), rendered);
      const withBos = await tokenize(b, `<|endoftext|>${rendered}`);
      assert.equal(withBos[0], tiny.bosId, "the BOS string is a BOS token when special tokens are parsed");
      const r = await b.generate([{ role: "user", content: "hello" }], { maxTokens: 1, temperature: 0 });
      const textTokens = await tokenize(b, rendered);
      assert.equal(r.usage.promptTokens, textTokens.length + 1, "one BOS (the engine's), not two");
    } finally {
      await b.close();
    }
  });

  test("a template that writes BOS on a model whose tokenizer does not add it: the template's BOS stays", async () => {
    const tmpl = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}";
    const tiny = createTinyModel(join(dir, "nobos.gguf"), { chatTemplate: tmpl, addBos: false });
    const c = parseConfig(`models:\n  - id: t\n    backend: llama-cpp\n    file: ${tiny.path}\n`, join(dir, "n.yaml"));
    const b = await resolveModel({ kind: "config", model: c.config.models[0]! }, { env: {}, config: c });
    try {
      const rendered = (await b.renderChat?.([{ role: "user", content: "hello" }])) ?? assert.fail("no renderChat");
      assert.equal(rendered, "<|endoftext|>hello");
      const tokens = await tokenize(b, rendered);
      assert.equal(tokens[0], tiny.bosId);
      assert.equal(tokens.filter((t) => t === tiny.bosId).length, 1);
      const r = await b.generate([{ role: "user", content: "hello" }], { maxTokens: 1, temperature: 0 });
      assert.equal(r.usage.promptTokens, tokens.length, "the engine adds no second BOS");
    } finally {
      await b.close();
    }
  });

  test("a lazy model says what it is and how it prompts before its engine loads (what npm start records)", async () => {
    const tiny = createTinyModel(join(dir, "lazy.gguf"), { seed: 4 });
    let loads = 0;
    const b = await resolveModel(
      {
        kind: "config",
        model: { id: "zoo-lazy", backend: "llama-cpp", file: tiny.path },
        lazy: { onLoad: () => loads++ },
        threads: 1,
      },
      { env: {} },
    );
    try {
      assert.deepEqual(b.identity, {
        id: "zoo-lazy",
        backend: "llama-cpp",
        name: "lazy.gguf",
        fileSha256: tiny.sha256,
      });
      assert.equal(b.provenance?.templateSource, "gguf", "the GGUF's ChatML template, read from the header");
      assert.match(b.provenance?.templateHash ?? "", /^[0-9a-f]{64}$/);
      assert.equal(b.provenance?.systemPromptSource, "none");
      const opts = {
        modelId: "zoo-lazy",
        tasks: [],
        groups: [],
        dataDir: ".",
        prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1 },
      };
      assert.deepEqual(runConfig(b, opts).model_prompting, b.provenance);
      assert.equal(loads, 0, "nothing loaded yet");
      const rendered = (await b.renderChat?.([{ role: "user", content: "hi" }])) ?? assert.fail("no renderChat");
      assert.equal(rendered, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
      const [ll] = await b.loglikelihood([{ context: "hello", continuation: " world" }]);
      assert.ok(ll !== undefined && ll.logprob < 0 && ll.tokenCount > 0);
      assert.equal(loads, 1, "loaded once, on the first call that needed it");
    } finally {
      await b.close();
    }
  });

  test("a bare GGUF (--gguf) is the engine itself, its path relative to the shell's directory", async () => {
    createTinyModel(join(dir, "bare.gguf"), { seed: 6 });
    const { spec, modelId } = modelFromFlags({ gguf: "bare.gguf", threads: 1 });
    assert.equal(modelId, "gguf:bare.gguf");
    const b = await resolveModel(spec, { env: {}, cwd: dir });
    try {
      assert.equal(b.identity.name, "bare.gguf");
      assert.equal(b.provenance, undefined);
      assert.equal(b.capabilities.chat, false, "no chat template: prompt strings only");
      assert.equal(b.renderChat !== undefined, true, "the engine's own call, which refuses without a renderer");
      await assert.rejects(
        async () => b.renderChat?.([{ role: "user", content: "x" }]),
        (e: unknown) => e instanceof ModelmapError && e.code === "unsupported",
      );
    } finally {
      await b.close();
    }
  });
});

test("flags name exactly one model, and an endpoint needs the served name", () => {
  const usage = (e: unknown) => e instanceof ModelmapError && e.code === "usage";
  assert.throws(() => modelFromFlags({}), usage);
  assert.throws(() => modelFromFlags({ model: "a", gguf: "b.gguf" }), usage);
  assert.throws(() => modelFromFlags({ endpoint: "http://h/v1" }), usage);
  assert.deepEqual(modelFromFlags({ endpoint: "http://h/v1", modelName: "n", apiKey: "k" }), {
    spec: { kind: "endpoint", url: "http://h/v1", modelName: "n", id: "n@http://h/v1", apiKey: "k" },
    modelId: "n@http://h/v1",
  });
  assert.deepEqual(modelFromFlags({ model: "m", threads: 2 }), {
    spec: { kind: "config", model: "m", threads: 2 },
    modelId: "m",
  });
  assert.throws(() => parseModelRef("x@ftp://h"), usage);
  assert.deepEqual(parseModelRef("local-id"), { id: "local-id", spec: { kind: "config", model: "local-id" } });
});
