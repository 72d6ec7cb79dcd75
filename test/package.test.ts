/**
 * modelmap as a user's project sees it: a folder with node_modules/modelmap (a link to this repository, as
 * `npm link` or a file: dependency makes), importing the package by its name from plain JavaScript run by node
 * (no tsx anywhere) and type-checking a TypeScript consumer against the emitted declarations. Builds dist/ first
 * when it is not fresh, as `npm start` does.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { sharedData } from "./support/shared-data.ts";

const ROOT = resolve(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "mm-consumer-"));
const node = (args: string[], cwd = dir) =>
  spawnSync(process.execPath, args, { cwd, encoding: "utf8", env: { ...process.env, NODE_OPTIONS: "" } });

before(() => {
  const built = node(["tools/build.mjs", "--if-stale", "--quiet"], ROOT);
  assert.equal(built.status, 0, built.stderr);
  mkdirSync(join(dir, "node_modules"));
  symlinkSync(ROOT, join(dir, "node_modules", "modelmap"), "dir");
  // The consumer's own @types/node, as its project would install it.
  symlinkSync(join(ROOT, "node_modules", "@types"), join(dir, "node_modules", "@types"), "dir");
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: "consumer", private: true, type: "module" })}\n`);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const CONSUMER_JS = `
import assert from "node:assert/strict";
import {
  aggregateVotes, evaluate, importFile, ModelmapError, openStore, parseVoteText, rankCounts, resolveModel, search,
} from "modelmap";

const out = { resolved: import.meta.resolve("modelmap"), loaders: process.execArgv };

// Ranking votes.
const lines = [];
for (let i = 0; i < 30; i++) lines.push({ model_a: "big", model_b: "small", winner: i % 5 === 0 ? "model_b" : "model_a" });
for (let i = 0; i < 30; i++) lines.push({ model_a: "small", model_b: "tiny", winner: i % 4 === 0 ? "tie" : "model_a" });
const file = parseVoteText(lines.map((l) => JSON.stringify(l)).join("\\n"), "votes.jsonl");
const report = rankCounts(aggregateVotes(file.votes), { bootstrap: 50, seed: 7 });
out.ranking = report.models.map((m) => m.model);

// The store and the capability map.
const store = openStore(process.argv[2]);
try {
  const imported = await importFile(store, "obs-scaling", process.argv[3]);
  out.imported = imported.evidence > 0;
  out.coding = (await search(store, "coding", {}, { top: 3 })).results.length;

  // Opening a model and running an evaluation (two documents of a bundled task).
  const backend = await resolveModel({ kind: "gguf", file: process.argv[4], threads: 1 }, { env: {} });
  try {
    const outcome = await evaluate(store, backend, "zoo-generalist", {
      tasks: ["synthetic_math_mc"],
      dataDir: process.argv[5],
      prompt: { chatTemplate: false, fewshotAsMultiturn: false, numFewshot: 0, seed: 1234 },
      limit: 2,
    });
    out.evaluated = outcome.results.synthetic_math_mc?.n;
  } finally {
    await backend.close();
  }
} finally {
  await store.close();
}

// The one error class, with its code.
try {
  rankCounts({ models: [], pairs: [] });
  out.error = "none";
} catch (e) {
  out.error = e instanceof ModelmapError ? e.code : String(e);
}
console.log(JSON.stringify(out));
`;

test("plain JavaScript imports modelmap by name and runs the compiled library, without tsx", () => {
  writeFileSync(join(dir, "use.mjs"), CONSUMER_JS);
  const r = node([
    "use.mjs",
    join(dir, "lib.db"),
    sharedData("obs_scaling_open_llm_scores", "base_llm_benchmark_eval.csv"),
    join(ROOT, "fixtures", "zoo", "zoo-generalist.gguf"),
    join(dir, "data"),
  ]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "{}");
  // node resolves the link to the repository: the compiled entry, not src/index.ts.
  assert.equal(out.resolved, pathToFileURL(join(ROOT, "dist", "index.js")).href);
  assert.deepEqual(out.loaders, []);
  assert.deepEqual(out.ranking, ["big", "small", "tiny"]);
  assert.equal(out.imported, true);
  assert.ok(out.coding > 0);
  assert.equal(out.evaluated, 2);
  assert.notEqual(out.error, "none");
});

const CONSUMER_TS = `
import { type Backend, type RankReport, type Store, aggregateVotes, openStore, parseVoteText, rankCounts, resolveModel } from "modelmap";

const file = parseVoteText('{"model_a":"a","model_b":"b","winner":"model_a"}', "v.jsonl");
const report: RankReport = rankCounts(aggregateVotes(file.votes), { bootstrap: 10, seed: 1 });
const top: string | undefined = report.models[0]?.model;
const store: Store = openStore(":memory:");
const open: (f: string) => Promise<Backend> = (f) => resolveModel({ kind: "gguf", file: f }, { env: {} });
// The declarations are real types, not any: each misuse below must be an error.
// @ts-expect-error a vote file is not pair counts
rankCounts(file, {});
// @ts-expect-error bootstrap is a number of rounds
rankCounts(aggregateVotes(file.votes), { bootstrap: "many" });
// @ts-expect-error a GGUF spec names its file
void resolveModel({ kind: "gguf", path: "m.gguf" }, { env: {} });
export { open, store, top };
`;

test("a TypeScript project type-checks against the emitted declarations", () => {
  writeFileSync(join(dir, "use.ts"), CONSUMER_TS);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ["node"],
      },
      files: ["use.ts"],
    }),
  );
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = node([tsc, "-p", join(dir, "tsconfig.json")]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // The check can fail: a wrong call in the same project is reported against the declarations.
  cpSync(join(dir, "use.ts"), join(dir, "bad.ts"));
  writeFileSync(join(dir, "bad.ts"), `import { rankCounts } from "modelmap";\nrankCounts("votes.jsonl");\n`);
  writeFileSync(join(dir, "tsconfig.bad.json"), JSON.stringify({ extends: "./tsconfig.json", files: ["bad.ts"] }));
  const bad = node([tsc, "-p", join(dir, "tsconfig.bad.json")]);
  assert.notEqual(bad.status, 0);
  assert.match(
    bad.stdout,
    /bad\.ts\(2,12\): error TS2345: Argument of type 'string' is not assignable to parameter of type 'PairCounts'/,
  );
});

const WORKERS_JS = `
import { createRng } from "modelmap/dist/core/rng.js";
import { bootstrapJob, bootstrapRounds } from "modelmap/dist/stats/bootstrap.js";
import { fitBradleyTerry } from "modelmap/dist/stats/bradley-terry.js";
import { bootstrapParallel } from "modelmap/dist/arena/bootstrap-threads.js";
import { renderIsolated } from "modelmap/dist/templates/isolated.js";

const t = {
  k: 4,
  i: Int32Array.from([0, 0, 1, 2]),
  j: Int32Array.from([1, 2, 3, 3]),
  winI: Float64Array.from([600, 700, 800, 400]),
  winJ: Float64Array.from([400, 300, 200, 600]),
  ties: Float64Array.from([100, 50, 30, 40]),
};
const theta = Float64Array.from(fitBradleyTerry(t).params.subarray(0, t.k));
const job = bootstrapJob(t, theta, { rounds: 40, rng: createRng(4) });
const two = bootstrapParallel(job, 40, 2);
const same = two.ratings.every((x, n) => x === bootstrapRounds(job, 0, 40).ratings[n]);
const text = await renderIsolated("{{ messages[0].content }}!", { messages: [{ role: "user", content: "hi" }] });
console.log(JSON.stringify({ workerShares: two.workerShares, same, text }));
`;

test("worker threads start from dist/: the bootstrap workers and the template sandbox", () => {
  // Deep imports only here: these modules are internal, but their worker entry files must ship compiled.
  writeFileSync(join(dir, "workers.mjs"), WORKERS_JS.replaceAll("modelmap/dist/", "./node_modules/modelmap/dist/"));
  const r = node(["workers.mjs"]);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { workerShares: 1, same: true, text: "hi!" });
  // The same given to node as a string: --input-type=module is then among the process's flags. Bootstrap workers
  // that inherited it failed to start (each call then waited 10 s and ran the share itself), and the template
  // sandbox's CommonJS bootstrap became an ES module that could not `require`.
  const script = WORKERS_JS.replaceAll("modelmap/dist/", "./node_modules/modelmap/dist/");
  const evaluated = node(["--input-type=module", "-e", script]);
  assert.equal(evaluated.status, 0, evaluated.stderr);
  assert.deepEqual(JSON.parse(evaluated.stdout), { workerShares: 1, same: true, text: "hi!" });
  // V8's and the process's own flags, which a Worker given them refuses ("invalid execArgv flags"): the bootstrap
  // then threw, and so did the template sandbox.
  const flagged = node(["--max-old-space-size=512", "--title", "modelmap-test", "workers.mjs"]);
  assert.equal(flagged.status, 0, flagged.stderr);
  assert.deepEqual(JSON.parse(flagged.stdout), { workerShares: 1, same: true, text: "hi!" });
});
