/**
 * The native scorer's build: it is found (or built) in the cache folder, from a fresh folder without network, and
 * without a compiler it falls back with a notice that says why. Each case runs in a child process, because the
 * outcome is decided once per process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { cacheBase } from "./native-build.ts";

const MODULE = pathToFileURL(join(import.meta.dirname, "native-build.ts")).href;

interface Outcome {
  status: { ok: boolean; path?: string; built?: boolean; reason?: string };
  stderr: string;
}

function statusIn(env: NodeJS.ProcessEnv, wrap: string[] = []): Outcome {
  const node = [
    process.execPath,
    "--import",
    "tsx",
    "--input-type=module",
    "--eval",
    `const m = await import(${JSON.stringify(MODULE)}); console.log(JSON.stringify(await m.nativeScorerStatus(process.env)));`,
  ];
  const [cmd, ...args] = [...wrap, ...node] as [string, ...string[]];
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return { status: JSON.parse(r.stdout.trim().split("\n").at(-1) as string), stderr: r.stderr };
}

function freshCache(): string {
  return mkdtempSync(join(tmpdir(), "modelmap-native-"));
}

/** `unshare -rn` runs a command in a namespace without network, where the kernel allows it. */
function noNetwork(): string[] | undefined {
  const r = spawnSync("unshare", ["-rn", "true"]);
  return r.status === 0 ? ["unshare", "-rn"] : undefined;
}

test("built once into the cache folder, keyed by source, engine version and CPU", () => {
  const { status, stderr } = statusIn({});
  assert.equal(status.ok, true, status.reason);
  assert.ok(status.path?.startsWith(join(cacheBase(process.env), "native")), status.path);
  assert.match(status.path ?? "", /native\/[0-9a-f]{16}\/scorer\.node$/);
  assert.doesNotMatch(stderr, /notice/);
});

const wrap = noNetwork();
test("a fresh cache folder: built on first use without network, found on second", {
  skip: wrap ? false : "unshare -rn is not allowed here",
}, () => {
  const dir = freshCache();
  try {
    const first = statusIn({ MODELMAP_CACHE_DIR: dir }, wrap);
    assert.equal(first.status.ok, true, first.status.reason);
    assert.equal(first.status.built, true);
    assert.ok(first.status.path?.startsWith(join(dir, "native")), first.status.path);
    assert.ok(existsSync(first.status.path as string));
    assert.doesNotMatch(first.stderr, /notice/);
    const second = statusIn({ MODELMAP_CACHE_DIR: dir }, wrap);
    assert.deepEqual(second.status, { ...first.status, built: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no compiler: falls back, and says why and what to install, once", () => {
  const dir = freshCache();
  try {
    const { status, stderr } = statusIn({ MODELMAP_CACHE_DIR: dir, CXX: "/nonexistent/c++" });
    assert.equal(status.ok, false);
    assert.match(status.reason ?? "", /compiling the native scorer: cannot run \/nonexistent\/c\+\+/);
    const notices = stderr.split("\n").filter((l) => l.includes("notice: the native scorer is not available"));
    assert.equal(notices.length, 1, stderr);
    assert.match(notices[0] as string, /\/nonexistent\/c\+\+.*node-llama-cpp's probabilities.*C\+\+ compiler/);
    const left = readdirSync(dir, { recursive: true }).map(String);
    assert.deepEqual(
      left.filter((f) => f.includes("scorer.node")),
      [],
      "no half-written addon is left",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("MODELMAP_NATIVE_SCORER=0 turns it off, and the status says why, without a notice", () => {
  const { status, stderr } = statusIn({ MODELMAP_NATIVE_SCORER: "0" });
  assert.equal(status.ok, false);
  assert.match(status.reason ?? "", /MODELMAP_NATIVE_SCORER=0/);
  assert.doesNotMatch(stderr, /notice/);
});

test("cache folder: $MODELMAP_CACHE_DIR, else $XDG_CACHE_HOME/modelmap, else ~/.cache/modelmap", () => {
  assert.equal(cacheBase({ MODELMAP_CACHE_DIR: "/x/y", XDG_CACHE_HOME: "/z" }), "/x/y");
  assert.equal(cacheBase({ XDG_CACHE_HOME: "/z" }), join("/z", "modelmap"));
  assert.match(cacheBase({}), /\.cache\/modelmap$/);
});
