/**
 * The models layout (docs/decisions/0003-models.md): one door, models/resolveModel, constructs the engines, and
 * the core reads no process globals, which the shell (cli/) hands in. (That backends/ imports only core/ is
 * the layer table's rule: test/layers.test.ts.)
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) yield p;
  }
}

test("engines are constructed only in models/ (and by the engines' own tests and benchmarks)", () => {
  const CONSTRUCT = /new (OpenAIBackend|LlamaCppBackend)\(|openLlamaCppBackend\(/;
  // The engines' own benchmarks measure an engine bare, as the engines' tests do (bench/startup.ts times the bare
  // model load, to tell it apart from the time eval spends before its first request).
  const engineBenches = new Set([
    "bench/llama-mc.ts",
    "bench/openai-throughput.ts",
    "bench/startup.ts",
    // llama.cpp's own tools against the bare llama-cpp engine (native scorer, generation, rolling windows).
    "bench/llama-generate.ts",
    "bench/llama-reference.ts",
    "bench/llama-rolling.ts",
  ]);
  const offenders: string[] = [];
  for (const f of [...files("src"), ...files("bench")]) {
    if (f.startsWith("src/models/") || f.startsWith("src/backends/") || engineBenches.has(f)) continue;
    const src = readFileSync(f, "utf8");
    for (const line of src.split("\n")) {
      if (/^\s*(\/\/|\*)/.test(line)) continue;
      if (CONSTRUCT.test(line)) offenders.push(`${f}: ${line.trim()}`);
    }
  }
  assert.deepEqual(offenders, [], "open models through resolveModel (src/models/resolve.ts)");
});

test("the core reads no process.env or process.cwd(): the shell (cli/) passes them in", () => {
  // Test data in src/ moves to test/support/ (issue 15, parts 2 and 3); until then it is not core code.
  const fixtures = new Set(["src/web/fixtures.ts"]);
  const offenders: string[] = [];
  for (const f of files("src")) {
    if (f.startsWith("src/cli/") || fixtures.has(f)) continue;
    const src = readFileSync(f, "utf8");
    if (/process\.env\b|process\.cwd\(/.test(src)) offenders.push(f);
  }
  assert.deepEqual(offenders, []);
  assert.ok(existsSync("src/cli/main.ts"), "the shell is where the globals are read");
});
