import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import type { ModelConfig } from "../config/schema.ts";
import { ModelmapError } from "../core/errors.ts";
import { ggufTokenizerInfo, renderForModel, resolveModelPrompting } from "./prompting.ts";

const LLAMA2 = "../shared/data/tiny_gguf_models/llama-2-tiny-random.gguf";

test("a GGUF header gives the BOS/EOS strings and whether the tokenizer adds BOS (real Llama-2 tokenizer)", () => {
  assert.ok(existsSync(LLAMA2), `shared data missing: ${LLAMA2} (tests read real public data from ../shared/data)`);
  const info = ggufTokenizerInfo(LLAMA2);
  assert.equal(info.bosToken, "<s>");
  assert.equal(info.eosToken, "</s>");
  assert.equal(info.addBos, true);
});

test("a llama-2 GGUF with the named llama-2 template: the template's BOS, and the engine adds none", () => {
  const model: ModelConfig = {
    id: "l2",
    backend: "llama-cpp",
    file: LLAMA2,
    template: { source: "named", name: "llama-2" },
  };
  const { prompt, prompting } = renderForModel(model, [{ role: "user", content: "Hi" }], {
    systemPrompt: { text: "Be nice." },
  });
  assert.equal(prompting.template?.bosToken, "<s>");
  assert.equal(prompt.kind, "text");
  if (prompt.kind !== "text") return;
  assert.equal(prompt.text, "<s>[INST] <<SYS>>\nBe nice.\n<</SYS>>\n\nHi [/INST]");
  assert.equal(prompt.addBos, false);
  assert.equal(prompt.textWithoutBos, "[INST] <<SYS>>\nBe nice.\n<</SYS>>\n\nHi [/INST]");
  assert.equal(prompt.systemPromptSource, "custom");
});

test("model default system prompt and presets come from the config", () => {
  const model: ModelConfig = {
    id: "m",
    backend: "openai",
    endpoints: "http://x/v1",
    template: { source: "named", name: "chatml" },
    default_system_prompt: "I am the default.",
    system_prompt: { preset: "default" },
  };
  const p = resolveModelPrompting(model);
  assert.equal(p.systemPrompt.text, "I am the default.");
  assert.equal(p.systemPrompt.source, "default");
  const named = resolveModelPrompting(model, { presets: { short: "Short." }, systemPrompt: { preset: "short" } });
  assert.equal(named.systemPrompt.source, "preset:short");
  const server = resolveModelPrompting({ id: "s", backend: "openai", endpoints: "http://x/v1" });
  assert.equal(server.template, undefined);
});

test("a missing GGUF is an error when its template is needed, not a silent plain prompt", () => {
  const model: ModelConfig = { id: "gone", backend: "llama-cpp", file: "/nonexistent/model.gguf" };
  assert.throws(
    () => resolveModelPrompting(model),
    (e: unknown) => e instanceof ModelmapError && e.code === "not_found" && /GGUF file not found/.test(e.message),
  );
  const named = resolveModelPrompting({ ...model, template: { source: "named", name: "chatml" } });
  assert.equal(named.template?.name, "chatml");
});
