import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
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

function imports(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(IMPORT)].map((m) => m[1] as string);
}

test("only store/sqlite imports the database driver", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    if (rel.startsWith("store/sqlite/")) continue;
    assert.ok(!imports(f).includes("better-sqlite3"), `${rel} imports better-sqlite3`);
  }
});

test("only backends/llama-cpp imports node-llama-cpp", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    if (rel.startsWith("backends/llama-cpp/")) continue;
    assert.ok(!imports(f).includes("node-llama-cpp"), `${rel} imports node-llama-cpp`);
  }
});

test("core and stats point nowhere outward; stats does no I/O", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    const top = rel.split("/")[0];
    if (top !== "core" && top !== "stats") continue;
    for (const imp of imports(f)) {
      if (imp.startsWith(".")) {
        const target = join("src", rel, "..", imp);
        const targetTop = relative("src", target).split("/")[0];
        const allowed = top === "core" ? ["core"] : ["core", "stats"];
        assert.ok(allowed.includes(targetTop as string), `${rel} imports ${imp} (outward from ${top}/)`);
      } else if (top === "stats") {
        assert.ok(!/^node:(fs|net|http|child_process)/.test(imp), `${rel} does I/O through ${imp}`);
      }
    }
  }
});

test("the CLI and server hold no SQL", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    if (!rel.startsWith("cli/") && !rel.startsWith("server/")) continue;
    assert.ok(
      !/\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/.test(readFileSync(f, "utf8")),
      `${rel} contains SQL`,
    );
  }
});
