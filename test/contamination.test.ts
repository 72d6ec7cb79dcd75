/**
 * Contamination checks end to end: the CLI on a tiny real GGUF through llama.cpp (stored report, cache on the
 * second run, tokens evaluated counted, 13-gram flags, the canary check), and the exchangeability
 * test's verdict on a backend that has memorized the canonical order versus one that has not. A memorizing
 * backend cannot be made from random weights in a test's time, so that one is a pure function of the text.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { BACKEND_SPEC_VERSION, type Backend, type RollingResult } from "../src/backends/types.ts";
import { ITEM_SEPARATOR, runContamination } from "../src/contamination/service.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { TaskRegistry } from "../src/tasks/loader.ts";
import { runCaptured } from "./support/cli.ts";
import { makeEvalFixture } from "./support/eval-fixture.ts";

const f = makeEvalFixture({ mcDocs: 24 });
const dir = mkdtempSync(join(tmpdir(), "mm-contam-"));
after(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(f.dir, { recursive: true, force: true });
});

const run = (args: string[]) => runCaptured(args, { env: {}, cwd: process.cwd() });

test("CLI on a tiny GGUF: every method, stored, cached on rerun, tokens evaluated counted, 13-gram flags, canary", async () => {
  const db = join(dir, "c.db");
  // The corpus holds items 0-2 verbatim (as the item text is: question, delimiter, gold answer).
  const data = readFileSync(join(f.dataDir, "mc.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const corpus = [0, 1, 2]
    .map((i) => `Question: ${data[i].q}\nAnswer: ${data[i].options[0]} and some more words after it here`)
    .join("\n\n");
  writeFileSync(join(dir, "corpus.txt"), corpus);
  const args = [
    "--db",
    db,
    "contamination",
    "--gguf",
    f.modelPath,
    "--threads",
    "1",
    "--task",
    "toy_mc",
    "--tasks-dir",
    f.tasksDir,
    "--data-dir",
    f.dataDir,
    "--shards",
    "4",
    "--permutations",
    "6",
    "--corpus",
    join(dir, "corpus.txt"),
    "--prompts",
    "prompts/heldout",
    "--format",
    "json",
  ];
  const first = await run(args);
  assert.equal(first.code, 0, first.err + first.out);
  const [rep, canary] = JSON.parse(first.out).reports;
  assert.equal(rep.items, 24);
  for (const m of ["loss", "zlib", "min_k", "min_k_plus_plus", "exchangeability", "lowercase", "ngram_overlap"])
    assert.ok(Number.isFinite(rep.methods[m].score), `${m} has a score`);
  assert.ok(rep.exchangeability.pValue > 0 && rep.exchangeability.pValue < 1);
  assert.equal(rep.exchangeability.shards, 4);
  assert.equal(rep.perItem.length, 24);
  assert.ok(rep.perItem.every((p: { minKpp: number | null }) => Number.isFinite(p.minKpp)));
  assert.deepEqual(
    rep.flaggedItems.map((i: { docId: number }) => i.docId),
    [0, 1, 2],
  );
  assert.equal(rep.flagged, true); // the n-gram overlap is itself evidence
  // The engine's count is reported, and each of lm-evaluation-harness's windows is evaluated once: the native
  // scorer decodes a window whole, without reusing a prefix (sorted texts shared 64 of 9,118 tokens here).
  assert.ok(rep.stats.evaluatedTokens > 0, JSON.stringify(rep.stats));
  assert.equal(rep.stats.evaluatedTokens, rep.stats.naiveTokens, JSON.stringify(rep.stats));
  assert.ok(rep.stats.sent > 0);
  assert.ok(canary.pValue > 0 && canary.pValue <= 1 && canary.decoys === 99);
  assert.equal(canary.set, "heldout-v1");

  const second = await run(args);
  assert.equal(second.code, 0, second.err);
  const rep2 = JSON.parse(second.out).reports[0];
  assert.equal(rep2.stats.sent, 0, "everything comes from the request cache");
  assert.equal(rep2.exchangeability.pValue, rep.exchangeability.pValue);
  const store = openStore(db);
  try {
    const stored = await store.checks.get("contamination", `gguf:${f.modelPath.split("/").pop()}`, "toy_mc");
    assert.ok(stored);
    assert.equal((stored.report as { items: number }).items, 24);
    assert.ok(await store.checks.get("contamination", `gguf:${f.modelPath.split("/").pop()}`, "canary:heldout-v1"));
  } finally {
    await store.close();
  }
  // --model-id stores the report under the id the map and cards use for the model.
  const named = await run([...args, "--model-id", "acme/tiny"]);
  assert.equal(named.code, 0, named.err);
  const reopened = openStore(db);
  try {
    assert.ok(await reopened.checks.get("contamination", "acme/tiny", "toy_mc"));
  } finally {
    await reopened.close();
  }
  const text = await run(args.filter((a) => a !== "--format" && a !== "json"));
  assert.match(text.out, /exchangeability/);
  assert.match(text.out, /FLAGGED/);
});

test("CLI errors: missing corpus and missing task selection are usage/not-found errors", async () => {
  const db = join(dir, "e.db");
  const a = await run([
    "--db",
    db,
    "contamination",
    "--gguf",
    f.modelPath,
    "--task",
    "toy_mc",
    "--tasks-dir",
    f.tasksDir,
    "--corpus",
    "/nope.txt",
  ]);
  assert.equal(a.code, 2);
  assert.match(a.err, /corpus/);
  const b = await run(["--db", db, "contamination", "--gguf", f.modelPath]);
  assert.equal(b.code, 2);
});

/** Scores a text by how many adjacent item pairs follow the canonical order (memorized) plus per-item noise. */
class OrderBackend implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly identity;
  readonly capabilities = {
    chat: false,
    completion: true,
    loglikelihood: true,
    loglikelihoodRolling: true,
    tokenize: false,
    tokenStats: false,
    concurrency: 1,
  };
  constructor(
    private readonly canonical: string[],
    private readonly memorized: boolean,
    name: string,
  ) {
    this.identity = { id: name, backend: "test", name };
  }
  async generate(): Promise<never> {
    throw new Error("no generation");
  }
  async loglikelihood(): Promise<never> {
    throw new Error("no loglikelihood");
  }
  async loglikelihoodRolling(texts: string[]): Promise<RollingResult[]> {
    return texts.map((t) => {
      const parts = t.split(ITEM_SEPARATOR);
      let lp = 0;
      for (const [i, p] of parts.entries()) {
        const prev = i > 0 ? parts[i - 1] : undefined;
        const next = this.canonical.indexOf(p);
        // The memorizing model predicts an item well right after its canonical predecessor.
        const bonus = this.memorized && prev !== undefined && this.canonical[next - 1] === prev ? 3 : 0;
        // A clean model's item cost depends on its neighbour only through content-free noise.
        const noise = prev === undefined ? 0 : (((p.length * 31 + prev.length * 17) % 7) - 3) * 0.1;
        lp += -20 + bonus + noise;
      }
      return {
        logprob: lp,
        tokenCount: t.length,
        tokenLogprobs: Array.from({ length: t.length }, () => lp / t.length),
      };
    });
  }
  async close() {}
}

