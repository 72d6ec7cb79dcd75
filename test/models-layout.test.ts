/**
 * The models layout (docs/decisions/0003-models.md): engines and their contract in backends/, importing only
 * core/; one door, models/resolveModel, constructing them; and the core reading no process globals, which
 * the shell (cli/) hands in.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) yield p;
  }
}

const IMPORT = /(?:from\s+|import\s*\(\s*)["']([^"']+)["']/g;

test("backends/ holds the engines and their contract, and imports nothing of modelmap's but core/", () => {
  let checked = 0;
  for (const f of files("src/backends")) {
    for (const m of readFileSync(f, "utf8").matchAll(IMPORT)) {
      const imp = m[1] as string;
      if (!imp.startsWith(".")) continue;
      const top = relative("src", join(f, "..", imp)).split("/")[0];
      assert.ok(top === "core" || top === "backends", `${f} imports ${imp}`);
      checked++;
    }
  }
  assert.ok(checked > 10, "the rule saw the engines' imports");
});

test("engines are constructed only in models/ (and by the engines' own tests and benchmarks)", () => {
  const CONSTRUCT = /new (OpenAIBackend|LlamaCppBackend)\(|openLlamaCppBackend\(/;
  // The engines' own throughput benchmarks measure an engine bare, as the engines' tests do.
  const engineBenches = new Set(["bench/llama-mc.ts", "bench/openai-throughput.ts"]);
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
  // Test data in src/ moves to test/support/ (issue 15, part 3); until then it is not core code.
  const fixtures = new Set(["src/capmap/test-data.ts", "src/web/fixtures.ts", "src/arena/test-data.ts"]);
  const offenders: string[] = [];
  for (const f of files("src")) {
    if (f.startsWith("src/cli/") || fixtures.has(f)) continue;
    const src = readFileSync(f, "utf8");
    if (/process\.env\b|process\.cwd\(/.test(src)) offenders.push(f);
  }
  assert.deepEqual(offenders, []);
  assert.ok(existsSync("src/cli/main.ts"), "the shell is where the globals are read");
});
