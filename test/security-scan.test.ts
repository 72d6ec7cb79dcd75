/**
 * The security scan of issue 19: a store made the way a user makes it (a secret prompt set imported with
 * `--secret`, answers imported from a file on the server, an LLM judge run over it; a public set answered and
 * judged, and a blind `reveal: never` campaign over it with votes), then EVERY route the app registers (read
 * from the hono app's own route list, so a new route is scanned without touching this file; path parameters
 * filled with every real id) and every export, as an anonymous client and as a signed-up labeler.
 *
 * It asserts: no secret-set text (prompts, reference, canary, answers, judge output) and no absolute server
 * path in any answer; no labeler-visible answer maps a campaign answer to its model (answer texts appear only
 * in the labeler's own assignment, which names no model); no labeler-visible answer that changes with the
 * labeler's vote names a campaign model (the de-blinding diff); the campaign's standings are refused.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { openStore, type SqliteStore } from "../src/store/sqlite/index.ts";
import { runCaptured } from "./support/cli.ts";
import { type ScriptedServer, startScriptedChatServer } from "./support/scripted-chat-server.ts";
import { seedWebFixture } from "./support/web-fixture.ts";

const ADMIN = "scan-admin-token";
const BLIND_MODELS = ["quokka-7b", "narwhal-13b", "pangolin-3b"];
/** Every secret-set text carries one of these (the answers, prompts, reference, canary and judge output). */
const SECRET_MARKS = ["SECPROMPT", "SECREF", "SECCANARY", "SECANSWER", "SECJUDGE"];

let dir: string;
let db: string;
let store: SqliteStore;
let server: { url: string; close(): Promise<void> };
let models: ScriptedServer;
let judge: ScriptedServer;
let campaign = "";
let runId = "";

interface Seen {
  who: string;
  method: string;
  path: string;
  status: number;
  text: string;
}

async function cli(args: string[]): Promise<string> {
  const r = await runCaptured(["--db", db, ...args], { cwd: dir });
  assert.equal(r.code, 0, `modelmap ${args.join(" ")}: ${r.err}`);
  return r.out;
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "mm-security-scan-"));
  db = join(dir, "scan.db");
  writeFileSync(
    join(dir, "sec.yaml"),
    `name: sec
canary: "SECCANARY 9f1c-2a7e-4b11-8d3c"
prompts:
  - id: s1
    category: reasoning
    turns: ["SECPROMPT-one: which weighs more, a kilo of feathers or a kilo of lead?"]
    reference: "SECREF-one: the same"
  - id: s2
    category: writing
    turns: ["SECPROMPT-two: write a haiku about rain."]
`,
  );
  writeFileSync(
    join(dir, "sec-answers.jsonl"),
    ["alpha", "beta"]
      .flatMap((m) =>
        ["s1", "s2"].map((q) =>
          JSON.stringify({ question_id: q, model_id: m, choices: [{ turns: [`SECANSWER-${m}-${q} is my answer`] }] }),
        ),
      )
      .join("\n"),
  );
  writeFileSync(
    join(dir, "pub.yaml"),
    `name: pub
prompts:
  - id: p1
    category: chat
    turns: ["Say hello in three languages."]
  - id: p2
    category: chat
    turns: ["Name a prime number above 100."]
`,
  );
  models = await startScriptedChatServer((r) => {
    const q = r.messages.at(-1)?.content ?? "";
    // Each model answers in its own words, which do not include its name.
    return `A public answer to "${q.slice(0, 12)}": PUBANSWER-${BLIND_MODELS.indexOf(r.model) * 7919 + q.length}.`;
  });
  // The judge quotes what it read, as real judges do: its output on the secret set carries secret text.
  judge = await startScriptedChatServer((r) => {
    const t = r.messages.at(-1)?.content ?? "";
    const secret = t.includes("SECPROMPT");
    const quote = /SECANSWER-[a-z]+-s\d/.exec(t)?.[0] ?? "";
    const why = secret ? `SECJUDGE: I read ${quote}.` : "Both are fine.";
    return t.includes("<<<CONVERSATION>>>") ? `${why} Score: 7` : `${why} Verdict: A`;
  });
  await cli(["prompts", "import", join(dir, "sec.yaml"), "--secret"]);
  await cli(["answers", "import", join(dir, "sec-answers.jsonl"), "--prompts", "sec"]);
  await cli(["judge", "--judge", `j@${judge.baseUrl}`, "--prompts", "sec", "--models", "alpha,beta"]);
  await cli(["prompts", "import", join(dir, "pub.yaml")]);
  await cli(["generate", "--models", BLIND_MODELS.map((m) => `${m}@${models.baseUrl}`).join(","), "--prompts", "pub"]);
  await cli(["judge", "--judge", `j@${judge.baseUrl}`, "--prompts", "pub", "--models", BLIND_MODELS.join(",")]);
  const created = await cli([
    "label",
    "create",
    "--name",
    "Blind",
    "--prompts",
    "pub",
    "--models",
    BLIND_MODELS.join(","),
    "--reveal",
    "never",
    "--per-labeler",
    "4",
    "--gold-rate",
    "0",
  ]);
  campaign = /created campaign (\S+):/.exec(created)?.[1] ?? "";
  assert.ok(campaign);
  store = openStore(db);
  runId = (await seedWebFixture(store)).runId;
  server = await listen(createApp({ store, adminToken: ADMIN }, ROUTE_MODULES));
});

