/**
 * Labeling on many instances (issue 16 item 4): two real `modelmap serve` processes on one PostgreSQL database
 * serve one campaign. Every labeler sends each request to both servers at once (a double click, a retry through
 * a load balancer): both answer the same assignment, each labeler gets exactly K items, none twice, and every
 * vote is stored exactly once, whichever server acknowledged it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { after, before, test } from "node:test";
import pg from "pg";
import { LabelingService } from "../src/labeling/service.ts";
import { openStoreAt } from "../src/store/open.ts";
import { seedAnswers } from "./support/labeling-fixture.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";

let cluster: PgCluster;
const servers: ChildProcess[] = [];
before(async () => {
  cluster = await startPostgres();
});
after(async () => {
  for (const s of servers) s.kill("SIGTERM");
  await Promise.all(servers.map((s) => (s.exitCode === null ? once(s, "exit") : undefined)));
  await cluster?.stop();
});

/** Starts `modelmap serve` on the database and returns its base URL once it listens. */
async function serve(db: string): Promise<string> {
  const child = spawn(process.execPath, ["bin/modelmap.js", "--db", db, "serve", "--port", "0"], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  servers.push(child);
  let out = "";
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /serving (http:\/\/\S+?)\/ /.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once("exit", (code) => reject(new Error(`modelmap serve exited ${code}: ${err}`)));
  });
}

interface Res {
  status: number;
  body: unknown;
  cookies: string[];
}

async function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Res> {
  const r = await fetch(`${base}${path}`, {
    method: init.method ?? "GET",
    headers: { ...init.headers, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    redirect: "manual",
  });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: r.status, body, cookies: r.headers.getSetCookie() };
}

const cookieOf = (cookies: string[], name: string) =>
  cookies.find((c) => c.startsWith(`${name}=`))?.split(";")[0] as string;

test("two serve processes on one PostgreSQL database: quotas hold, no vote is lost or doubled", async () => {
  const url = await cluster.createDatabase();
  const K = 4;
  const LABELERS = 12;
  const store = await openStoreAt(url);
  let campaignId: string;
  try {
    await seedAnswers(store, { set: "many", prompts: 8, models: ["m1", "m2", "m3"] });
    const svc = new LabelingService(store);
    const campaign = await svc.createCampaign({
      name: "two servers",
      setName: "many",
      models: ["m1", "m2", "m3"],
      perLabeler: K,
      goldRate: 0.3,
      gold: [
        { promptId: "q0", modelA: "m1", modelB: "m2", winner: "model_a" },
        { promptId: "q1", modelA: "m2", modelB: "m3", winner: "tie" },
      ],
    });
    campaignId = campaign.id;
  } finally {
    await store.close();
  }
  const [a, b] = await Promise.all([serve(url), serve(url)]);
  const bases = [a, b];

  let recorded = 0;
  let racedNext = 0;
  await Promise.all(
    Array.from({ length: LABELERS }, async (_, i) => {
      // Sign up on one server; the session and its CSRF token are in the database, so the other knows them.
      const home = bases[i % 2] as string;
      const page = await call(home, "/label");
      const pre = cookieOf(page.cookies, "mm_pre");
      const csrfPre = /name="csrf-token" content="([^"]*)"/.exec(String(page.body))?.[1] ?? "";
      const signup = await call(home, "/api/label/signup", {
        method: "POST",
        headers: { cookie: pre, "x-csrf-token": csrfPre },
        body: {},
      });
      assert.equal(signup.status, 200, JSON.stringify(signup.body));
      const cookie = cookieOf(signup.cookies, "mm_session");
      const csrf = (signup.body as { csrf: string }).csrf;
      for (let n = 0; ; n++) {
        const nexts = await Promise.all(
          bases.map((s) => call(s, `/api/label/${campaignId}/next`, { headers: { cookie } })),
        );
        for (const r of nexts) assert.equal(r.status, 200, JSON.stringify(r.body));
        const [x, y] = nexts.map((r) => r.body as { done: boolean; assignmentId?: string });
        assert.deepEqual(x, y, "both servers show the labeler the same assignment");
        if (x?.done) {
          assert.equal(n, K, "each labeler gets exactly K items");
          return;
        }
        racedNext++;
        const choice = ["left", "right", "tie", "both_bad"][(i + n) % 4];
        // The same vote through both servers at once: one records it, the other acknowledges it as a duplicate.
        const votes = await Promise.all(
          bases.map((s) =>
            call(s, `/api/label/${campaignId}/vote`, {
              method: "POST",
              headers: { cookie, "x-csrf-token": csrf },
              body: { assignmentId: x?.assignmentId, choice },
            }),
          ),
        );
        for (const v of votes) assert.equal(v.status, 200, JSON.stringify(v.body));
        const statuses = votes.map((v) => (v.body as { status: string }).status).sort();
        assert.deepEqual(statuses, ["duplicate", "recorded"]);
        recorded++;
      }
    }),
  );
  assert.equal(racedNext, LABELERS * K);

  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const perLabeler = await c.query<{ n: number; items: number; voted: number; maxseq: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT item_id)::int AS items, count(choice)::int AS voted, max(seq)::int AS maxseq
       FROM label_assignments WHERE campaign_id = $1 GROUP BY labeler_id`,
      [campaignId],
    );
    assert.equal(perLabeler.rows.length, LABELERS);
    for (const r of perLabeler.rows) assert.deepEqual(r, { n: K, items: K, voted: K, maxseq: K });
    const votes = await c.query<{ n: number; distinct: number; linked: number }>(
      `SELECT (SELECT count(*)::int FROM votes WHERE source = $1) AS n,
              (SELECT count(DISTINCT vote_id)::int FROM label_assignments WHERE campaign_id = $2) AS distinct,
              (SELECT count(*)::int FROM label_assignments a JOIN label_items i ON i.id = a.item_id
               WHERE a.campaign_id = $2 AND i.gold_winner IS NULL) AS linked`,
      [`label:${campaignId}`, campaignId],
    );
    const v = votes.rows[0] as { n: number; distinct: number; linked: number };
    assert.equal(recorded, LABELERS * K);
    assert.equal(v.n, v.linked, "one stored vote per voted non-gold assignment, none doubled");
    assert.equal(v.distinct, v.linked, "each assignment links its own vote");
    const orphans = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM votes v WHERE v.source = $1
       AND NOT EXISTS (SELECT 1 FROM label_assignments a WHERE a.vote_id = v.id)`,
      [`label:${campaignId}`],
    );
    assert.equal(orphans.rows[0]?.n, 0, "no vote stored without its assignment (a lost race rolls back)");
  } finally {
    await c.end();
  }
});
