/**
 * The native scorer's build: it is found (or built) in the cache folder, and it can be turned off with a reason.
 * Each case runs in a child process, because the outcome is decided once per process.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { cacheBase } from "./native-build.ts";

const MODULE = pathToFileURL(join(import.meta.dirname, "native-build.ts")).href;

function statusIn(env: NodeJS.ProcessEnv): { ok: boolean; path?: string; reason?: string } {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "--eval",
      `const m = await import(${JSON.stringify(MODULE)}); console.log(JSON.stringify(await m.nativeScorerStatus()));`,
    ],
    { env: { ...process.env, ...env }, encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").at(-1) as string);
}

test("built once into the cache folder, keyed by source, engine version and CPU", () => {
  const s = statusIn({});
  assert.equal(s.ok, true, s.reason);
  assert.ok(s.path?.startsWith(join(cacheBase(), "native")), s.path);
  assert.match(s.path ?? "", /native\/[0-9a-f]{16}\/scorer\.node$/);
});

test("MODELMAP_NATIVE_SCORER=0 turns it off, and the status says why", () => {
  const s = statusIn({ MODELMAP_NATIVE_SCORER: "0" });
  assert.equal(s.ok, false);
  assert.match(s.reason ?? "", /MODELMAP_NATIVE_SCORER=0/);
});

test("cache folder: $MODELMAP_CACHE_DIR, else $XDG_CACHE_HOME/modelmap, else ~/.cache/modelmap", () => {
  assert.equal(cacheBase({ MODELMAP_CACHE_DIR: "/x/y", XDG_CACHE_HOME: "/z" }), "/x/y");
  assert.equal(cacheBase({ XDG_CACHE_HOME: "/z" }), join("/z", "modelmap"));
  assert.match(cacheBase({}), /\.cache\/modelmap$/);
});
