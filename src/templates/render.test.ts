import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatMessage } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { renderPrompt } from "./prompt.ts";
import { renderChat } from "./render.ts";
import { resolveTemplate } from "./resolve.ts";
import { resolveSystemPrompt } from "./system-prompt.ts";

const convo: ChatMessage[] = [
  { role: "system", content: "Be brief." },
  { role: "user", content: "Hello" },
];

test("a template that writes bos_token and a tokenizer that adds BOS give one BOS", () => {
  const t = resolveTemplate({ source: "named", name: "llama-2" });
  const r = renderChat(t, convo, { bosToken: "<s>", tokenizerAddsBos: true });
  assert.equal(r.text, "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello [/INST]");
  assert.equal(r.bosInText, true);
  assert.equal(r.addBos, false, "the engine must not add a second BOS");
  assert.equal(r.textWithoutBos, "[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHello [/INST]");
  // Exactly one BOS in what an engine that always prepends BOS would see.
  const engineView = `<s>${r.textWithoutBos}`;
  assert.equal(engineView.split("<s>").length - 1, 1);
});

test("a template without bos_token leaves BOS to the tokenizer", () => {
  const t = resolveTemplate({ source: "named", name: "chatml" });
  const r = renderChat(t, convo, { bosToken: "<s>", tokenizerAddsBos: true });
  assert.equal(r.bosInText, false);
  assert.equal(r.addBos, true);
  assert.equal(r.textWithoutBos, r.text);
  const noBos = renderChat(t, convo, { bosToken: "<s>", tokenizerAddsBos: false });
  assert.equal(noBos.addBos, false);
});

test("the tokenizer's BOS string wins over the named template's default", () => {
  const t = resolveTemplate({ source: "named", name: "llama-3" }, { bosToken: "<|begin_of_text|>" });
  const r = renderChat(t, [{ role: "user", content: "Hi" }], { tokenizerAddsBos: true });
  assert.ok(r.text.startsWith("<|begin_of_text|><|start_header_id|>user"));
  assert.equal(r.addBos, false);
});

test("a system message is merged into the first user turn for templates without a system role", () => {
  const t = resolveTemplate({ source: "named", name: "gemma" });
  const r = renderChat(t, convo, { bosToken: "<bos>" });
  assert.deepEqual(r.adjustments, ["system-merged-into-first-user"]);
  assert.equal(r.text, "<bos><start_of_turn>user\nBe brief.\nHello<end_of_turn>\n<start_of_turn>model\n");
  assert.throws(
    () => renderChat(t, convo, { systemRoleFallback: "error" }),
    (e: unknown) => e instanceof ModelmapError && e.code === "template" && /System role not supported/.test(e.message),
  );
});

test("continueFinalMessage leaves the last assistant message open (no EOS after it)", () => {
  const t = resolveTemplate({ source: "named", name: "llama-2" });
  const msgs: ChatMessage[] = [
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "The answer is" },
  ];
  const closed = renderChat(t, msgs, { addGenerationPrompt: false });
  assert.ok(closed.text.endsWith("The answer is </s>"));
  const open = renderChat(t, msgs, { continueFinalMessage: true });
  assert.equal(open.text, "<s>[INST] 2+2? [/INST] The answer is");
});

test("source none renders plain text for completion models", () => {
  const t = resolveTemplate({ source: "none" });
  const r = renderChat(t, convo, { tokenizerAddsBos: true });
  assert.equal(r.text, "Be brief.\n\nHello");
  assert.equal(r.addBos, true);
});

test("renderPrompt applies the system prompt and records everything by content hash", () => {
  const t = resolveTemplate({ source: "named", name: "chatml" });
  const none = renderPrompt(t, resolveSystemPrompt({ preset: "none" }), [{ role: "user", content: "Hi" }]);
  assert.equal(none.text, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  assert.equal(none.systemPromptSource, "none");
  assert.equal(none.systemPromptHash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const custom = renderPrompt(t, resolveSystemPrompt({ text: "You are terse." }), convo);
  assert.equal(
    custom.text,
    "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n",
  );
  assert.equal(custom.systemPromptSource, "custom");
  assert.notEqual(custom.systemPromptHash, none.systemPromptHash);
  assert.equal(custom.templateHash, t.hash);
  assert.equal(custom.source, "named");
  assert.equal(custom.templateName, "chatml");
  assert.deepEqual(custom.stop, ["<|im_end|>"]);
});

test("system prompt presets: none, default, named, unknown", () => {
  const presets = { terse: "Answer in one word." };
  assert.equal(resolveSystemPrompt({ preset: "default" }, { modelDefault: "I am X." }).text, "I am X.");
  assert.equal(resolveSystemPrompt({ preset: "default" }).text, undefined);
  const named = resolveSystemPrompt({ preset: "terse" }, { presets });
  assert.equal(named.text, "Answer in one word.");
  assert.equal(named.source, "preset:terse");
  assert.throws(
    () => resolveSystemPrompt({ preset: "nope" }, { presets }),
    (e: unknown) => e instanceof ModelmapError && e.code === "not_found" && /terse/.test(e.hint ?? ""),
  );
});
