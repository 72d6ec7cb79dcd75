import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ChatMessage } from "../backends/types.ts";
import { sha256 } from "../core/hash.ts";
import { loadConformanceCases } from "./conformance.ts";
import { NAMED_TEMPLATES } from "./named.ts";
import { type ResolvedTemplate, renderChat } from "./render.ts";
import { resolveTemplate } from "./resolve.ts";

const DATA = join("..", "shared", "data");

function shared(rel: string): string {
  const p = join(DATA, rel);
  assert.ok(existsSync(p), `shared data missing: ${p} (tests read real public data from ../shared/data)`);
  return readFileSync(p, "utf8");
}

function fromSource(template: string, bos: string, eos: string): ResolvedTemplate {
  return {
    source: "tokenizer_config",
    name: undefined,
    template,
    hash: sha256(template),
    origin: "ref",
    bosToken: bos,
    eosToken: eos,
    stop: [],
  };
}

const withSystem: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant" },
  { role: "user", content: "Hello" },
  { role: "assistant", content: "Hi there" },
  { role: "user", content: "Who are you" },
];
const noSystem = withSystem.slice(1);

/** chujiezheng's files are laid out for reading; its README loads them with this whitespace removal. */
function chujiezheng(name: string): string {
  return shared(`chat_templates_chujiezheng/chat_templates__${name}.jinja`).replaceAll("    ", "").replaceAll("\n", "");
}

function caseTemplate(name: string): string {
  const c = loadConformanceCases(DATA).cases.find((x) => x.name.startsWith(name));
  assert.ok(c, `case ${name} not found`);
  return c.template_str;
}

/** Renders a named template and an upstream copy of the official one the same way and compares. */
function assertSame(named: string, reference: string, messages: ChatMessage[], addGen = true) {
  const n = NAMED_TEMPLATES.get(named);
  assert.ok(n);
  const a = renderChat(resolveTemplate({ source: "named", name: named }), messages, {
    addGenerationPrompt: addGen,
    systemRoleFallback: "error",
  });
  const b = renderChat(fromSource(reference, n.bosToken, n.eosToken), messages, {
    addGenerationPrompt: addGen,
    systemRoleFallback: "error",
  });
  assert.equal(a.text, b.text, `${named} differs from the official template`);
  return a.text;
}

test("named templates match the official ones, rendered the same way", () => {
  for (const addGen of [true, false]) {
    assertSame("chatml", caseTemplate("teknium/OpenHermes-2.5"), withSystem, addGen);
    assertSame("mistral", caseTemplate("mistralai/Mistral-7B-Instruct-v0.2 (mistralai 'v1'"), withSystem, addGen);
    assertSame("gemma", shared("chat_templates_llamacpp/google-gemma-2-2b-it.jinja"), noSystem, addGen);
    assertSame("phi-3", shared("chat_templates_llamacpp/microsoft-Phi-3.5-mini-instruct.jinja"), withSystem, addGen);
    assertSame("llama-2", chujiezheng("llama-2-chat"), withSystem, addGen);
    assertSame("zephyr", chujiezheng("zephyr"), withSystem, addGen);
  }
  // The llama.cpp copy of the first Llama 3 template always appends the assistant header.
  assertSame("llama-3", caseTemplate("Llama-3"), withSystem, true);
});

test("llama-3 writes BOS once and the header only with add_generation_prompt", () => {
  const t = resolveTemplate({ source: "named", name: "llama-3" });
  const r = renderChat(t, [{ role: "user", content: " Hi " }], { addGenerationPrompt: false });
  assert.equal(r.text, "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
});

test("vicuna follows FastChat's vicuna_v1.1 format, with its default system prompt", () => {
  const t = resolveTemplate({ source: "named", name: "vicuna" });
  assert.equal(
    renderChat(t, withSystem).text,
    "You are a helpful assistant USER: Hello ASSISTANT: Hi there</s>USER: Who are you ASSISTANT:",
  );
  assert.match(
    renderChat(t, noSystem).text,
    /^A chat between a curious user and an artificial intelligence assistant\. .* USER: Hello/,
  );
});

test("alpaca follows the Stanford Alpaca prompt", () => {
  const t = resolveTemplate({ source: "named", name: "alpaca" });
  assert.equal(
    renderChat(t, [{ role: "user", content: "Name a colour." }]).text,
    "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nName a colour.\n\n### Response:\n",
  );
});

test("every named template parses, renders a two-turn chat, and declares stop strings", () => {
  assert.ok(NAMED_TEMPLATES.size >= 9);
  for (const name of ["chatml", "llama-2", "llama-3", "mistral", "zephyr", "vicuna", "alpaca", "gemma", "phi-3"])
    assert.ok(NAMED_TEMPLATES.has(name), name);
  for (const [name, t] of NAMED_TEMPLATES) {
    const r = renderChat(resolveTemplate({ source: "named", name }), withSystem);
    assert.ok(r.text.includes("Who are you"), name);
    assert.ok(t.stop.length > 0, name);
  }
});
