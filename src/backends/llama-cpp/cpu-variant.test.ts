/**
 * The ggml CPU variant choice: the rule, bad values (exit 2, naming the field and the allowed values), and on the
 * real engine that the variant asked for is the one that runs and gives the same log-likelihoods and choices as
 * ggml's own choice. The engine's variant is decided once per process, so each engine case runs in a child.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { runCaptured } from "../../../test/support/cli.ts";
import { ModelmapError } from "../../core/errors.ts";
import {
  AUTO_AVX2_BELOW_WIDTH,
  cpuVariantSetting,
  embeddingWidth,
  resolveVariant,
  shippedVariants,
} from "./cpu-variant.ts";

const ROOT = resolve(import.meta.dirname, "..", "..", "..");
const ZOO = join(ROOT, "fixtures", "zoo", "zoo-generalist.gguf");
const DATA = resolve(ROOT, "..", "shared", "data");
const BACKEND = pathToFileURL(join(import.meta.dirname, "backend.ts")).href;
const shipped = shippedVariants();
const hasHaswell = shipped.includes("haswell");

test("auto runs AVX2 below the measured width and ggml's choice from it; a named variant is taken as is", async () => {
  const list = ["haswell", "zen4"];
  assert.equal(resolveVariant("auto", AUTO_AVX2_BELOW_WIDTH - 1, list).variant, "haswell");
  assert.equal(resolveVariant("auto", AUTO_AVX2_BELOW_WIDTH, list).variant, "ggml");
  assert.equal(resolveVariant("auto", 2048, list).variant, "ggml");
  assert.equal(resolveVariant("auto", undefined, list).variant, "ggml");
  assert.equal(resolveVariant("auto", 8, ["zen4"]).variant, "ggml", "no AVX2 variant shipped");
  assert.equal(resolveVariant("zen4", 8, list).variant, "zen4");
  assert.equal(resolveVariant("ggml", 8, list).variant, "ggml");
  assert.equal(await embeddingWidth(ZOO), 96);
});

test("a bad value is a config error naming the field and the allowed values", () => {
  const bad = (option: string | undefined, env: Record<string, string>, field: RegExp) =>
    assert.throws(
      () => cpuVariantSetting(option, env),
      (e: unknown) =>
        e instanceof ModelmapError &&
        e.code === "config" &&
        field.test(e.message) &&
        /auto, ggml/.test(e.hint ?? "") &&
        shipped.every((v) => e.hint?.includes(v)),
    );
  bad(undefined, { MODELMAP_LLAMA_CPU_VARIANT: "avx9000" }, /MODELMAP_LLAMA_CPU_VARIANT: 'avx9000'/);
  bad("Haswell", {}, /cpu_variant: 'Haswell'/);
  assert.equal(cpuVariantSetting(undefined, {}), "auto");
  assert.equal(cpuVariantSetting(undefined, { MODELMAP_LLAMA_CPU_VARIANT: "" }), "auto");
  assert.equal(cpuVariantSetting(undefined, { MODELMAP_LLAMA_CPU_VARIANT: "ggml" }), "ggml");
  if (hasHaswell) assert.equal(cpuVariantSetting("haswell", { MODELMAP_LLAMA_CPU_VARIANT: "ggml" }), "haswell");
});

test("modelmap eval with a bad MODELMAP_LLAMA_CPU_VARIANT exits 2 and says what is allowed", async () => {
  const r = await runCaptured(
    ["--db", ":memory:", "eval", "--gguf", ZOO, "--tasks", "hellaswag", "--limit", "1", "--data-dir", DATA],
    { env: { ...process.env, MODELMAP_LLAMA_CPU_VARIANT: "avx9000" } },
  );
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /MODELMAP_LLAMA_CPU_VARIANT: 'avx9000'/);
  assert.match(r.err, /auto, ggml/);
});

test("a configured model's bad cpu_variant exits 2 naming the model and the key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mm-cpu-variant-"));
  try {
    const cfg = join(dir, "modelmap.yaml");
    writeFileSync(cfg, `models:\n  - id: zoo\n    backend: llama-cpp\n    file: ${ZOO}\n    cpu_variant: avx9000\n`);
    const r = await runCaptured([
      "--db",
      join(dir, "m.db"),
      "eval",
      "--config",
      cfg,
      "--model",
      "zoo",
      "--tasks",
      "hellaswag",
      "--limit",
      "1",
      "--data-dir",
      DATA,
    ]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /model zoo: cpu_variant: 'avx9000'/);
    assert.match(r.err, /auto, ggml/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

interface EngineRun {
  variant: { setting: string; chosen: string; reason: string; libraries: string[] };
  results: Array<{ logprob: number; isGreedy: boolean }>;
}

/** Opens the zoo model in a fresh process with the given variant setting and scores a few choices. */
function engineRun(setting: string, env: Record<string, string> = {}, tail = ""): EngineRun & { stderr: string } {
  const script = `
    const { openLlamaCppBackend } = await import(${JSON.stringify(BACKEND)});
    const be = await openLlamaCppBackend({ modelPath: ${JSON.stringify(ZOO)}, threads: 1, env: process.env });
    const reqs = [];
    for (const context of ["The capital of", "12 + 7 =", "Which is larger, 31 or 13?"])
      for (const c of [" the", " 19", " 31", " Paris is", " 13 and more"]) reqs.push({ context, continuation: c });
    const results = (await be.loglikelihood(reqs)).map((r) => ({ logprob: r.logprob, isGreedy: r.isGreedy }));
    ${tail}
    console.log(JSON.stringify({ variant: be.cpuVariantStatus, native: be.nativeScorerStatus, results }));
    await be.close();`;
  // A file, not --eval: node-llama-cpp forks a test process with the parent's exec arguments.
  const dir = mkdtempSync(join(tmpdir(), "mm-cpu-variant-"));
  const file = join(dir, "run.mjs");
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ["--import", "tsx", file], {
    cwd: ROOT,
    env: { ...process.env, MODELMAP_LLAMA_CPU_VARIANT: setting, ...env },
    encoding: "utf8",
  });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  return { ...(JSON.parse(r.stdout.trim().split("\n").at(-1) as string) as EngineRun), stderr: r.stderr };
}

