import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { lmEvalTasksDir } from "../../../test/support/python-oracle.ts";
import { HOOK_MODULES, lookupHook, moduleByHash, sha256Hex } from "./registry.ts";

function* pyFiles(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* pyFiles(p);
    else if (p.endsWith(".py")) yield p;
  }
}

test("every registered module stands for the file at its path in lm-eval's tree (commit 4e7e0d4), by sha256", () => {
  const root = lmEvalTasksDir();
  for (const m of HOOK_MODULES) {
    const sha = sha256Hex(readFileSync(join(root, m.path)));
    assert.ok(m.sha256.includes(sha), `${m.path}: tree sha256 ${sha} is not registered`);
    assert.equal(moduleByHash(sha), m);
  }
});

test("the tree's utils.py files that map to native modules, and the YAMLs' !function names they provide", () => {
  const root = lmEvalTasksDir();
  const covered = new Map<string, string[]>();
  for (const f of pyFiles(root)) {
    const m = moduleByHash(sha256Hex(readFileSync(f)));
    if (m) covered.set(m.path, [...(covered.get(m.path) ?? []), relative(root, f)]);
  }
  assert.deepEqual(covered.get("hellaswag/utils.py")?.sort(), [
    "hellaswag/utils.py",
    "okapi/hellaswag_multilingual/utils.py",
    "tinyBenchmarks/utils_hellaswag.py",
  ]);
  assert.deepEqual(covered.get("winogrande/preprocess_winogrande.py")?.sort(), [
    "aradice/winogrande/utils.py",
    "tinyBenchmarks/utils_winogrande.py",
    "winogrande/preprocess_winogrande.py",
  ]);
  assert.deepEqual(covered.get("gpqa/generative/utils.py")?.sort(), [
    "gpqa/cot_n_shot/utils.py",
    "gpqa/cot_zeroshot/utils.py",
    "gpqa/generative/utils.py",
  ]);
  assert.deepEqual(covered.get("bbh/zeroshot/utils.py")?.sort(), [
    "bbh/cot_zeroshot/utils.py",
    "bbh/zeroshot/utils.py",
  ]);
  // Every `!function utils.X` in the YAMLs next to a covered file resolves to a native X, except the gaps named
  // here with their reason (each is refused at load time with a clear error, never run as something else).
  const gaps = new Set<string>([]);
  for (const files of covered.values()) {
    for (const rel of files) {
      const dir = join(root, rel, "..");
      const source = readFileSync(join(root, rel));
      const base = rel.split("/").pop()?.replace(/\.py$/, "") as string;
      for (const y of readdirSync(dir).filter((n) => n.endsWith(".yaml") || n.endsWith("_yaml"))) {
        const text = readFileSync(join(dir, y), "utf8");
        for (const m of text.matchAll(/!function\s+([\w.]+)\.(\w+)/g)) {
          if (m[1] !== base) continue;
          const r = lookupHook(source, m[2] as string);
          if (gaps.has(`${rel} ${m[2]}`)) {
            assert.ok(!r.ok, `${rel}: ${m[2]} is native now; drop it from the gaps`);
            continue;
          }
          assert.ok(r.ok, `${rel} ${y}: !function ${m[1]}.${m[2]} has no native version`);
        }
      }
    }
  }
});

test("an edited utils.py is refused (unknown-module), an unported function named (unknown-function)", () => {
  const root = lmEvalTasksDir();
  const src = readFileSync(join(root, "hellaswag/utils.py"), "utf8");
  assert.deepEqual(lookupHook(`${src}\n# edited\n`, "process_docs"), { ok: false, reason: "unknown-module" });
  // `preprocess` is a helper no YAML names: not registered, and the error lists what is.
  assert.deepEqual(lookupHook(src, "preprocess"), { ok: false, reason: "unknown-function", known: ["process_docs"] });
});
