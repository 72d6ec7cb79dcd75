#!/usr/bin/env node
/**
 * Compiles src/ to dist/: JavaScript with declarations and source maps (tsconfig.build.json), the data files the
 * code reads beside itself (src/tasks/ifeval/data/...) copied, outputs of deleted sources removed, and last
 * dist/build-stamp.json, which the bin checks before it runs dist/ (see build-stamp.mjs).
 *
 * `npm install` runs it (prepare), `npm run build` by hand, `npm start` with --if-stale (returns at once when
 * dist/ is fresh). Type errors do not stop it: the JavaScript is written regardless, exactly what tsx would
 * run from the same sources, and `npm run typecheck` is where types are enforced. Without the TypeScript
 * compiler (an install without dev dependencies) it says so and leaves dist/ alone; the bin then runs the
 * sources through tsx.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { distState, fingerprints, STAMP_FILE } from "./build-stamp.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const ifStale = process.argv.includes("--if-stale");
const say = (s) => process.stderr.write(`modelmap build: ${s}\n`);

const state = distState(root);
if (state === "no-sources" || (ifStale && state === "fresh")) process.exit(0);

let tsc;
try {
  tsc = join(dirname(createRequire(import.meta.url).resolve("typescript/package.json")), "bin", "tsc");
} catch {
  say("the TypeScript compiler is not installed (dev dependency); dist/ not built, the bin runs src/ through tsx");
  process.exit(0);
}

// One build at a time per checkout (two test files, or two terminals running npm start, may ask at once): the
// lock holds the builder's pid; a lock whose process is gone is taken over. Whoever waited re-checks the stamp.
const LOCK = join(root, "dist", ".build-lock");
mkdirSync(join(root, "dist"), { recursive: true });
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
};
for (let waited = false; ; waited = true) {
  try {
    writeFileSync(LOCK, String(process.pid), { flag: "wx" });
    process.on("exit", () => rmSync(LOCK, { force: true }));
    if (waited && ifStale && distState(root) === "fresh") process.exit(0);
    break;
  } catch (e) {
    if (e.code !== "EEXIST") throw e;
  }
  let holder;
  try {
    holder = Number(readFileSync(LOCK, "utf8"));
  } catch {
    continue; // released meanwhile
  }
  // A pid that is gone: its build died; an empty file: its builder is writing its pid right now.
  if (holder > 0 && !alive(holder)) rmSync(LOCK, { force: true });
  else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
}

const started = performance.now();
// Inputs are read before compiling: a source edited during the build leaves dist/ stale, never falsely fresh.
const stamp = fingerprints(root);
rmSync(join(root, STAMP_FILE), { force: true });
const compile = () => {
  const r = spawnSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], { stdio: "inherit" });
  // tsc exits 0 when clean and 2 when it reported type errors but wrote every output.
  if (r.status !== 0 && r.status !== 2) {
    say(`tsc failed (${r.error?.message ?? `exit code ${r.status ?? r.signal}`}); dist/ is incomplete`);
    process.exit(1);
  }
  if (r.status === 2)
    say("type errors above (run 'npm run typecheck'); the JavaScript was written as tsx would run it");
};
compile();

const outputs = new Set();
for (const rel of Object.keys(stamp.files)) {
  if (!rel.startsWith("src/")) continue;
  const inDist = `dist/${rel.slice(4)}`;
  if (rel.endsWith(".ts") && !rel.endsWith(".d.ts")) {
    const base = inDist.slice(0, -3);
    for (const ext of [".js", ".js.map", ".d.ts"]) outputs.add(base + ext);
    continue;
  }
  // Data files and hand-written declarations travel as they are.
  outputs.add(inDist);
  const from = join(root, rel);
  const to = join(root, inDist);
  if (!existsSync(to) || !readFileSync(to).equals(readFileSync(from))) {
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(from, to);
  }
}
// An incremental compile trusts its .tsbuildinfo and does not rewrite an output deleted by hand: compile afresh.
if ([...outputs].some((o) => !existsSync(join(root, o)))) {
  rmSync(join(root, "dist/.tsbuildinfo"), { force: true });
  compile();
}
const keep = new Set([STAMP_FILE, "dist/.tsbuildinfo", "dist/.build-lock"]);
const prune = (dir) => {
  for (const d of readdirSync(join(root, dir), { withFileTypes: true })) {
    const rel = `${dir}/${d.name}`;
    if (d.isDirectory()) {
      prune(rel);
      if (readdirSync(join(root, rel)).length === 0) rmSync(join(root, rel), { recursive: true });
    } else if (!outputs.has(rel) && !keep.has(rel)) rmSync(join(root, rel));
  }
};
prune("dist");
writeFileSync(join(root, STAMP_FILE), `${JSON.stringify(stamp)}\n`);
if (!process.argv.includes("--quiet"))
  say(
    `dist/ built from ${Object.keys(stamp.files).length} inputs in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