after(async () => {
  await server?.close();
  await store?.close();
  await models?.close();
  await judge?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

class Client {
  cookie = new Map<string, string>();
  csrf = "";
  constructor(
    readonly who: string,
    readonly extra: Record<string, string> = {},
  ) {}
  async req(method: string, path: string, body?: string): Promise<Seen> {
    const headers: Record<string, string> = { ...this.extra };
    if (this.cookie.size) headers.cookie = [...this.cookie].map(([k, v]) => `${k}=${v}`).join("; ");
    if (this.csrf) headers["x-csrf-token"] = this.csrf;
    if (body !== undefined) headers["content-type"] = "application/json";
    const r = await fetch(server.url + path, {
      method,
      headers,
      redirect: "manual",
      ...(body !== undefined ? { body } : {}),
    });
    for (const sc of r.headers.getSetCookie()) {
      const kv = sc.split(";")[0] as string;
      this.cookie.set(kv.slice(0, kv.indexOf("=")), kv.slice(kv.indexOf("=") + 1));
    }
    const text = `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n\n${await r.text()}`;
    return { who: this.who, method, path, status: r.status, text };
  }
}

async function signUp(): Promise<Client> {
  const c = new Client("labeler");
  const page = await c.req("GET", "/label");
  c.csrf = /name="csrf-token" content="([^"]*)"/.exec(page.text)?.[1] ?? "";
  const r = await c.req("POST", "/api/label/signup", "{}");
  assert.equal(r.status, 200, r.text);
  c.csrf = (JSON.parse(r.text.slice(r.text.indexOf("\n\n") + 2)) as { csrf: string }).csrf;
  return c;
}

const bodyOf = (s: Seen) => s.text.slice(s.text.indexOf("\n\n") + 2);

/** Every request path of the app: each registered route with its parameters filled with every real value. */
async function allPaths(): Promise<Array<{ method: string; path: string }>> {
  const app = createApp({ store, adminToken: ADMIN }, ROUTE_MODULES);
  const routes = [...new Map(app.routes.filter((r) => r.method !== "ALL").map((r) => [`${r.method} ${r.path}`, r]))];
  const judgmentKeys = (await store.judging.judgments({})).map((j) => j.key);
  const ids = [campaign, runId, ...BLIND_MODELS, "alpha", "acme/alpha-7b"];
  const values: Record<string, string[]> = {
    set: ["sec", "pub"],
    name: ["sec", "pub"],
    key: judgmentKeys,
    campaign: [campaign],
    id: ids,
    task: ["tiny-math"],
    doc: ["0"],
    category: ["chat", "math"],
  };
  // Query strings worth asking on top of the bare path: every vote source and the blind one by name.
  const queries: Record<string, string[]> = {
    "/api/rank": ["", `?source=label:${campaign}`, "?source=judge:sec", "?source=judge:pub"],
    "/api/rank.svg": ["", `?source=label:${campaign}`],
    "/api/search": ["?category=chat", "?category=math"],
    "/search": ["?category=chat"],
    "/api/compare": [`?a=${BLIND_MODELS[0]}&b=${BLIND_MODELS[1]}`, "?a=acme/alpha-7b&b=acme/beta-7b"],
    "/compare": [`?a=${BLIND_MODELS[0]}&b=${BLIND_MODELS[1]}`],
    "/api/map": ["", "?q=quokka"],
    "/api/checks/contamination": ["", `?model=${BLIND_MODELS[0]}`],
  };
  const out: Array<{ method: string; path: string }> = [];
  for (const [, r] of routes) {
    let paths = [r.path];
    for (const m of r.path.matchAll(/:([a-z]+)(\{[^}]*\})?/g)) {
      const vs = values[m[1] as string];
      assert.ok(vs, `no values to fill parameter '${m[1]}' of ${r.path}: add them to the scan`);
      paths = paths.flatMap((p) => vs.map((v) => p.replace(m[0], encodeURIComponent(v).replace(/%2F/g, "/"))));
    }
    for (const p of paths) for (const q of queries[r.path] ?? [""]) out.push({ method: r.method, path: p + q });
  }
  return out;
}

