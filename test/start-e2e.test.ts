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
import { runCli } from "../src/cli/main.ts";
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

function votesIn(db: string, source: string): number {
  const store = openStore(db);
  try {
    return store.votes.count({ sources: [source] });
  } finally {
    store.close();
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
    for (const n of names)
      assert.match(out.text, new RegExp(`^zoo-${n} .*\\d+\\.\\d±\\d+\\.\\d.* \\d+ \\[\\d+, \\d+\\]\\s+\\d+$`, "m"));
    assert.match(
      out.text,
      /^model\s+knowledge_gen\s+knowledge_mc\s+math_gen\s+math_mc\s+reasoning_gen\s+reasoning_mc\s+verifiable\s+rating \[95% CI\]\s+rank$/m,
    );
    assert.match(out.text, /evaluation: \d+\.\ds;/);
    assert.match(out.text, /0\/\d+ from the cache, [1-9]\d* sent to models/);
    // 60 verifiable prompts x 3 pairs, all answered (random models answer something, right or not).
    assert.match(out.text, /votes: 180 under source 'zoo-verifiable' \(180 written\)/);
    assert.equal(votesIn(db, "zoo-verifiable"), 180);
    const store = openStore(db);
    try {
      const votes = [...store.votes.iterate({ sources: ["zoo-verifiable"] })];
      assert.ok(votes.every((v) => ["model_a", "model_b", "tie", "tie_bothbad"].includes(v.winner)));
      assert.ok(votes.some((v) => v.modelA === "zoo-alpha") && votes.some((v) => v.modelB === "zoo-alpha"));
      assert.ok(store.capmap.resolveModel("zoo-alpha"), "the capability map knows the models");
    } finally {
      store.close();
    }
  });

  test("each run records how its model was prompted: template and system prompt, by content hash", () => {
    const store = openStore(db);
    try {
      const runs = store.evals.listRuns();
      assert.deepEqual(runs.map((r) => r.modelId).sort(), ["zoo-alpha", "zoo-beta", "zoo-gamma"]);
      for (const r of runs) {
        const p = (r.config as { model_prompting: Record<string, unknown> | null }).model_prompting;
        assert.ok(p, `${r.modelId}: model_prompting recorded (npm start used to record null)`);
        // The tiny models carry ChatML in their GGUF header; no system prompt is configured.
        assert.equal(p.templateSource, "gguf");
        assert.match(String(p.templateHash), /^[0-9a-f]{64}$/);
        assert.equal(p.systemPromptSource, "none");
        assert.match(String(p.systemPromptHash), /^[0-9a-f]{64}$/);
      }
    } finally {
      store.close();
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
    assert.equal(votesIn(db, "zoo-verifiable"), 180);
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
      assert.equal(row.length, 9, `zoo-${n}: ${row.join(" | ")}`);
      for (const cell of row.slice(0, 6)) assert.match(cell, /^\d{1,3}\.\d±\d+\.\d$/);
      assert.match(row[6] ?? "", /^\d+\/60$/);
      assert.match(row[7] ?? "", /^\d+ \[\d+, \d+\]$/);
    }
    const store = openStore(db);
    try {
      const runs = store.evals.listRuns().filter((r) => r.status === "complete");
      assert.deepEqual(runs.map((r) => r.modelId).sort(), [
        "zoo-arithmetic",
        "zoo-contaminated",
        "zoo-facts",
        "zoo-generalist",
      ]);
      for (const r of runs)
        assert.ok((r.config as { model_prompting: unknown }).model_prompting, `${r.modelId}: model_prompting recorded`);
    } finally {
      store.close();
    }
  });

  test("a second npm start is served from the caches and adds no vote", { skip }, async () => {
    const before = votesIn(db, "zoo-verifiable");
    const out = capture();
    const err = capture();
    assert.equal(await runCli(argv, { stdout: out, stderr: err }), 0, err.text);
    assert.match(out.text, /, 0 sent to models; answers: \d+ reused, 0 generated/);
    assert.match(out.text, /\(unchanged\)/);
    assert.equal(votesIn(db, "zoo-verifiable"), before);
  });
});