test("the engine runs the variant asked for, with the same log-likelihoods and choices as ggml's", {
  skip: hasHaswell && process.platform === "linux" ? false : "no prebuilt AVX2 variant here",
}, () => {
  const forced = engineRun("haswell");
  const ggml = engineRun("ggml");
  const auto = engineRun("auto");
  const file = (l: string[]) => l.map((p) => p.split("/").at(-1));
  assert.equal(forced.variant.chosen, "haswell");
  assert.deepEqual(file(forced.variant.libraries), ["libggml-cpu-haswell.so"], "only the AVX2 variant is loaded");
  assert.equal(ggml.variant.chosen, "ggml");
  assert.equal(ggml.variant.libraries.length, 1, "ggml loads one variant");
  // The zoo model is 96 wide: auto runs AVX2.
  assert.equal(auto.variant.chosen, "haswell");
  assert.deepEqual(file(auto.variant.libraries), ["libggml-cpu-haswell.so"]);
  assert.equal(forced.results.length, 15);
  for (const [i, r] of forced.results.entries()) {
    const g = ggml.results[i];
    assert.ok(g !== undefined);
    assert.ok(
      Math.abs(r.logprob - g.logprob) <= 1e-3 * Math.max(1, Math.abs(g.logprob)),
      `${i}: ${r.logprob} vs ${g.logprob}`,
    );
    assert.equal(r.isGreedy, g.isGreedy, `greedy ${i}`);
  }
  // The choice among each context's continuations is the same.
  for (let c = 0; c < 3; c++) {
    const best = (rs: EngineRun["results"]) => {
      const s = rs.slice(5 * c, 5 * c + 5).map((r) => r.logprob);
      return s.indexOf(Math.max(...s));
    };
    assert.equal(best(forced.results), best(ggml.results), `context ${c}`);
  }
});

test("without a compiler, auto runs ggml's choice with one notice", {
  skip: hasHaswell && process.platform === "linux" ? false : "no prebuilt AVX2 variant here",
}, () => {
  const cache = mkdtempSync(join(tmpdir(), "mm-cpu-variant-cache-"));
  try {
    const run = engineRun("auto", { CXX: "/nonexistent/c++", MODELMAP_CACHE_DIR: cache, MODELMAP_NATIVE_SCORER: "0" });
    assert.equal(run.variant.chosen, "ggml");
    assert.match(run.variant.reason, /auto: embedding width 96 < 128, not applied: .*nonexistent/);
    assert.equal(run.stderr.match(/cannot choose the llama\.cpp CPU variant/g)?.length, 1, run.stderr);
    assert.equal(run.results.length, 15);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
});

test("one variant per process: a later model may ask for the running one, not another", {
  skip: hasHaswell && process.platform === "linux" ? false : "no prebuilt AVX2 variant here",
}, () => {
  const tail = `
    const again = await openLlamaCppBackend({ modelPath: ${JSON.stringify(ZOO)}, threads: 1, cpuVariant: "haswell" });
    await again.close();
    const err = await openLlamaCppBackend({ modelPath: ${JSON.stringify(ZOO)}, threads: 1, cpuVariant: "ggml" }).then(
      () => "opened",
      (e) => e.code + ": " + e.message,
    );
    console.error("SECOND: " + err);`;
  const run = engineRun("auto", {}, tail);
  assert.equal(run.variant.chosen, "haswell");
  assert.match(
    run.stderr,
    /SECOND: config: the llama\.cpp engine already runs on CPU variant haswell .*'ggml' cannot apply/,
  );
});
