import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCaptured } from "./support/cli.ts";
import { sharedData } from "./support/shared-data.ts";

const dir = mkdtempSync(join(tmpdir(), "modelmap-arena-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) => runCaptured(args, { env: { MODELMAP_DB: join(dir, "t.db") }, cwd: dir });

const HUMAN = sharedData("arena_33k_pprank/human.json");
const GPT4 = sharedData("arena_33k_pprank/gpt-4-0125-preview.json");

test("rank FILE --format json prints one object whose models carry the documented fields", async () => {
  const r = await run([
    "rank",
    HUMAN,
    "--bootstrap",
    "100",
    "--seed",
    "7",
    "--format",
    "json",
    "--anchor",
    "vicuna-13b=1050",
  ]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.models.length, 20);
  for (const m of j.models)
    for (const f of ["model", "rating", "ci_lower", "ci_upper", "rank", "tier", "battles"]) assert.ok(f in m, f);
  assert.equal(j.models.find((m: { model: string }) => m.model === "vicuna-13b").rating, 1050);
  assert.equal(j.bootstrap.rounds, 100);
  // Same seed, same output.
  const again = await run([
    "rank",
    HUMAN,
    "--bootstrap",
    "100",
    "--seed",
    "7",
    "--format",
    "json",
    "--anchor",
    "vicuna-13b=1050",
  ]);
  assert.equal(again.out, r.out);
});

test("rank table, csv, md, matrix and plot", async () => {
  const svg = join(dir, "chart.svg");
  const t = await run(["rank", HUMAN, "--bootstrap", "50", "--plot", svg, "--matrix", "battles"]);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /rank\s+tier\s+model\s+rating\s+95% CI\s+battles/);
  assert.match(t.out, /gpt-4\s+\d+\.\d\s+\+\d+\.\d\/-\d+\.\d\s+3483/);
  assert.match(t.out, /battles between row and column/);
  assert.ok(existsSync(svg) && readFileSync(svg, "utf8").startsWith("<svg"));
  const csv = await run(["rank", HUMAN, "--bootstrap", "0", "--format", "csv"]);
  assert.equal(csv.out.split("\n")[0], "model,rating,ci_lower,ci_upper,rank,tier,battles,wins,losses,ties");
  const md = await run(["rank", HUMAN, "--bootstrap", "0", "--format", "md", "--filter", "model=gpt-4"]);
  assert.match(md.out, /\| rank \| tier \| model \|/);
});

test("aggregated counts rank directly; --method elo on them is a usage error (exit 2)", async () => {
  const counts = sharedData("arena_pairwise_counts_20240814/chatbotarena_20240814.json");
  const r = await run(["rank", counts, "--bootstrap", "20", "--format", "json"]);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).totals.battles, 1670250);
  const e = await run(["rank", counts, "--method", "elo"]);
  assert.equal(e.code, 2);
  assert.match(e.err, /needs battle rows/);
});

test("malformed input: bad rows are counted with line numbers; --strict exits 2 naming file and line", async () => {
  const f = join(dir, "bad.jsonl");
  writeFileSync(
    f,
    [
      '{"model_a":"a","model_b":"b","winner":"model_a"}',
      '{"model_a":"b","model_b":"c","winner":"model_b"}',
      '{"model_a":"a","model_b":"c","winner":"maybe"}',
      '{"model_a":"c","model_b":"a","winner":"model_a"}',
      '{"model_a":"a","model_b":"a","winner":"tie"}',
      '{"model_a":"b","model_b":"a","winner":"tie"}',
    ].join("\n"),
  );
  const lax = await run(["rank", f, "--bootstrap", "10"]);
  assert.equal(lax.code, 0, lax.err);
  assert.match(lax.err, /skipped 2 bad row\(s\)/);
  assert.match(lax.err, /line 3, field 'winner': unknown winner "maybe"/);
  assert.match(lax.err, /line 5, field 'model_b': model 'a' against itself/);
  const strict = await run(["rank", f, "--strict"]);
  assert.equal(strict.code, 2);
  assert.match(strict.err, /bad\.jsonl, line 3, field 'winner'/);
  const missing = await run(["rank", join(dir, "nope.json")]);
  assert.equal(missing.code, 2);
  const broken = join(dir, "broken.json");
  writeFileSync(broken, '[\n{"model_a":"a","model_b":"b","winner":"model_a"},\n');
  const b = await run(["rank", broken]);
  assert.equal(b.code, 2);
  assert.match(b.err, /broken\.json, line 3: JSON array is not closed/);
  const flag = await run(["rank", f, "--ci", "2"]);
  assert.equal(flag.code, 2);
});

