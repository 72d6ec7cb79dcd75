/**
 * End to end: `modelmap models …`, `modelmap template …` and `modelmap config …` through runCli, on a real
 * config file, a tiny GGUF through the real engine, and real local HTTP servers.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { createTinyModel } from "./support/tiny-model.ts";

async function cli(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let out = "";
  let err = "";
  const code = await runCli(argv, {
    cwd,
    env,
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { code, out, err };
}

describe("models, template and config commands", () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-models-cli-"));
  let server: Server;
  let base = "";
  before(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.setHeader("content-type", "application/json");
        if (req.url === "/v1/models") return res.end(JSON.stringify({ data: [{ id: "served-model" }] }));
        if (req.url === "/v1/chat/completions")
          return res.end(JSON.stringify({ choices: [{ message: { content: "hello!" }, finish_reason: "stop" }] }));
        // No logprobs: log-likelihood is unsupported on this server.
        res.end(JSON.stringify({ choices: [{ text: "hello!", finish_reason: "stop" }] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    createTinyModel(join(dir, "tiny.gguf"), { seed: 3 });
    writeFileSync(
      join(dir, "modelmap.yaml"),
      `system_prompts:
  terse: Answer briefly.
models:
  - id: tiny
    backend: llama-cpp
    file: tiny.gguf
    metadata: {parameters: 0.0001, license: apache-2.0, tags: [test]}
  - id: remote
    backend: openai
    endpoints: ${base}
    model: served-model
    template: {source: named, name: llama-3}
    system_prompt: {preset: terse}
  - id: remote-server-template
    backend: openai
    endpoints: ${base}
    model: served-model
  - id: dead
    backend: openai
    endpoints: http://127.0.0.1:9/v1
    max_retries: 0
    timeout_ms: 2000
`,
    );
    writeFileSync(join(dir, "chat.json"), JSON.stringify([{ role: "user", content: "Hi there" }]));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("models list and show", async () => {
    const l = await cli(["models", "list"], dir);
    assert.equal(l.code, 0, l.err);
    assert.match(l.out, /^ID\s+BACKEND/);
    assert.match(l.out, /tiny\s+llama-cpp\s+\S+tiny\.gguf\s+auto\s+0\.0001B\s+apache-2\.0\s+test/);
    assert.match(l.out, /remote\s+openai\s+http:\/\/127\.0\.0\.1:\d+\/v1\s+named:llama-3/);
    const s = await cli(["models", "show", "tiny"], dir);
    assert.equal(s.code, 0, s.err);
    assert.match(s.out, /template:\s+gguf \(gguf:tiny\.gguf, sha256 [0-9a-f]{12}\)/);
    assert.match(s.out, /system prompt:\s+none/);
    const missing = await cli(["models", "show", "nope"], dir);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no model 'nope'/);
  });

  test("template render prints exactly what the model sees", async () => {
    const r = await cli(["template", "render", "--model", "remote", "--messages", "chat.json"], dir);
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nAnswer briefly.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
    );
    assert.match(r.err, /template named 'llama-3'.*system prompt preset:terse/);
    const custom = await cli(
      [
        "template",
        "render",
        "--model",
        "remote",
        "--messages",
        "chat.json",
        "--system",
        "Be a cat.",
        "--no-generation-prompt",
      ],
      dir,
    );
    assert.ok(custom.out.includes("Be a cat.<|eot_id|>"));
    assert.ok(custom.out.endsWith("Hi there<|eot_id|>"));
    const none = await cli(
      ["template", "render", "--model", "tiny", "--messages", "chat.json", "--system-preset", "none"],
      dir,
    );
    assert.equal(none.out, "<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n");
    assert.match(none.err, /the tokenizer adds BOS/);
    const server = await cli(
      ["template", "render", "--model", "remote-server-template", "--messages", "chat.json"],
      dir,
    );
    assert.equal(server.code, 0);
    assert.deepEqual(JSON.parse(server.out), [{ role: "user", content: "Hi there" }]);
    const json = await cli(["template", "render", "--model", "remote", "--messages", "chat.json", "--json"], dir);
    const obj = JSON.parse(json.out);
    assert.equal(obj.source, "named");
    assert.equal(obj.addBos, false);
    assert.match(obj.templateHash, /^[0-9a-f]{64}$/);
    const both = await cli(
      [
        "template",
        "render",
        "--model",
        "remote",
        "--messages",
        "chat.json",
        "--system",
        "x",
        "--system-preset",
        "none",
      ],
      dir,
    );
    assert.equal(both.code, 2);
  });

  test("template render rejects a malformed messages file with its line", async () => {
    writeFileSync(join(dir, "bad.jsonl"), '{"role":"user","content":"a"}\n{"role":"robot","content":"b"}\n');
    const r = await cli(["template", "render", "--model", "tiny", "--messages", "bad.jsonl"], dir);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.jsonl, line 2, field 'role'/);
  });

  test("template list and show", async () => {
    const l = await cli(["template", "list"], dir);
    for (const n of ["chatml", "llama-2", "llama-3", "mistral", "zephyr", "vicuna", "alpaca", "gemma", "phi-3"])
      assert.match(l.out, new RegExp(`^${n}\\s`, "m"));
    const s = await cli(["template", "show", "chatml"], dir);
    assert.match(s.out, /<\|im_start\|>/);
  });

  test("config check reports malformed YAML and unknown keys with file and line", async () => {
    writeFileSync(join(dir, "broken.yaml"), "models:\n  - id: x\n    backend: openai\n    endpoints: [http://a/v1\n");
    const y = await cli(["config", "check", "--config", "broken.yaml"], dir);
    assert.equal(y.code, 2);
    assert.match(y.err, /broken\.yaml, line \d+: invalid YAML/);
    writeFileSync(
      join(dir, "typo.yaml"),
      "models:\n  - id: x\n    backend: openai\n    endpoints: http://a/v1\n    temprature: 1\n",
    );
    const k = await cli(["config", "check"], dir, { MODELMAP_CONFIG: "typo.yaml" });
    assert.equal(k.code, 2);
    assert.match(k.err, /typo\.yaml, line 5, field 'models\[0\]\.temprature': unknown key 'temprature'/);
    const ok = await cli(["config", "check"], dir);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /4 model\(s\), valid/);
  });

  test("config schema --out writes the committed schema", async () => {
    const r = await cli(["config", "schema", "--out", "schema.json"], dir);
    assert.equal(r.code, 0);
    assert.equal(readFileSync(join(dir, "schema.json"), "utf8"), readFileSync("schema/modelmap.schema.json", "utf8"));
  });

  test("models check: a GGUF, a server without prompt logprobs, and a dead endpoint", async () => {
    const r = await cli(["models", "check", "--json"], dir);
    assert.equal(r.code, 1, "the dead endpoint fails the check");
    const res = JSON.parse(r.out) as Array<{
      id: string;
      ok: boolean;
      steps: Array<{ step: string; status: string; detail: string }>;
    }>;
    const by = new Map(res.map((x) => [x.id, x]));
    const status = (id: string) => Object.fromEntries((by.get(id)?.steps ?? []).map((s) => [s.step, s.status]));
    assert.deepEqual(status("tiny"), { reachable: "ok", template: "ok", generate: "ok", loglikelihood: "ok" });
    assert.deepEqual(status("remote"), {
      reachable: "ok",
      template: "ok",
      generate: "ok",
      loglikelihood: "unsupported",
    });
    assert.equal(by.get("remote")?.ok, true);
    assert.match(by.get("remote")?.steps[0]?.detail ?? "", /including 'served-model'/);
    assert.equal(status("dead").reachable, "fail");
    assert.equal(status("dead").generate, "skipped");
    assert.equal(by.get("dead")?.ok, false);
  });
});
