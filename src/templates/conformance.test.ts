import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test } from "node:test";
import type { ChatMessage } from "../backends/types.ts";
import { sha256 } from "../core/hash.ts";
import { runConformance } from "./conformance.ts";
import { renderChat } from "./render.ts";
import { compileTemplate } from "./sandbox.ts";

const DATA = join("..", "shared", "data");

test("llama.cpp's 36 chat-template cases: every Jinja-supported case but the tool-call ones matches byte for byte", () => {
  const report = runConformance(DATA);
  assert.equal(report.summary.total, 36);
  const differ = report.cases.filter((c) => c.status === "differ");
  // The three granite tool-call cases expect tool messages the shared conversation does not contain.
  for (const c of differ) assert.match(c.reason, /tool-call/, `${c.name}: ${c.reason} ${c.firstDifference ?? ""}`);
  assert.equal(report.summary.skipped, 1);
  assert.equal(report.summary.match, 32);
  // Without merging the system message for templates that have no system role, six more would differ.
  assert.equal(report.summary.matchWithoutAdjustments, 26);
});

function templatesIn(dir: string): string[] {
  const p = join(DATA, dir);
  assert.ok(existsSync(p), `shared data missing: ${p} (tests read real public data from ../shared/data)`);
  return readdirSync(p)
    .filter((f) => f.endsWith(".jinja"))
    .map((f) => join(p, f));
}

test("all 75 real chat templates in ../shared/data parse, and render a simple chat", () => {
  const files = [...templatesIn("chat_templates_llamacpp"), ...templatesIn("chat_templates_chujiezheng")];
  assert.equal(files.length, 57 + 18);
  const msgs: ChatMessage[] = [
    { role: "user", content: "Hello" },
    { role: "assistant", content: "Hi there" },
    { role: "user", content: "Who are you" },
  ];
  const renderFailures: string[] = [];
  for (const f of files) {
    const src = readFileSync(f, "utf8");
    compileTemplate(src, f); // throws, naming the file, if it does not parse
    const t = {
      source: "tokenizer_config" as const,
      name: undefined,
      template: src,
      hash: sha256(src),
      origin: f,
      bosToken: "<s>",
      eosToken: "</s>",
      stop: [],
    };
    const now = new Date("2024-07-26T00:00:00Z");
    const limits = { maxMillis: 60_000 }; // a busy machine must not turn into a failure here
    let out: string;
    try {
      out = renderChat(t, msgs, { now, limits }).text;
    } catch {
      // Tool-use variants read `tools` (firefunction: `functions`, `datetime`) without checking that it is defined.
      try {
        out = renderChat(t, msgs, {
          now,
          limits,
          variables: { tools: [], functions: "[]", datetime: "2024-07-26" },
        }).text;
      } catch (e) {
        renderFailures.push(`${basename(f)}: ${(e as Error).message.split("\n")[0]}`);
        continue;
      }
    }
    assert.ok(out.includes("Who are you"), `${f} lost the last message`);
  }
  // @huggingface/jinja does not accept integer keys in dict literals ({0: 0, 512: 128}); Python's Jinja does.
  assert.equal(renderFailures.length, 1, renderFailures.join("\n"));
  assert.match(renderFailures[0] ?? "", /ByteDance-Seed-OSS.*Object keys must be strings/);
});
