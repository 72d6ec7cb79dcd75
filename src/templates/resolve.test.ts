import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { parseMessages } from "./messages.ts";
import { renderChat } from "./render.ts";
import { resolveTemplate } from "./resolve.ts";

const dir = mkdtempSync(join(tmpdir(), "modelmap-resolve-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";

function isErr(code: string, re?: RegExp) {
  return (e: unknown) => e instanceof ModelmapError && e.code === code && (re === undefined || re.test(e.message));
}

test("auto prefers the GGUF's template, then tokenizer_config, then a named one, then none", () => {
  const tc = join(dir, "tokenizer_config.json");
  writeFileSync(
    tc,
    JSON.stringify({
      chat_template: CHATML,
      bos_token: { content: "<s>", lstrip: false },
      eos_token: "</s>",
      add_bos_token: true,
    }),
  );
  assert.equal(
    resolveTemplate({ source: "auto", path: dir, name: "x" }, { ggufChatTemplate: "{{ 1 }}" }).source,
    "gguf",
  );
  const fromTc = resolveTemplate({ source: "auto", path: dir });
  assert.equal(fromTc.source, "tokenizer_config");
  assert.equal(fromTc.bosToken, "<s>", "AddedToken objects are read by content");
  assert.equal(fromTc.eosToken, "</s>");
  assert.equal(fromTc.addBosToken, true);
  assert.equal(fromTc.origin, tc);
  assert.equal(resolveTemplate({ source: "auto", name: "zephyr" }, { ggufChatTemplate: "  " }).source, "named");
  const none = resolveTemplate({ source: "auto" });
  assert.equal(none.source, "none");
  assert.equal(none.template, undefined);
});

test("a tokenizer_config list of named templates: default, or the entry asked for", () => {
  const p = join(dir, "list.json");
  writeFileSync(
    p,
    JSON.stringify({
      chat_template: [
        { name: "default", template: CHATML },
        { name: "tool_use", template: "{{ 'tools' }}" },
      ],
    }),
  );
  assert.equal(resolveTemplate({ source: "tokenizer_config", path: p }).template, CHATML);
  const tu = resolveTemplate({ source: "tokenizer_config", path: p, name: "tool_use" });
  assert.equal(tu.name, "tool_use");
  assert.equal(renderChat(tu, []).text, "tools");
  assert.throws(
    () => resolveTemplate({ source: "tokenizer_config", path: p, name: "rag" }),
    (e: unknown) => e instanceof ModelmapError && e.code === "not_found" && /default, tool_use/.test(e.hint ?? ""),
  );
});

test("explicit sources fail clearly when their template is not there", () => {
  assert.throws(
    () => resolveTemplate({ source: "gguf" }, { ggufOrigin: "m.gguf" }),
    isErr("not_found", /m\.gguf has no tokenizer\.chat_template/),
  );
  assert.throws(
    () => resolveTemplate({ source: "named", name: "llama-9" }),
    isErr("not_found", /unknown named template 'llama-9'/),
  );
  assert.throws(() => resolveTemplate({ source: "tokenizer_config", path: join(dir, "nope") }), isErr("not_found"));
  const noTemplate = join(dir, "plain.json");
  writeFileSync(noTemplate, JSON.stringify({ bos_token: "<s>" }));
  assert.throws(
    () => resolveTemplate({ source: "tokenizer_config", path: noTemplate }),
    isErr("not_found", /no chat_template/),
  );
  const bad = join(dir, "bad.json");
  writeFileSync(bad, "{ not json");
  assert.throws(() => resolveTemplate({ source: "tokenizer_config", path: bad }), isErr("input", /not valid JSON/));
});

test("a broken template fails at resolution, pointing into it", () => {
  const p = join(dir, "broken.json");
  writeFileSync(p, JSON.stringify({ chat_template: "{% for m in messages %}\n{{ m.content }\n{% endfor %}" }));
  assert.throws(
    () => resolveTemplate({ source: "tokenizer_config", path: p }),
    (e: unknown) =>
      e instanceof ModelmapError && e.code === "template" && e.location?.file === p && e.location.line === 2,
  );
});

test("the tokenizer's special tokens win over the template source's and join the stop strings", () => {
  const t = resolveTemplate(
    { source: "named", name: "chatml" },
    { bosToken: "<|endoftext|>", eosToken: "<|endoftext|>" },
  );
  assert.equal(t.bosToken, "<|endoftext|>");
  assert.deepEqual(t.stop, ["<|im_end|>", "<|endoftext|>"]);
});

test("messages files: JSON list, {messages}, JSONL; errors name line and field", () => {
  const m = [{ role: "user", content: "hi" }];
  assert.deepEqual(parseMessages(JSON.stringify(m), "a.json"), m);
  assert.deepEqual(parseMessages(JSON.stringify({ messages: m }), "a.json"), m);
  assert.deepEqual(
    parseMessages('{"role":"system","content":"s"}\n\n{"role":"user","content":"u"}\n', "a.jsonl").length,
    2,
  );
  assert.throws(
    () => parseMessages('{"role":"user","content":"a"}\n{"role":"user"}\n', "b.jsonl"),
    (e: unknown) => e instanceof ModelmapError && e.location?.line === 2 && e.location.field === "content",
  );
  assert.throws(() => parseMessages('[{"role":"user","content":"a","extra":1}]', "c.json"), isErr("input"));
});
