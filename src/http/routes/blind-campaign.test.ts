/**
 * The de-blinding attack of issue 19 against a `reveal: never` campaign, replayed through the whole site: a
 * labeler diffs every standing the server offers around each of their votes, and looks up the answers they are
 * shown in the public judgments. Neither may name a model.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { seedAnswers } from "../../../test/support/labeling-fixture.ts";
import { LabelingService } from "../../labeling/service.ts";
import { openStore, type SqliteStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { listen } from "../listen.ts";
import { ROUTE_MODULES } from "./index.ts";

const MODELS = ["quokka-7b", "narwhal-13b", "pangolin-3b"];
const ADMIN = "blind-admin-token";

let store: SqliteStore;
let server: { url: string; close(): Promise<void> };
let campaign = "";

before(async () => {
  store = openStore(":memory:");
  await seedAnswers(store, {
    set: "blindset",
    prompts: 6,
    models: MODELS,
    answer: (m, i) => `Answer ${i} written by ${m}.`,
  });
  // An LLM judge already compared answers of this set (its judgments name the models next to the texts).
  const a = (m: string) => `blindset-q0-${m}`;
  await store.judging.putJudgment({
    key: "jb1",
    judge: "judge-x",
    kind: "pairwise",
    setName: "blindset",
    promptId: "q0",
    category: "chat",
    answerFirst: a(MODELS[0] as string),
    answerSecond: a(MODELS[1] as string),
    modelFirst: MODELS[0] as string,
    modelSecond: MODELS[1] as string,
    verdict: "first",
    score: null,
    parseError: null,
    raw: "A is better.",
    referenceGuided: false,
    judgePromptHash: "h",
  });
  campaign = (
    await new LabelingService(store).createCampaign({
      name: "Blind",
      setName: "blindset",
      models: MODELS,
      perLabeler: 6,
      reveal: "never",
      goldRate: 0,
    })
  ).id;
  server = await listen(createApp({ store, adminToken: ADMIN }, ROUTE_MODULES));
});
after(async () => {
  await server.close();
  await store.close();
});

async function labeler(): Promise<{ get(path: string): Promise<Response>; csrf: string; cookie: string }> {
  const page = await fetch(`${server.url}/label`);
  const pre = page.headers.getSetCookie()[0]?.split(";")[0] as string;
  const token = /name="csrf-token" content="([^"]*)"/.exec(await page.text())?.[1] as string;
  const r = await fetch(`${server.url}/api/label/signup`, {
    method: "POST",
    headers: { cookie: pre, "x-csrf-token": token, "content-type": "application/json" },
    body: "{}",
  });
  const cookie = r.headers
    .getSetCookie()
    .find((c) => c.startsWith("mm_session="))
    ?.split(";")[0] as string;
  const csrf = ((await r.json()) as { csrf: string }).csrf;
  return { get: (path) => fetch(server.url + path, { headers: { cookie } }), csrf, cookie };
}

type Standing = Map<string, { wins: number; battles: number }>;
const ORACLES = () => [`/api/label/${campaign}/leaderboard`, `/api/rank?source=label:${campaign}`, "/api/rank"];

/** Every standing a labeler can read: per oracle, wins and battles per model (none when refused). */
async function standings(get: (p: string) => Promise<Response>): Promise<Map<string, Standing>> {
  const out = new Map<string, Standing>();
  for (const path of ORACLES()) {
    const r = await get(path);
    if (r.status !== 200) continue;
    const body = (await r.json()) as { leaderboard?: { models: unknown[] }; models?: unknown[] };
    const models = (body.leaderboard?.models ?? body.models ?? []) as Array<{
      model: string;
      wins: number;
      battles: number;
    }>;
    out.set(path, new Map(models.map((m) => [m.model, { wins: m.wins, battles: m.battles }])));
  }
  return out;
}

test("a labeler of a reveal: never campaign cannot name the models by diffing standings or reading judgments", async () => {
  const l = await labeler();
  let named = 0;
  let votes = 0;
  for (;;) {
    const next = (await (await l.get(`/api/label/${campaign}/next`)).json()) as {
      done: boolean;
      assignmentId: string;
      left: string[];
    };
    if (next.done) break;
    // The answer's text, looked up in the public judgments of its set.
    const text = (next.left[0] ?? "").replace(/<[^>]+>/g, "");
    const judged = await l.get("/api/judgments/blindset/jb1");
    let hit = judged.status === 200 && (await judged.text()).includes(text);
    const before = await standings(l.get);
    const v = await fetch(`${server.url}/api/label/${campaign}/vote`, {
      method: "POST",
      headers: { cookie: l.cookie, "x-csrf-token": l.csrf, "content-type": "application/json" },
      body: JSON.stringify({ assignmentId: next.assignmentId, choice: "left" }),
    });
    assert.equal(v.status, 200);
    assert.deepEqual(await v.json(), { status: "recorded" }, "reveal: never names nobody after the vote");
    votes++;
    const afterVote = await standings(l.get);
    // The truth, from the store: which model was on the left.
    const a = await store.labeling.assignment(next.assignmentId);
    const item = await store.labeling.item(a?.itemId ?? -1);
    const left = a?.leftIs === "model_a" ? item?.modelA : item?.modelB;
    for (const [path, after] of afterVote) {
      const was = before.get(path) ?? new Map();
      const winner = [...after].find(([m, s]) => s.wins > (was.get(m)?.wins ?? 0))?.[0];
      if (winner !== undefined && winner === left) hit = true;
    }
    if (hit) named++;
  }
  assert.equal(votes, 6);
  assert.equal(named, 0, `the labeler named the left model in ${named} of ${votes} votes`);
  for (const path of [...ORACLES().slice(0, 2), `/label/${campaign}/leaderboard`]) {
    const r = await l.get(path);
    assert.equal(r.status, 401, path);
    const text = await r.text();
    for (const m of MODELS) assert.ok(!text.includes(m), `${path} names ${m}`);
  }
  // The admin sees the standings.
  const admin = await fetch(`${server.url}/api/label/${campaign}/leaderboard`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  assert.equal(admin.status, 200);
  const lb = (await admin.json()) as { leaderboard: { totals: { battles: number } } };
  assert.equal(lb.leaderboard.totals.battles, 6);
  const rank = await fetch(`${server.url}/api/rank?source=label:${campaign}`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  assert.equal(rank.status, 200);
});