test("exchangeability verdicts: a model that memorized the canonical order is flagged, an order-blind one is not", async () => {
  const reg = TaskRegistry.load([f.tasksDir]);
  const task = reg.resolve(["toy_mc"]).tasks[0];
  assert.ok(task);
  const { taskItems } = await import("../src/contamination/items.ts");
  const texts = (await taskItems(task, f.dataDir)).map((i) => i.text);
  const store = openStore(join(dir, "x.db"));
  try {
    const seen = await runContamination(store, new OrderBackend(texts, true, "seen"), {
      modelId: "seen",
      task,
      dataDir: f.dataDir,
      shards: 6,
      permutations: 20,
    });
    const clean = await runContamination(store, new OrderBackend(texts, false, "clean"), {
      modelId: "clean",
      task,
      dataDir: f.dataDir,
      shards: 6,
      permutations: 20,
    });
    assert.ok(seen.exchangeability.pValue < 0.01, `memorized p=${seen.exchangeability.pValue}`);
    assert.equal(seen.flagged, true);
    assert.ok(clean.exchangeability.pValue > 0.05, `clean p=${clean.exchangeability.pValue}`);
    assert.equal(clean.flagged, false);
    assert.equal(clean.methods.min_k_plus_plus, undefined, "no token statistics, no Min-K%++");
  } finally {
    await store.close();
  }
});