async function walk(c: Client): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (const { method, path } of await allPaths()) {
    // Writes are sent with an empty body: the scan reads what a refusal or a validation error shows.
    seen.push(await c.req(method, path, method === "GET" ? undefined : "{}"));
  }
  return seen;
}

async function secretTexts(): Promise<string[]> {
  const texts = new Set<string>(SECRET_MARKS);
  for (const p of await store.judging.promptItems("sec")) for (const t of p.turns) texts.add(t);
  for (const a of await store.judging.latestAnswers("sec", ["alpha", "beta"])) for (const o of a.outputs) texts.add(o);
  for (const j of await store.judging.judgments({ setName: "sec" })) texts.add(j.raw.slice(0, 40));
  return [...texts];
}

async function campaignAnswers(): Promise<string[]> {
  return (await store.judging.latestAnswers("pub", BLIND_MODELS)).flatMap((a) => a.outputs.map((o) => o.slice(-30)));
}

test("security scan: no secret-set text, no server path and no blind model identity on any route", async () => {
  const anon = new Client("anonymous");
  const labeler = await signUp();
  // The labeler votes on all but their last pair; the scan diffs every page around the last vote.
  const own: Seen[] = [];
  for (let i = 0; i < 3; i++) {
    const next = await labeler.req("GET", `/api/label/${campaign}/next`);
    own.push(next);
    const id = (JSON.parse(bodyOf(next)) as { assignmentId: string }).assignmentId;
    own.push(
      await labeler.req("POST", `/api/label/${campaign}/vote`, JSON.stringify({ assignmentId: id, choice: "left" })),
    );
  }
  const last = await labeler.req("GET", `/api/label/${campaign}/next`);
  own.push(last);

  const seen = [...(await walk(anon)), ...(await walk(labeler))];
  const routes = new Set((await allPaths()).map((p) => p.path));
  assert.ok(routes.size > 150, `only ${routes.size} paths scanned`);
  const beforeVote = await walk(labeler);
  const lastId = (JSON.parse(bodyOf(last)) as { assignmentId: string }).assignmentId;
  own.push(
    await labeler.req("POST", `/api/label/${campaign}/vote`, JSON.stringify({ assignmentId: lastId, choice: "left" })),
  );
  const afterVote = await walk(labeler);
  seen.push(...beforeVote, ...afterVote);
  assert.equal(await store.votes.count({ sources: [`label:${campaign}`] }), 4);

  const leaks: string[] = [];
  const secret = await secretTexts();
  for (const s of [...seen, ...own]) {
    for (const t of [...secret, dir]) if (s.text.includes(t)) leaks.push(`${s.who} ${s.method} ${s.path}: '${t}'`);
  }
  // A campaign answer's text appears only in the labeler's own assignment; that names no model.
  const answers = await campaignAnswers();
  assert.ok(answers.length >= 6);
  for (const s of seen)
    for (const a of answers) if (s.text.includes(a)) leaks.push(`${s.who} ${s.path}: answer text '${a}'`);
  for (const s of own) for (const m of BLIND_MODELS) if (s.text.includes(m)) leaks.push(`own ${s.path}: model ${m}`);
  // Whatever changed with the labeler's vote must not name a campaign model (else diffing de-blinds the vote).
  for (const [i, b] of beforeVote.entries()) {
    const a = afterVote[i] as Seen;
    if (bodyOf(a) === bodyOf(b)) continue;
    for (const m of BLIND_MODELS) if (bodyOf(a).includes(m)) leaks.push(`changed with the vote: ${a.path} names ${m}`);
  }
  for (const s of seen.filter(
    (x) => x.path.includes(`/label/${campaign}/leaderboard`) || x.path.includes(`label:${campaign}`),
  ))
    if (s.status === 200) leaks.push(`${s.who} ${s.path}: blind standings answered 200`);
  assert.deepEqual(leaks, []);

  // The scan sees real content, not a wall of errors: public pages answer, the secret ones are refused.
  const status = (who: string, path: string) => seen.find((s) => s.who === who && s.path === path)?.status;
  assert.equal(status("anonymous", "/map"), 200);
  assert.equal(status("anonymous", `/runs/${runId}`), 200);
  assert.equal(status("anonymous", "/api/rank?source=judge:sec"), 200, "a secret set's aggregates stay public");
  assert.equal(status("anonymous", "/api/judgments/sec"), 401);
  assert.equal(status("labeler", `/label/${campaign}`), 200);
  assert.equal(status("labeler", `/api/label/${campaign}/leaderboard`), 401);
});