test("votes import, votes list, rank --source, bias and agree end to end", async () => {
  const imp = await run(["votes", "import", HUMAN, "--source", "human"]);
  assert.equal(imp.code, 0, imp.err);
  assert.match(imp.out, /imported 26919 votes into source 'human'/);
  const dup = await run(["votes", "import", HUMAN, "--source", "human"]);
  assert.match(dup.out, /already imported/);
  const list = await run(["votes", "list", "--format", "json"]);
  assert.deepEqual(
    JSON.parse(list.out).sources.map((s: { source: string; votes: number }) => [s.source, s.votes]),
    [["human", 26919]],
  );
  const fromStore = await run(["rank", "--source", "human", "--bootstrap", "30", "--seed", "1", "--format", "json"]);
  const fromFile = await run(["rank", HUMAN, "--bootstrap", "30", "--seed", "1", "--format", "json"]);
  assert.equal(fromStore.code, 0, fromStore.err);
  assert.deepEqual(JSON.parse(fromStore.out).models, JSON.parse(fromFile.out).models);
  const exported = join(dir, "export.jsonl");
  const exp = await run(["votes", "export", "--source", "human", "--filter", "model=gpt-4", "--out", exported]);
  assert.equal(exp.code, 0, exp.err);
  const back = await run(["rank", exported, "--bootstrap", "0", "--format", "json"]);
  assert.equal(back.code, 0, back.err);
  assert.equal(JSON.parse(back.out).models.find((m: { model: string }) => m.model === "gpt-4").battles, 3483);
  assert.match(readFileSync(exported, "utf8").split("\n")[0]!, /"shown_first":"model_a"/);
  const bias = await run(["bias", "--source", "human", "--format", "json"]);
  assert.equal(bias.code, 0, bias.err);
  assert.equal(JSON.parse(bias.out).groups[0].votes, 26919);
  const agree = await run(["agree", HUMAN, GPT4, "--format", "json"]);
  assert.equal(agree.code, 0, agree.err);
  const a = JSON.parse(agree.out);
  assert.equal(a.matched, 26919);
  assert.ok(a.kappa > 0 && a.kappa < 1);
  const counts = sharedData("arena_pairwise_counts_20240814/chatbotarena_20240814.json");
  const noImport = await run(["votes", "import", counts, "--source", "x"]);
  assert.equal(noImport.code, 2);
  assert.match(noImport.err, /aggregated counts/);
});

test("rank --human --judge prints the prediction-powered table and the width comparison", async () => {
  const r = await run(["rank", "--human", HUMAN, "--judge", GPT4, "--human-n", "800", "--format", "json"]);
  assert.equal(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  assert.equal(j.method, "ppr");
  assert.equal(j.n_human, 800);
  assert.ok(j.summary.mean_width_ppr > 0 && j.summary.mean_width_human > 0);
  const half = await run(["rank", "--human", HUMAN]);
  assert.equal(half.code, 2);
});

test("the real bin: rank prints a table and a bad file exits 2", () => {
  const ok = spawnSync(process.execPath, ["bin/modelmap.js", "rank", HUMAN, "--bootstrap", "20", "--format", "csv"], {
    encoding: "utf8",
    env: { ...process.env, MODELMAP_DB: join(dir, "bin.db") },
  });
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout.trim().split("\n").length, 21);
  const f = join(dir, "self.jsonl");
  writeFileSync(f, '{"model_a":"a","model_b":"a","winner":"tie"}\n');
  const bad = spawnSync(process.execPath, ["bin/modelmap.js", "rank", f, "--strict"], { encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /self\.jsonl, line 1/);
});
