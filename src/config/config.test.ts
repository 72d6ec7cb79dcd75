import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ModelmapError } from "../core/errors.ts";
import { configPath, findModel, loadConfig, parseConfig } from "./load.ts";
import { configJsonSchema, endpointsOf } from "./schema.ts";

const GOOD = `# a fleet and a local file
data_dir: ./state
system_prompts:
  terse: Answer in one word.
models:
  - id: llama3-8b
    backend: openai
    endpoints:
      - http://gpu1:8000/v1
      - http://gpu2:8000/v1
    model: meta-llama/Meta-Llama-3-8B-Instruct
    api_key_env: VLLM_KEY
    template: {source: named, name: llama-3}
    system_prompt: {preset: terse}
    generation: {max_tokens: 256, temperature: 0, stop: ["<|eot_id|>"]}
    concurrency: 32
    timeout_ms: 60000
    max_retries: 4
    metadata: {parameters: 8.03, license: llama3, base_model: meta-llama/Meta-Llama-3-8B, tags: [chat], instruct: true}
  - id: tiny
    backend: llama-cpp
    file: models/tiny.gguf
    system_prompt: {text: Be brief.}
`;

function configErr(text: string): ModelmapError {
  try {
    parseConfig(text, "/x/modelmap.yaml");
  } catch (e) {
    assert.ok(e instanceof ModelmapError, String(e));
    assert.equal(e.code, "config", e.message);
    return e;
  }
  assert.fail("expected a config error");
}

test("a valid config parses, with relative paths resolved against its directory", () => {
  const { config } = parseConfig(GOOD, "/work/cfg/modelmap.yaml");
  assert.equal(config.models.length, 2);
  const [a, b] = config.models;
  assert.deepEqual(endpointsOf(a!), ["http://gpu1:8000/v1", "http://gpu2:8000/v1"]);
  assert.equal(a!.metadata?.parameters, 8.03);
  assert.equal(b!.file, "/work/cfg/models/tiny.gguf");
  assert.equal(config.data_dir, "/work/cfg/state");
  assert.deepEqual(b!.system_prompt, { text: "Be brief." });
});

test("malformed YAML names the file and line", () => {
  const e = configErr("models:\n  - id: a\n    backend: openai\n   endpoints: [x\n");
  assert.equal(e.location?.file, "/x/modelmap.yaml");
  assert.equal(typeof e.location?.line, "number");
  assert.ok((e.location?.line ?? 0) >= 3, e.message);
  assert.match(e.message, /^\/x\/modelmap\.yaml, line \d+: invalid YAML/);
  const dup = configErr("models: []\nmodels: []\n");
  assert.equal(dup.location?.line, 2);
});

test("an unknown key is rejected with its line and field path", () => {
  const text = GOOD.replace("    timeout_ms: 60000\n", "    timeout_ms: 60000\n    temprature: 0.7\n");
  const e = configErr(text);
  assert.equal(e.location?.field, "models[0].temprature");
  assert.equal(e.location?.line, 18);
  assert.match(e.message, /line 18, field 'models\[0\]\.temprature': unknown key 'temprature'/);
  const nested = configErr(GOOD.replace("{source: named, name: llama-3}", "{source: named, nam: llama-3}"));
  assert.equal(nested.location?.field, "models[0].template.nam");
  assert.equal(nested.location?.line, 13);
  const top = configErr(`${GOOD}extra: 1\n`);
  assert.equal(top.location?.field, "extra");
  assert.equal(top.location?.line, 24);
});

test("wrong types, bad enums and missing fields point at the line", () => {
  const t = configErr(GOOD.replace("concurrency: 32", "concurrency: lots"));
  assert.equal(t.location?.field, "models[0].concurrency");
  assert.equal(t.location?.line, 16);
  assert.match(t.message, /expected number, got string "lots"/);
  const en = configErr(GOOD.replace("backend: llama-cpp", "backend: vllm"));
  assert.equal(en.location?.field, "models[1].backend");
  assert.equal(en.location?.line, 21);
  assert.match(en.message, /"openai", "llama-cpp"/);
  const missing = configErr(GOOD.replace("    file: models/tiny.gguf\n", ""));
  assert.equal(missing.location?.field, "models[1].file");
  assert.match(missing.message, /needs file/);
  const url = configErr(GOOD.replace("http://gpu2:8000/v1", "ftp://gpu2/v1"));
  assert.equal(url.location?.field, "models[0].endpoints[1]");
  assert.equal(url.location?.line, 10);
});

test("cross-field rules: duplicate ids, unknown presets, backend-specific keys", () => {
  const dup = configErr(GOOD.replace("id: tiny", "id: llama3-8b"));
  assert.equal(dup.location?.field, "models[1].id");
  assert.equal(dup.location?.line, 20);
  assert.match(dup.message, /duplicate model id/);
  const preset = configErr(GOOD.replace("{preset: terse}", "{preset: chatty}"));
  assert.match(preset.message, /unknown preset 'chatty' \(none, default, terse\)/);
  const wrong = configErr(
    GOOD.replace("    file: models/tiny.gguf\n", "    file: models/tiny.gguf\n    api_key_env: X\n"),
  );
  assert.match(wrong.message, /api_key_env is for openai models/);
  const named = configErr(GOOD.replace("{source: named, name: llama-3}", "{source: named}"));
  assert.equal(named.location?.field, "models[0].template.name");
});

test("loadConfig reads ./modelmap.yaml, $MODELMAP_CONFIG, or an explicit path", () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-config-"));
  writeFileSync(join(dir, "modelmap.yaml"), GOOD);
  writeFileSync(join(dir, "other.yaml"), "models: []\n");
  assert.equal(loadConfig(undefined, { cwd: dir, env: {} }).config.models.length, 2);
  assert.equal(loadConfig(undefined, { cwd: dir, env: { MODELMAP_CONFIG: "other.yaml" } }).config.models.length, 0);
  assert.equal(loadConfig(join(dir, "other.yaml"), { cwd: "/", env: {} }).file, join(dir, "other.yaml"));
  assert.equal(configPath(undefined, {}, dir), join(dir, "modelmap.yaml"));
  assert.throws(
    () => loadConfig("nope.yaml", { cwd: dir, env: {} }),
    (e: unknown) => e instanceof ModelmapError && e.code === "not_found",
  );
  const loaded = loadConfig(undefined, { cwd: dir, env: {} });
  assert.equal(findModel(loaded, "tiny").backend, "llama-cpp");
  assert.throws(
    () => findModel(loaded, "gpt"),
    (e: unknown) => e instanceof ModelmapError && /llama3-8b, tiny/.test(e.hint ?? ""),
  );
});

test("the committed JSON Schema is in sync with the zod schema", () => {
  const committed = JSON.parse(readFileSync("schema/modelmap.schema.json", "utf8"));
  assert.deepEqual(
    committed,
    configJsonSchema(),
    "run: npx tsx src/cli/main.ts config schema --out schema/modelmap.schema.json",
  );
});

test("the JSON Schema rejects unknown keys too (additionalProperties: false)", () => {
  const s = configJsonSchema() as {
    additionalProperties?: unknown;
    properties: { models: { items: { additionalProperties?: unknown } } };
  };
  assert.equal(s.additionalProperties, false);
  assert.equal(s.properties.models.items.additionalProperties, false);
});
