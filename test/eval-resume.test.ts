/**
 * Reliability: a real `modelmap eval` child process is killed with SIGKILL at several points (before any result,
 * mid-run twice) and interrupted with SIGINT (recorded as failed, reason 'aborted'); running the same command again
 * finishes the run, and the results equal an uninterrupted run's exactly, with every sample stored once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { evalArgs, makeEvalFixture } from "./support/eval-fixture.ts";

const ROOT = join(import.meta.dirname, "..");

function spawnEval(args: string[]): {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
} {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, "src", "cli", "main.ts"), ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((res) =>
    child.on("exit", (code, signal) => res({ code, signal, out, err })),
  );
  return { child, done };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples stored so far for the run (0 while the run does not exist yet). */
async function storedSamples(db: string, runId: string): Promise<{ run: boolean; samples: number }> {
  const store = openStore(db);
  try {
    const run = (await store.evals.getRun(runId)) !== undefined;
    const samples = (await store.evals.sampleTasks(runId)).reduce((a, t) => a + t.n, 0);
    return { run, samples };
  } finally {
    await store.close();
  }
}

test("eval killed with SIGKILL at several points resumes to exactly the uninterrupted results", {
  timeout: 600_000,
}, async () => {
  const f = makeEvalFixture({ mcDocs: 100, genDocs: 6 });
  const total = 106;
  // Uninterrupted reference, in its own database.
  let refOut = "";
  const refDb = join(f.dir, "ref.db");
  const code = await runCli(evalArgs(f, refDb, ["--quiet", "--window", "5"]), {
    stdout: { write: (s: string) => (refOut += s) },
    stderr: { write: () => true },
  });
  assert.equal(code, 0);
  const ref = JSON.parse(refOut) as { config: { run_id: string } };
  const runId = ref.config.run_id;

  const db = join(f.dir, "killed.db");
  const args = evalArgs(f, db, ["--window", "5"]);
  const kills: Array<{ at: string; samples: number }> = [];
  // Kill points: as soon as the run exists (nothing answered yet), then after >= 20 and >= 60 samples.
  for (const [label, predicate] of [
    ["run created", (s: { run: boolean; samples: number }) => s.run],
    [">=20 samples", (s: { run: boolean; samples: number }) => s.samples >= 20],
    [">=60 samples", (s: { run: boolean; samples: number }) => s.samples >= 60],
  ] as const) {
    const { child, done } = spawnEval(args);
    let killed = false;
    for (let i = 0; i < 6000; i++) {
      await sleep(20);
      if (child.exitCode !== null) break;
      const s = await storedSamples(db, runId);
      if (predicate(s)) {
        child.kill("SIGKILL");
        killed = true;
        kills.push({ at: label, samples: s.samples });
        break;
      }
    }
    const r = await done;
    assert.ok(killed, `the run finished before the kill point '${label}': ${r.err}`);
    assert.equal(r.signal, "SIGKILL");
    assert.ok((await storedSamples(db, runId)).samples < total, `killed '${label}' before the end`);
  }
  // Ctrl-C (SIGINT): the run stops cleanly (exit 130) and is recorded as failed, reason 'aborted'.
  {
    const { child, done } = spawnEval(args);
    let interrupted = false;
    for (let i = 0; i < 6000; i++) {
      await sleep(20);
      if (child.exitCode !== null) break;
      if ((await storedSamples(db, runId)).samples >= 80) {
        child.kill("SIGINT");
        interrupted = true;
        break;
      }
    }
    const r = await done;
    assert.ok(interrupted, `the run finished before the interrupt: ${r.err}`);
    assert.equal(r.code, 130, r.err);
    const store = openStore(db);
    try {
      const run = (await store.evals.getRun(runId)) ?? assert.fail("no run");
      assert.equal(run.status, "failed", "an interrupted run is not left 'running'");
      assert.equal(run.failure?.reason, "aborted");
    } finally {
      await store.close();
    }
    assert.ok((await storedSamples(db, runId)).samples < total, "interrupted before the end");
  }
  // The same command again finishes the run.
  const { done } = spawnEval(args);
  const fin = await done;
  assert.equal(fin.code, 0, fin.err);
  assert.deepEqual(JSON.parse(fin.out), JSON.parse(refOut), `kills: ${JSON.stringify(kills)}`);
  // It resumed: most requests came from the cache the killed attempts filled.
  const m = /(\d+) requests \((\d+) from cache, (\d+) sent\)/.exec(fin.err) ?? assert.fail(fin.err);
  // >= 60 samples were stored: the 6 generations and >= 54 four-choice documents.
  assert.ok(Number(m[2]) >= 6 + 54 * 4, `resumed from the cache: ${m[0]}`);
  assert.equal(Number(m[2]) + Number(m[3]), Number(m[1]));
  const store = openStore(db);
  try {
    const counts = await store.evals.sampleTasks(runId);
    assert.deepEqual(
      counts.map((c) => [c.task, c.n, c.errors]),
      [
        ["toy_gen", 6, 0],
        ["toy_mc", 100, 0],
      ],
    );
    assert.equal((await store.evals.listRuns()).length, 1, "one run, not one per attempt");
  } finally {
    await store.close();
  }
  // Byte-identical samples (issue 19 item 7): every stored sample equals the uninterrupted run's, including each
  // choice's log-likelihood, except its timings (which record whether it came from the cache).
  assert.deepEqual(
    await storedSampleTexts(db, runId),
    await storedSampleTexts(refDb, runId),
    `kills: ${JSON.stringify(kills)}`,
  );
});

async function storedSampleTexts(db: string, runId: string): Promise<string[]> {
  const store = openStore(db);
  try {
    const texts: string[] = [];
    for await (const s of store.evals.iterateSamples(runId)) {
      const { timings: _, ...rest } = s;
      texts.push(JSON.stringify(rest));
    }
    return texts;
  } finally {
    await store.close();
  }
}
