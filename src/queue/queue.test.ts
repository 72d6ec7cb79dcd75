/**
 * The queue and the submission checks against a real PostgreSQL server (test/support/postgres.ts): leases and
 * heartbeats, expiry handing a silent holder's job to another, cancel and retry, and each submission refusal with
 * its reason. The worker end to end (processes, endpoints, SIGKILL) is test/queue-e2e.test.ts.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type PgCluster, startPostgres } from "../../test/support/postgres.ts";
import { createTinyModel } from "../../test/support/tiny-model.ts";
import { exitCodeFor, ModelmapError } from "../core/errors.ts";
import { type EvalJob, evalKey, evalQueue } from "./jobs.ts";
import { JobQueue } from "./queue.ts";
import { type SubmissionPolicy, submit } from "./submit.ts";

const ZOO = join(import.meta.dirname, "..", "..", "fixtures", "zoo");
const ARITH_SHA = "aeb293a7189bdf6f68b11b34913a85b0bda6108608e07519b3021e16b3861cbf";

let cluster: PgCluster;
const dir = mkdtempSync(join(tmpdir(), "mm-queue-"));
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function job(i: number): EvalJob {
  const base = {
    model: "m",
    revision: `r${i}`,
    precision: "F32",
    chatTemplate: false,
    systemPrompt: "none",
    suite: "s",
    seed: 1,
  };
  return { kind: "eval", ...base, tasks: ["t"], key: evalKey(base) };
}

test("a lease is renewed by heartbeats, lost to another holder once it expires, and attempts are told apart", async () => {
  const db = await cluster.createDatabase();
  const a = await JobQueue.open(db, { leaseSeconds: 2, superviseSeconds: 1 });
  const b = await JobQueue.open(db, { leaseSeconds: 2, superviseSeconds: 1 });
  try {
    const id = await a.send(job(1));
    const first = (await a.take(evalQueue("m"))) ?? assert.fail("no job");
    assert.equal(first.id, id);
    assert.equal(await b.take(evalQueue("m")), undefined, "a leased job is nobody else's");
    // Beating keeps it past its expiry.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 400));
      assert.equal(await a.heartbeat(first), true);
    }
    assert.equal(await b.take(evalQueue("m")), undefined, "still held after 2.4 s of beats on a 2 s lease");
    // Silence: the job comes back to another holder, as a new attempt; the old holder's beat now fails.
    let second: Awaited<ReturnType<JobQueue["take"]>>;
    for (let i = 0; i < 100 && !second; i++) {
      await new Promise((r) => setTimeout(r, 100));
      second = await b.take(evalQueue("m"));
    }
    assert.ok(second, "re-leased");
    assert.equal(second.id, id);
    assert.equal(second.attempt, first.attempt + 1);
    assert.equal(await a.heartbeat(first), false, "the first holder's lease is gone");
    await b.complete(second, { runId: "x" });
    const done = (await a.get(id)) ?? assert.fail("gone");
    assert.equal(done.state, "completed");
    assert.deepEqual(done.output, { runId: "x" });
  } finally {
    await a.close();
    await b.close();
  }
});

test("cancel ends a running job's lease; retry and resume put failed and cancelled jobs back", async () => {
  const db = await cluster.createDatabase();
  const q = await JobQueue.open(db, { leaseSeconds: 30, retryLimit: 0 });
  try {
    const id = await q.send(job(2));
    const held = (await q.take(evalQueue("m"))) ?? assert.fail("no job");
    assert.equal((await q.cancel(id)).state, "cancelled");
    assert.equal(await q.heartbeat(held), false);
    await assert.rejects(q.cancel(id), (e: unknown) => e instanceof ModelmapError && e.code === "conflict");
    assert.equal((await q.retry(id)).state, "created");
    const again = (await q.take(evalQueue("m"))) ?? assert.fail("not back");
    await q.fail(again, "boom");
    const failed = (await q.get(id)) ?? assert.fail("gone");
    assert.equal(failed.state, "failed", "no retries left");
    assert.equal((await q.retry(id)).state, "retry");
    await assert.rejects(q.retry(id), /only failed or cancelled/);
    await assert.rejects(
      q.cancel("00000000-0000-0000-0000-000000000000"),
      (e: unknown) => e instanceof ModelmapError && e.code === "not_found",
    );
    assert.equal((await q.list({ state: "retry" })).length, 1);
  } finally {
    await q.close();
  }
});

test("each submission check refuses with its reason (exit code 2); an accepted one is queued with its revision pinned", async () => {
  const db = await cluster.createDatabase();
  const q = await JobQueue.open(db);
  const cat = join(dir, "catalogue");
  mkdirSync(cat, { recursive: true });
  createTinyModel(join(cat, "nocard.gguf"), { seed: 1, chatTemplate: null });
  copyFileSync(join(ZOO, "zoo-arithmetic.gguf"), join(cat, "arith.gguf"));
  const policy: SubmissionPolicy = { modelsDir: cat, ratePerWindow: 2 };
  const ok = { model: "arith", precision: "F32", chatTemplate: false, suite: "synthetic_math_mc", submitter: "ann" };
  const refused = async (input: object, re: RegExp, p: SubmissionPolicy = policy) =>
    assert.rejects(
      submit(q, input, p),
      (e: unknown) => {
        assert.ok(e instanceof ModelmapError, String(e));
        assert.equal(e.code, "refused", e.message);
        assert.equal(exitCodeFor(e), 2);
        assert.match(e.message, re);
        return true;
      },
      `${JSON.stringify(input)} is refused (${re})`,
    );
  try {
    await refused({ ...ok, model: "../arith" }, /not a model name/);
    await refused({ ...ok, model: "absent" }, /not in the operator's catalogue/);
    await refused({ ...ok, revision: "deadbeef" }, /revision 'deadbeef' is not this model's/);
    await refused({ ...ok, precision: "Q8_0" }, /precision 'Q8_0' does not match the weights \(F32\)/);
    await refused({ ...ok, model: "nocard" }, /has no model card/);
    await refused(ok, /states no licence/, { ...policy, requireLicense: true });
    await refused(ok, /has 357\d+ parameters; this leaderboard takes at most 1000/, { ...policy, maxParams: 1000 });
    await refused({ ...ok, systemPrompt: "pirate" }, /unknown system prompt preset 'pirate'/);
    await refused({ ...ok, suite: "no_such_suite" }, /suite 'no_such_suite' is not one this leaderboard runs/);
    await refused(ok, /not reachable/, { ...policy, endpoints: ["http://127.0.0.1:9/v1"] });
    await assert.rejects(
      submit(q, { ...ok, extra: 1 }, policy),
      (e: unknown) => e instanceof ModelmapError && e.code === "input",
    );

    // A card beside the weights counts.
    writeFileSync(join(cat, "nocard.md"), "# nocard\n");
    await refused({ ...ok, model: "nocard", precision: "F32", chatTemplate: true }, /has no chat template/);

    const accepted = await submit(q, { ...ok, revision: ARITH_SHA.slice(0, 10) }, policy);
    assert.equal(accepted.job.revision, ARITH_SHA);
    assert.deepEqual(accepted.job.tasks, ["synthetic_math_mc"]);
    assert.deepEqual(accepted.notes, ["the weights state no licence (general.license)"]);
    await refused(ok, /already queued \(job /);
    await submit(q, { ...ok, suite: "synthetic_knowledge_mc" }, policy);
    await refused(
      { ...ok, suite: "synthetic_reasoning_mc" },
      /'ann' has submitted 2 models in the last 24 h; the limit is 2/,
    );
    // Another submitter is not limited by ann's submissions; a failed evaluation may be submitted again.
    const bob = await submit(q, { ...ok, suite: "synthetic_reasoning_mc", submitter: "bob" }, policy);
    const held = (await q.take(evalQueue("arith"))) ?? assert.fail("nothing queued");
    assert.ok(held);
    assert.equal((await q.cancel(bob.jobId)).state, "cancelled");
    await submit(q, { ...ok, suite: "synthetic_reasoning_mc", submitter: "bob" }, policy);
    // Two identical submissions at once: one is queued, the other refused.
    const carol = { ...ok, chatTemplate: true, submitter: "carol" };
    const race = await Promise.allSettled([submit(q, carol, policy), submit(q, carol, policy)]);
    assert.deepEqual(race.map((r) => r.status).sort(), ["fulfilled", "rejected"]);
    const lost = race.find((r) => r.status === "rejected") as PromiseRejectedResult;
    assert.ok(lost.reason instanceof ModelmapError && lost.reason.code === "refused", String(lost.reason));
  } finally {
    await q.close();
  }
});
