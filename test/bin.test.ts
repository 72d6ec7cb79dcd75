/**
 * Which code the bin runs: dist/ when its stamp matches src/, else src/ through tsx (with a notice when dist/
 * exists but is out of date), and `npm run build` (tools/build.mjs) makes it fresh again. Runs on a copy of the
 * repository's bin/, tools/, src/ and dist/ in a temporary folder, whose dist/ is marked so that the two paths
 * print different versions.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";

const ROOT = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "mm-bin-"));
const run = (args: string[]) =>
  spawnSync(process.execPath, args, { cwd: dir, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });
const version = () => run(["bin/modelmap.js", "--version"]);
const STALE = /dist\/ is older than src\/ .* running src\/ through tsx/;

/** Marks the copied dist/ so that its --version differs from the sources'. */
function markDist(): void {
  const main = join(dir, "dist", "cli", "main.js");
  const text = readFileSync(main, "utf8");
  assert.ok(text.includes('"modelmap 0.1.0\\n"'));
  writeFileSync(main, text.replace('"modelmap 0.1.0\\n"', '"modelmap 0.1.0 (dist)\\n"'));
}

before(() => {
  const built = spawnSync(process.execPath, ["tools/build.mjs", "--if-stale", "--quiet"], {
    cwd: ROOT,
    encoding: "utf8",
  });
  assert.equal(built.status, 0, built.stderr);
  for (const p of [
    "bin",
    "tools/build.mjs",
    "tools/build-stamp.mjs",
    "src",
    "dist",
    "tsconfig.json",
    "tsconfig.build.json",
  ])
    cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  markDist();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test("a copied tree (new times, same contents) runs dist/, silently", () => {
  const r = version();
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "modelmap 0.1.0 (dist)\n");
  assert.equal(r.stderr, "");
});

test("an edited source: the bin says dist/ is stale and runs src/ through tsx; a build makes it fresh", () => {
  appendFileSync(join(dir, "src", "cli", "main.ts"), "// edited\n");
  const stale = version();
  assert.equal(stale.status, 0, stale.stderr);
  assert.equal(stale.stdout, "modelmap 0.1.0\n");
  assert.match(stale.stderr, STALE);
  const bad = run(["bin/modelmap.js", "frobnicate"]);
  assert.equal(bad.status, 2);
  const build = run(["tools/build.mjs", "--if-stale"]);
  assert.equal(build.status, 0, build.stderr);
  assert.match(build.stderr, /dist\/ built from \d+ inputs/);
  markDist();
  const fresh = version();
  assert.equal(fresh.stdout, "modelmap 0.1.0 (dist)\n");
  assert.equal(fresh.stderr, "");
  assert.equal(run(["tools/build.mjs", "--if-stale"]).stderr, "", "nothing to do when fresh");
});

test("a new or deleted source makes dist/ stale too; without dist/ the bin runs src/ without a notice", () => {
  writeFileSync(join(dir, "src", "extra.ts"), "export const x = 1;\n");
  assert.match(version().stderr, STALE);
  rmSync(join(dir, "src", "extra.ts"));
  assert.equal(version().stderr, "");
  writeFileSync(join(dir, "src", "extra.test.ts"), "export {};\n");
  assert.equal(version().stderr, "", "tests are not build inputs");
  rmSync(join(dir, "dist"), { recursive: true });
  const r = version();
  assert.equal(r.stdout, "modelmap 0.1.0\n");
  assert.equal(r.stderr, "");
});
