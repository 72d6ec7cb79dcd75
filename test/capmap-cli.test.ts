import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { capture } from "./support/cli.ts";
import { ARENA_MERGED, OBS_BASE, OBS_INSTRUCT, sharedData } from "./support/shared-data.ts";

async function cli(db: string, ...argv: string[]) {
  const out = capture();
  const err = capture();
  const code = await runCli(["--db", db, ...argv], { stdout: out, stderr: err, env: {} });
  return { code, out: out.text, err: err.text };
}

test("map import, search, map compare, card and map sync through the CLI", async () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-capmap-cli-"));
  const db = join(dir, "m.db");
  try {
    let r = await cli(db, "map", "import", "obs-scaling", sharedData(...OBS_BASE));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /imported obs-scaling:base_llm_benchmark_eval: 148 models/);
    assert.equal((await cli(db, "map", "import", "obs-scaling", sharedData(...OBS_INSTRUCT))).code, 0);
    r = await cli(db, "map", "import", "arena", sharedData(...ARENA_MERGED));
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /merged_arena_x_openllm_v2_2025-06-06\.csv:24: duplicate model 'allenai\/Llama-3\.1-Tulu-3-70B'/,
    );

    r = await cli(db, "search", "coding", "--max-params", "8", "--top", "3", "--json");
    assert.equal(r.code, 0, r.err);
    const s = JSON.parse(r.out) as {
      total: number;
      results: Array<{ modelId: string; model: { paramsB: number }; rank: number }>;
    };
    assert.equal(s.results.length, 3);
    assert.ok(s.results.every((h) => h.model.paramsB <= 8));
    assert.equal(s.results[0]?.rank, 1);

    r = await cli(db, "search", "coding", "--top", "5");
    assert.match(r.out, /^coding: \d+ models match\nrank\s+model/);
    assert.match(r.out, /tied for first: you cannot tell these \d+ apart/);

    r = await cli(db, "map", "compare", "meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-13b-hf");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /knowledge\s+[\d.]+\s+[\d.]+\s+-?[\d.]+\s+\[/);
    assert.match(r.out, /B better|cannot tell|A better/);
    // The old spelling works the same for one release, with a one-line notice on stderr.
    const old = await cli(db, "compare-models", "meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-13b-hf");
    assert.equal(old.code, 0, old.err);
    assert.equal(old.out, r.out);
    assert.equal(r.err, "");
    assert.equal(
      old.err,
      "modelmap: 'compare-models' is deprecated and goes away in the next release; use 'modelmap map compare'\n",
    );

    r = await cli(db, "card", "meta-llama/Llama-2-7b-hf");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /# meta-llama\/Llama-2-7b-hf: capability report/);
    assert.match(r.out, /\| coding \| HumanEval \| obs-scaling:base_llm_benchmark_eval \| 12\.8 \|/);

    r = await cli(db, "map", "sync", "--tasks", join(dir, "no-tasks-here"));
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /runs: 0 task results; judge: 0 graded groups; votes: 0 ratings/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("user errors exit 2 and name the file, line or flag", async () => {
  const dir = mkdtempSync(join(tmpdir(), "modelmap-capmap-cli-"));
  const db = join(dir, "m.db");
  try {
    const bad = join(dir, "bad.csv");
    writeFileSync(bad, "name,score\nx,1\n");
    let r = await cli(db, "map", "import", "open-llm-leaderboard", bad);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.csv, line 1: not an Open LLM Leaderboard table/);
    r = await cli(db, "map", "import", "nonsense", bad);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown kind 'nonsense'/);
    r = await cli(db, "map", "import", "obs-scaling", join(dir, "missing.csv"));
    assert.equal(r.code, 2);
    assert.match(r.err, /missing\.csv: results table not found/);
    r = await cli(db, "import", "obs-scaling", join(dir, "missing.csv"));
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      /^modelmap: 'import' is deprecated .* use 'modelmap map import'\n.*missing\.csv: results table not found/,
    );
    r = await cli(db, "search", "math", "--max-params", "eight");
    assert.equal(r.code, 2);
    assert.match(r.err, /--max-params expects a number, got 'eight'/);
    r = await cli(db, "search", "math");
    assert.equal(r.code, 2);
    assert.match(r.err, /the map is empty/);
    r = await cli(db, "card", "nobody/nothing");
    assert.equal(r.code, 2);
    assert.match(r.err, /no model 'nobody\/nothing' in the map/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
