/**
 * `modelmap start` end to end through the CLI on real engines: the full pipeline (harness, answers, votes,
 * ratings, map, summary, web server) on tiny random-weight GGUF models the test writes (the mechanics), and
 * on the committed fixture zoo (the product) once it has landed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { modelProfile } from "../src/capmap/profile.ts";
import { search } from "../src/capmap/service.ts";
import { runCli } from "../src/cli/main.ts";
import { collect } from "../src/core/iter.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { createTinyModel } from "./support/tiny-model.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  let text = "";
  let wake: (() => void) | undefined;
  return {
    write: (s: string) => {
      text += s;
      wake?.();
    },
    get text() {
      return text;
    },
    /** Resolves once the captured text matches. */
    until(re: RegExp): Promise<RegExpMatchArray> {
      return new Promise((resolve) => {
        const check = () => {
          const m = re.exec(text);
          if (m) resolve(m);
          else wake = check;
        };
        check();
      });
    },
  };
}

async function votesIn(db: string, source: string): Promise<number> {
  const store = openStore(db);
  try {
    return await store.votes.count({ sources: [source] });
  } finally {
    await store.close();
  }
}

describe("start on tiny random-weight models (mechanics)", () => {
  const zoo = join(dir, "tiny-zoo");
  const db = join(dir, "tiny.db");
  const names = ["alpha", "beta", "gamma"];
  const argv = ["--db", db, "start", "--zoo", zoo, "--no-serve", "--limit", "8"];

  test("first start evaluates, answers, votes, rates and prints the summary table", async () => {
    execFileSync("mkdir", ["-p", zoo]);
    const models: Record<string, { file: string; sha256: string }> = {};
    names.forEach((n, i) => {
      const m = createTinyModel(join(zoo, `${n}.gguf`), { seed: i + 1, contextLength: 256 });
      models[n] = { file: `${n}.gguf`, sha256: m.sha256 };
    });
    writeFileSync(join(zoo, "manifest.json"), JSON.stringify({ seed: 1, models }));
    const out = capture();
    const err = capture();
    assert.equal(await runCli(argv, { stdout: out, stderr: err, cwd: dir }), 0, err.text + out.text);
    // Each row ends with the contamination verdict (the check runs on every benchmark; random models: clean).
    for (const n of names)
      assert.match(
        out.text,
        new RegExp(`^zoo-${n} .*\\d+\\.\\d±\\d+\\.\\d.* \\d+ \\[\\d+, \\d+\\]\\s+\\d+\\s+(clean|FLAGGED .*)$`, "m"),
      );
    assert.match(
      out.text,
      /^model\s+knowledge_gen\s+knowledge_mc\s+math_gen\s+math_mc\s+reasoning_gen\s+reasoning_mc\s+verifiable\s+rating \[95% CI\]\s+rank\s+contamination$/m,
    );
    assert.match(out.text, /^contamination: 18 checks \(\d+\/\d+ texts from the cache\)/m);
    assert.match(out.text, /evaluation: \d+\.\ds;/);
    assert.match(out.text, /0\/\d+ from the cache, [1-9]\d* sent to models/);
    // 60 verifiable prompts x 3 pairs, all answered (random models answer something, right or not).
    assert.match(out.text, /votes: 180 under source 'zoo-verifiable' \(180 written\)/);
    assert.equal(await votesIn(db, "zoo-verifiable"), 180);
    const store = openStore(db);
    try {
      const votes = await collect(store.votes.iterate({ sources: ["zoo-verifiable"] }));
      assert.ok(votes.every((v) => ["model_a", "model_b", "tie", "tie_bothbad"].includes(v.winner)));
      assert.ok(votes.some((v) => v.modelA === "zoo-alpha") && votes.some((v) => v.modelB === "zoo-alpha"));
      assert.ok(await store.capmap.resolveModel("zoo-alpha"), "the capability map knows the models");
    } finally {
      await store.close();
    }
  });

  test("each run records how its model was prompted: template and system prompt, by content hash", async () => {
    const store = openStore(db);
    try {
      const runs = await store.evals.listRuns();
      assert.deepEqual(runs.map((r) => r.modelId).sort(), ["zoo-alpha", "zoo-beta", "zoo-gamma"]);
      for (const r of runs) {
        const p = r.spec.model_prompting;
        assert.ok(p, `${r.modelId}: model_prompting recorded (npm start used to record null)`);
        // The tiny models carry ChatML in their GGUF header; no system prompt is configured.
        assert.equal(p.templateSource, "gguf");
        assert.match(String(p.templateHash), /^[0-9a-f]{64}$/);
        assert.equal(p.systemPromptSource, "none");
        assert.match(String(p.systemPromptHash), /^[0-9a-f]{64}$/);
      }
    } finally {
      await store.close();
    }
  });

  test("a second start takes everything from the caches and duplicates no vote", async () => {
    const out = capture();
    const err = capture();
    assert.equal(await runCli(argv, { stdout: out, stderr: err, cwd: dir }), 0, err.text);
    const m =
      /benchmark requests: (\d+)\/(\d+) from the cache, (\d+) sent to models; answers: (\d+) reused, (\d+) generated/.exec(
        out.text,
      );
    assert.ok(m, out.text);
    assert.equal(m[1], m[2], "every benchmark request from the cache");
    assert.equal(m[3], "0", "no benchmark request sent to a model");
    assert.equal(m[4], "180");
    assert.equal(m[5], "0", "no answer generated again");
    assert.match(out.text, /\(everything from the cache\)/);
    assert.match(out.text, /votes: 180 under source 'zoo-verifiable' \(unchanged\)/);
    assert.equal(await votesIn(db, "zoo-verifiable"), 180);
    const c = /^contamination: 18 checks \((\d+)\/(\d+) texts from the cache\)/m.exec(out.text);
    assert.ok(c, out.text);
    assert.equal(c[1], c[2], "every contamination text from the cache");
  });

  test("without --no-serve it starts the web server and prints its URL", async () => {
    const ac = new AbortController();
    const out = capture();
    const err = capture();
    const done = runCli(["--db", db, "start", "--zoo", zoo, "--limit", "8", "--port", "0"], {
      stdout: out,
      stderr: err,
      cwd: dir,
      signal: ac.signal,
    });
    const [, url] = await Promise.race([
      out.until(/serving (http:\/\/127\.0\.0\.1:\d+)\//),
      done.then((code) => assert.fail(`exited ${code} before serving: ${err.text}`)),
    ]);
    try {
      const res = await fetch(`${url}/`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /<html/i);
    } finally {
      ac.abort();
    }
    assert.equal(await done, 0);
  });

  test("a zoo directory without a manifest is a clear error", async () => {
    const err = capture();
    assert.equal(
      await runCli(["--db", db, "start", "--zoo", dir, "--no-serve"], { stdout: capture(), stderr: err, cwd: dir }),
      2,
    );
    assert.match(err.text, /manifest is missing: .*manifest\.json/);
  });
});

describe("start on the committed fixture zoo", () => {
  const manifest = "fixtures/zoo/manifest.json";
  const committed = (() => {
    try {
      return execFileSync("git", ["ls-files", manifest], { encoding: "utf8" }).trim() !== "";
    } catch {
      return false;
    }
  })();
  const db = join(dir, "zoo.db");
  const argv = ["--db", db, "start", "--no-serve"];
  // Until the zoo is committed, this suite says so (skip with a reason); once committed, a missing file fails.
  const skip =
    !committed && !existsSync(manifest) ? "the fixture zoo (fixtures/zoo/manifest.json) has not landed yet" : false;

  test("npm start's pipeline ranks the zoo and prints the summary", { skip }, async () => {
    assert.ok(existsSync(manifest), `${manifest} is committed but missing from the working tree`);
    const out = capture();
    const err = capture();
    assert.equal(await runCli(argv, { stdout: out, stderr: err }), 0, err.text + out.text);
    console.log(out.text);
    for (const n of ["arithmetic", "contaminated", "facts", "generalist"])
      assert.match(out.text, new RegExp(`^zoo-${n} `, "m"));
    const m = /votes: (\d+) under source 'zoo-verifiable'/.exec(out.text);
    assert.ok(m && Number(m[1]) > 0, "votes from the verifiable prompts");
    // Every model: six task scores with standard errors, its verifiable count and a rating with an interval.
    // (Whether the planted skills show is test/zoo.test.ts's promise; this suite checks the main job.)
    for (const n of ["arithmetic", "contaminated", "facts", "generalist"]) {
      const row =
        new RegExp(`^zoo-${n} +(.*)$`, "m")
          .exec(out.text)?.[1]
          ?.trim()
          .split(/\s{2,}/) ?? [];
      // Ten cells since the contamination column was added (issue 18): the check's verdict per model.
      assert.equal(row.length, 10, `zoo-${n}: ${row.join(" | ")}`);
      for (const cell of row.slice(0, 6)) assert.match(cell, /^\d{1,3}\.\d±\d+\.\d$/);
      assert.match(row[6] ?? "", /^\d+\/60$/);
      assert.match(row[7] ?? "", /^\d+ \[\d+, \d+\]$/);
      // The zoo plants one leak: zoo-contaminated saw the math test items; the check must catch exactly that.
      if (n === "contaminated") assert.match(row[9] ?? "", /^FLAGGED math_gen,math_mc \(p [=<] /);
      else assert.equal(row[9], "clean");
    }
    const store = openStore(db);
    try {
      const runs = (await store.evals.listRuns()).filter((r) => r.status === "complete");
      assert.deepEqual(runs.map((r) => r.modelId).sort(), [
        "zoo-arithmetic",
        "zoo-contaminated",
        "zoo-facts",
        "zoo-generalist",
      ]);
      for (const r of runs) assert.ok(r.spec.model_prompting, `${r.modelId}: model_prompting recorded`);
    } finally {
      await store.close();
    }
  });

  test("the contaminated model is not recommended for math: demoted in search, the map and its model page", {
    skip,
  }, async () => {
    const store = openStore(db);
    try {
      const r = await search(store, "math", {}, { top: 10 });
      assert.notEqual(r.results[0]?.modelId, "zoo-contaminated", "not first for math");
      assert.ok(!r.tiedForFirst.some((t) => t.modelId === "zoo-contaminated"), "not tied for first");
      const hit = r.results.find((h) => h.modelId === "zoo-contaminated");
      assert.ok(hit, "still listed, last");
      assert.equal(r.results.at(-1)?.modelId, "zoo-contaminated");
      assert.match(hit.demoted?.join(" ") ?? "", /contamination check flagged synthetic_math_(gen|mc) \(p [=<] /);
      const hidden = await search(store, "math", { excludeFlagged: true });
      assert.ok(!hidden.results.some((h) => h.modelId === "zoo-contaminated"), "--exclude-flagged leaves it out");
      const p = await modelProfile(store, "zoo-contaminated");
      assert.equal(p.categories.find((c) => c.cell.category === "math")?.verdict, "flagged");
      assert.ok(!p.strengths.includes("math"));
      // Clean models keep their place: nothing else in the zoo is demoted.
      for (const m of ["zoo-arithmetic", "zoo-facts", "zoo-generalist"])
        assert.deepEqual((await modelProfile(store, m)).flagged, [], m);
      // The judgment pages have content: the reference-match judge's pairwise verdicts.
      const judgments = await store.judging.judgments({ setName: "synthetic-zoo" });
      assert.ok(judgments.length > 0, "reference-match judgments stored");
    } finally {
      await store.close();
    }
  });

  test("a second npm start is served from the caches and adds no vote", { skip }, async () => {
    const before = await votesIn(db, "zoo-verifiable");
    const out = capture();
    const err = capture();
    assert.equal(await runCli(argv, { stdout: out, stderr: err }), 0, err.text);
    assert.match(out.text, /, 0 sent to models; answers: \d+ reused, 0 generated/);
    assert.match(out.text, /\(unchanged\)/);
    assert.equal(await votesIn(db, "zoo-verifiable"), before);
  });
});