test("the admin reads the secret set and the blind standings, and is never shown a server path", async () => {
  const admin = new Client("admin", { authorization: `Bearer ${ADMIN}` });
  const seen = await walk(admin);
  const at = (path: string) => seen.find((s) => s.path === path) as Seen;
  assert.equal(at("/api/judgments/sec").status, 200);
  assert.match(at("/api/judgments/sec").text, /SECJUDGE/);
  assert.equal(at(`/api/label/${campaign}/leaderboard`).status, 200);
  for (const m of BLIND_MODELS) assert.match(at(`/api/label/${campaign}/leaderboard`).text, new RegExp(m));
  const paths = seen.filter((s) => s.text.includes(dir)).map((s) => s.path);
  assert.deepEqual(paths, [], "absolute server paths");
  const detail = seen.find((s) => s.path.startsWith("/api/judgments/sec/") && s.status === 200) as Seen;
  assert.match(detail.text, /"imported":"sec-answers\.jsonl"/);
});

test("exports carry no secret-set text and no server path", async () => {
  const out = join(dir, "exports");
  const files: Record<string, string> = {};
  files["votes export"] = await cli(["votes", "export"]);
  files["label export"] = await cli(["label", "export", campaign]);
  files["label quality"] = await cli(["label", "quality", campaign, "--json"]);
  await cli(["votes", "export", "--out", `${out}-votes.jsonl`]);
  files["votes export --out"] = readFileSync(`${out}-votes.jsonl`, "utf8");
  await cli(["label", "export", campaign, "--out", `${out}-battles.json`]);
  files["label export --out"] = readFileSync(`${out}-battles.json`, "utf8");
  const admin = new Client("admin", { authorization: `Bearer ${ADMIN}` });
  files["GET export"] = (await admin.req("GET", `/api/admin/labeling/campaigns/${campaign}/export`)).text;
  const leaks: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    assert.ok(text.length > 10, `${name} is empty`);
    for (const t of [...(await secretTexts()), dir]) if (text.includes(t)) leaks.push(`${name}: '${t}'`);
  }
  assert.deepEqual(leaks, []);
  // The exports are real: the judge's votes on the secret set are there, as aggregates without their text.
  assert.match(files["votes export"] as string, /"source":"judge:sec"/);
  assert.equal((JSON.parse(files["label export"] as string) as unknown[]).length, 4);
});

test("map sync keeps the blind campaign's votes off the public map", async () => {
  await cli(["map", "sync"]);
  const anon = new Client("anonymous");
  for (const path of ["/api/map", "/arena", "/map"]) {
    const r = await anon.req("GET", path);
    assert.equal(r.status, 200, path);
    assert.ok(!r.text.includes(`label:${campaign}`), `${path} shows the blind campaign's ratings`);
  }
  assert.deepEqual(
    (await store.capmap.evidence({})).filter((e) => e.metric.startsWith(`label:${campaign}`)),
    [],
    "blind votes reached the map",
  );
});
