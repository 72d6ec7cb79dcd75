import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { seedAnswers } from "../../../test/support/labeling-fixture.ts";
import { importAnswers } from "../../judge/answers-import.ts";
import { LabelingService } from "../../labeling/service.ts";
import type { JudgmentRecord } from "../../store/judging.ts";
import { openStore, type SqliteStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { listen } from "../listen.ts";
import { ROUTE_MODULES } from "./index.ts";

const ADMIN = "judgments-admin-token";
const SECRET = ["SECRETPROMPTq1", "SECRETANSWERbig", "SECRETANSWERsmall", "SECRETJUDGERAW"];

let dir: string;
let answersFile: string;
let store: SqliteStore;
let server: { url: string; close(): Promise<void> };

function judgment(set: string, key: string, first: string, second: string, raw: string): JudgmentRecord {
  return {
    key,
    judge: "j",
    kind: "pairwise",
    setName: set,
    promptId: "q1",
    category: "chat",
    answerFirst: first,
    answerSecond: second,
    modelFirst: "big",
    modelSecond: "small",
    verdict: "first",
    score: null,
    parseError: null,
    raw,
    referenceGuided: false,
    judgePromptHash: "h",
  };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mm-judgments-"));
  store = openStore(join(dir, "m.db"));
  // A secret set whose answers were imported from a file on the server, and judged.
  await store.judging.putPromptSet(
    { name: "sec", contentHash: "h", secret: true, canary: null, description: null, origin: null },
    [{ setName: "sec", id: "q1", category: "chat", turns: ["SECRETPROMPTq1"], reference: null, tags: [] }],
  );
  answersFile = join(dir, "answers.jsonl");
  writeFileSync(
    answersFile,
    [
      { question_id: "q1", model_id: "big", choices: [{ turns: ["SECRETANSWERbig"] }] },
      { question_id: "q1", model_id: "small", choices: [{ turns: ["SECRETANSWERsmall"] }] },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n"),
  );
  await importAnswers(store, { file: answersFile, setName: "sec" });
  const [big, small] = (await Promise.all(["big", "small"].map((m) => store.judging.latestAnswers("sec", [m])))).map(
    (a) => a[0]?.key as string,
  ) as [string, string];
  await store.judging.putJudgment(judgment("sec", "k1", big, small, "SECRETJUDGERAW: A is better"));
  // A public set, judged, with answers imported the same way.
  await seedAnswers(store, {
    set: "pub",
    prompts: 1,
    models: ["big", "small"],
    answer: (m) => `public answer of ${m}`,
  });
  await store.judging.putJudgment(judgment("pub", "p1", "pub-q0-big", "pub-q0-small", "public rationale"));
  server = await listen(createApp({ store, adminToken: ADMIN }, ROUTE_MODULES));
});
after(async () => {
  await server.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const get = async (path: string, token?: string) => {
  const r = await fetch(server.url + path, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: r.status, text: await r.text(), cache: r.headers.get("cache-control") };
};

test("a secret set's judgments, prompts, answers and judge output are refused without the admin token", async () => {
  for (const path of ["/api/judgments/sec", "/api/judgments/sec/k1", "/judgments/sec", "/judgments/sec/k1"]) {
    for (const token of [undefined, "wrong-token"]) {
      const r = await get(path, token);
      assert.equal(r.status, 401, `${path}: ${r.text.slice(0, 200)}`);
      for (const s of [...SECRET, dir]) assert.ok(!r.text.includes(s), `${path} shows ${s}`);
      assert.match(r.text, /secret/);
    }
  }
  // The set's name and count are listed, marked as closed, with no link into it.
  const list = await get("/api/judgments");
  assert.deepEqual(JSON.parse(list.text), {
    sets: [
      { set: "pub", judgments: 1, restricted: false },
      { set: "sec", judgments: 1, restricted: true },
    ],
  });
  const runs = await get("/runs");
  assert.ok(!runs.text.includes('href="/judgments/sec"'));
  assert.match(runs.text, /href="\/judgments\/pub"/);
});

test("the admin reads a secret set; nobody is shown where an imported file lives on the server", async () => {
  const r = await get("/api/judgments/sec/k1", ADMIN);
  assert.equal(r.status, 200, r.text);
  for (const s of SECRET) assert.ok(r.text.includes(s), `admin sees ${s}`);
  assert.equal(r.cache, "no-store", "an admin's answer is not for shared caches");
  const d = JSON.parse(r.text) as { first: { params: { imported: string } } };
  assert.equal(d.first.params.imported, "answers.jsonl");
  assert.ok(!r.text.includes(dir), "no absolute server path");
  const page = await get("/judgments/sec/k1", ADMIN);
  assert.equal(page.status, 200);
  assert.ok(page.text.includes("SECRETJUDGERAW") && !page.text.includes(dir));
  // A public set stays public.
  const pub = await get("/api/judgments/pub/p1");
  assert.equal(pub.status, 200);
  assert.match(pub.text, /public answer of big/);
  assert.equal(pub.cache, null);
});

test("a set under a labeling campaign: its answers next to their models are the admin's until then", async () => {
  await seedAnswers(store, {
    set: "lab",
    prompts: 2,
    models: ["big", "small"],
    answer: (m, i) => `lab answer ${i} ${m}`,
  });
  await store.judging.putJudgment({
    ...judgment("lab", "l1", "lab-q0-big", "lab-q0-small", "lab rationale"),
    setName: "lab",
  });
  assert.equal((await get("/api/judgments/lab/l1")).status, 200, "public before any campaign");
  const c = await new LabelingService(store).createCampaign({ name: "Lab", setName: "lab", models: ["big", "small"] });
  for (const path of ["/api/judgments/lab", "/api/judgments/lab/l1", "/judgments/lab/l1"]) {
    const r = await get(path);
    assert.equal(r.status, 401, path);
    assert.ok(!r.text.includes("lab answer"), path);
    assert.match(r.text, new RegExp(`labeled blind \\(campaign ${c.id}\\)`));
  }
  assert.equal((await get("/api/judgments/lab/l1", ADMIN)).status, 200);
});
