/**
 * The configured-model factory against real components: a local HTTP server that records what an
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
import { parseConfig } from "../config/load.ts";
import { ModelmapError } from "../core/errors.ts";
import { openBackend } from "./index.ts";

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
    ).config;

  test("a named template is rendered here and sent to /completions without BOS, with its stop strings", async () => {
    const c = config(
      "    template: {source: named, name: llama-2}\n    system_prompt: {preset: terse}\n    generation: {max_tokens: 7}\n",
    );
    const b = await openBackend(c.models[0]!, { presets: c.system_prompts });
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
    assert.equal(b.prompting.templateSource, "named");
    assert.equal(b.prompting.systemPromptSource, "preset:terse");
    assert.match(b.prompting.templateHash ?? "", /^[0-9a-f]{64}$/);
    await b.close();
  });

  test("without a configured template the server's own applies; the system prompt is still sent", async () => {
    const c = config("    system_prompt: {text: You are a pirate.}\n    api_key_env: TEST_KEY\n");
    const b = await openBackend(c.models[0]!, { env: { TEST_KEY: "sk-123" } });
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
    assert.equal(b.prompting.templateSource, "server");
    await assert.rejects(
      () => b.renderChat([{ role: "user", content: "x" }]),
      (e: unknown) => e instanceof ModelmapError && e.code === "unsupported",
    );
    await b.close();
  });

  test("a missing API key variable is an auth error naming it", async () => {
    const c = config("    api_key_env: MISSING_KEY_VAR\n");
    await assert.rejects(
      () => openBackend(c.models[0]!, { env: {} }),
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
    ).config;
    const b = await openBackend(c.models[0]!);
    try {
      assert.equal(b.prompting.templateSource, "gguf");
      const rendered = await b.renderChat([{ role: "user", content: "hello" }]);
      assert.ok(rendered.startsWith("<|im_start|>user"), rendered);
      const withBos = await b.tokenize(`<|endoftext|>${rendered}`);
      assert.equal(withBos[0], tiny.bosId, "the BOS string is a BOS token when special tokens are parsed");
      const r = await b.generate([{ role: "user", content: "hello" }], { maxTokens: 1, temperature: 0 });
      const textTokens = await b.tokenize(rendered);
      assert.equal(r.usage.promptTokens, textTokens.length + 1, "one BOS (the engine's), not two");
    } finally {
      await b.close();
    }
  });

  test("a template that writes BOS on a model whose tokenizer does not add it: the template's BOS stays", async () => {
    const tmpl = "{{ bos_token }}{% for m in messages %}{{ m['content'] }}{% endfor %}";
    const tiny = createTinyModel(join(dir, "nobos.gguf"), { chatTemplate: tmpl, addBos: false });
    const c = parseConfig(
      `models:\n  - id: t\n    backend: llama-cpp\n    file: ${tiny.path}\n`,
      join(dir, "n.yaml"),
    ).config;
    const b = await openBackend(c.models[0]!);
    try {
      const rendered = await b.renderChat([{ role: "user", content: "hello" }]);
      assert.equal(rendered, "<|endoftext|>hello");
      const tokens = await b.tokenize(rendered);
      assert.equal(tokens[0], tiny.bosId);
      assert.equal(tokens.filter((t) => t === tiny.bosId).length, 1);
      const r = await b.generate([{ role: "user", content: "hello" }], { maxTokens: 1, temperature: 0 });
      assert.equal(r.usage.promptTokens, tokens.length, "the engine adds no second BOS");
    } finally {
      await b.close();
    }
  });
});
