import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { seedAnswers } from "../../../test/support/labeling-fixture.ts";
import type { SqliteStore } from "../../store/sqlite/index.ts";
import { openStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { listen } from "../listen.ts";
import { labelingRoutes } from "./labeling.ts";

const MODELS = ["zephyrquill-7b", "marmotlens-13b"];
const ADMIN = "s3cret-admin-token-for-tests";
const SECRET_PROMPT = "TOP-SECRET-PROMPT-TEXT";

let store: SqliteStore;
let server: { url: string; close(): Promise<void> };
let campaignId = "";

/** A tiny browser: keeps cookies, records every response (status, headers, body) for the blindness scan. */
class Client {
  cookies = new Map<string, string>();
  seen: string[] = [];
  async req(
    path: string,
    init: RequestInit = {},
  ): Promise<{ status: number; text: string; headers: Headers; json(): unknown }> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const r = await fetch(server.url + path, { ...init, headers, redirect: "manual" });
    for (const sc of r.headers.getSetCookie()) {
      const [kv] = sc.split(";");
      const eq = (kv as string).indexOf("=");
      this.cookies.set((kv as string).slice(0, eq), (kv as string).slice(eq + 1));
    }
    const text = await r.text();
    this.seen.push(`${path}\n${[...r.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${text}`);
    return { status: r.status, text, headers: r.headers, json: () => JSON.parse(text) };
  }
  post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return this.req(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  }
}

const meta = (html: string) => /name="csrf-token" content="([^"]*)"/.exec(html)?.[1] ?? "";

async function signUp(): Promise<{ client: Client; csrf: string }> {
  const client = new Client();
  const page = await client.req("/label");
  const r = await client.post(
    "/api/label/signup",
    { language: "en", expertise: "none", region: "EU" },
    { "x-csrf-token": meta(page.text) },
  );
  assert.equal(r.status, 200, r.text);
  return { client, csrf: (r.json() as { csrf: string }).csrf };
}

before(async () => {
  store = openStore(":memory:");
  await seedAnswers(store, { set: "pub", prompts: 8, models: MODELS });
  await seedAnswers(store, { set: "sec", prompts: 2, models: MODELS, secret: true, prompt: () => SECRET_PROMPT });
  const app = createApp({ store, adminToken: ADMIN }, [labelingRoutes({ labelerRate: 1000, labelerBurst: 1000 })]);
  server = await listen(app);
  const admin = new Client();
  const r = await admin.post(
    "/api/admin/labeling/campaigns",
    { name: "Pub campaign", set: "pub", models: MODELS, perLabeler: 3, goldRate: 0 },
    { authorization: `Bearer ${ADMIN}` },
  );
  assert.equal(r.status, 201, r.text);
  campaignId = (r.json() as { campaign: { id: string } }).campaign.id;
});
after(async () => {
  await server.close();
  await store.close();
});

test("admin routes are closed without the token, and closed entirely when the server has none", async () => {
  const c = new Client();
  for (const path of [
    "/api/admin/labeling/campaigns",
    `/api/admin/labeling/campaigns/${campaignId}/export`,
    "/api/admin/labeling/sets/sec/prompts",
  ]) {
    assert.equal((await c.req(path)).status, 401, path);
    assert.equal((await c.req(path, { headers: { authorization: "Bearer wrong" } })).status, 401, path);
  }
  assert.equal((await c.post("/api/admin/labeling/campaigns", { name: "x", set: "pub", models: MODELS })).status, 401);
  const closedApp = createApp({ store }, [labelingRoutes()]);
  const res = await closedApp.request("/api/admin/labeling/campaigns", { headers: { authorization: "Bearer " } });
  assert.equal(res.status, 401);
  assert.match(await res.text(), /closed/);
  const ok = await c.req("/api/admin/labeling/sets/sec/prompts", { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.equal(ok.status, 200);
  assert.match(ok.text, new RegExp(SECRET_PROMPT), "admins see secret prompts");
  const secretCampaign = await c.post(
    "/api/admin/labeling/campaigns",
    { name: "s", set: "sec", models: MODELS },
    { authorization: `Bearer ${ADMIN}` },
  );
  assert.equal(secretCampaign.status, 409);
});

test("sign-up: CSRF required, session cookie HttpOnly and SameSite=Strict", async () => {
  const c = new Client();
  const page = await c.req("/label");
  assert.equal(page.status, 200);
  assert.equal((await c.post("/api/label/signup", {})).status, 401, "no CSRF header");
  assert.equal((await c.post("/api/label/signup", {}, { "x-csrf-token": "forged" })).status, 401);
  const r = await c.req("/api/label/signup", {
    method: "POST",
    headers: { "content-type": "application/json", "x-csrf-token": meta(page.text), origin: "http://evil.example" },
    body: "{}",
  });
  assert.equal(r.status, 403, "cross-origin refused (by the app-wide origin policy)");
  const ok = await c.post("/api/label/signup", { language: "de" }, { "x-csrf-token": meta(page.text) });
  assert.equal(ok.status, 200);
  const sc = ok.headers.getSetCookie().find((s) => s.startsWith("mm_session="));
  assert.ok(sc && /HttpOnly/i.test(sc) && /SameSite=Strict/i.test(sc), sc);
  assert.equal((await c.post("/api/label/signup", { bogus: 1 }, { "x-csrf-token": meta(page.text) })).status, 400);
});

test("blindness: nothing a labeler receives before voting names a model; votes reveal after, once", async () => {
  const { client, csrf } = await signUp();
  const page = await client.req(`/label/${campaignId}`);
  assert.equal(page.status, 200);
  const js = await client.req("/assets/label.js");
  assert.equal(js.status, 200);
  const nextRes = await client.req(`/api/label/${campaignId}/next`);
  const next = nextRes.json() as { assignmentId: string; left: string[]; right: string[] };
  const answerKeys = (await store.judging.latestAnswers("pub", MODELS)).map((a) => a.key);
  for (const blob of client.seen) {
    for (const m of [...MODELS, "zephyrquill", "marmotlens"])
      assert.ok(!blob.includes(m), `a response before the vote names ${m}`);
    for (const k of answerKeys) assert.ok(!blob.includes(k), "an answer key leaked");
  }
  assert.match(next.assignmentId, /^a_[A-Za-z0-9_-]{16}$/);

  // CSRF and origin on votes.
  const body = { assignmentId: next.assignmentId, choice: "left" };
  assert.equal((await client.post(`/api/label/${campaignId}/vote`, body)).status, 401);
  assert.equal((await client.post(`/api/label/${campaignId}/vote`, body, { "x-csrf-token": "nope" })).status, 401);
  const before = await store.votes.count({ sources: [`label:${campaignId}`] });
  const v1 = await client.post(`/api/label/${campaignId}/vote`, body, { "x-csrf-token": csrf });
  assert.equal(v1.status, 200, v1.text);
  const r1 = v1.json() as { status: string; reveal: { left: string; right: string } };
  assert.equal(r1.status, "recorded");
  assert.ok(MODELS.includes(r1.reveal.left) && MODELS.includes(r1.reveal.right));
  const v2 = await client.post(`/api/label/${campaignId}/vote`, body, { "x-csrf-token": csrf });
  assert.equal((v2.json() as { status: string }).status, "duplicate", "a retry is acknowledged, not counted");
  assert.equal(await store.votes.count({ sources: [`label:${campaignId}`] }), before + 1);
  const v3 = await client.post(`/api/label/${campaignId}/vote`, { ...body, choice: "right" }, { "x-csrf-token": csrf });
  assert.equal(v3.status, 409);
  // Another labeler cannot vote on this assignment.
  const other = await signUp();
  const v4 = await other.client.post(`/api/label/${campaignId}/vote`, body, { "x-csrf-token": other.csrf });
  assert.equal(v4.status, 404);
  // Not signed in: no pair.
  assert.equal((await new Client().req(`/api/label/${campaignId}/next`)).status, 401);
});

test("K per labeler, then done; leaderboard and export reflect the votes; secret prompts never public", async () => {
  const { client, csrf } = await signUp();
  const ids = new Set<string>();
  for (;;) {
    const n = (await client.req(`/api/label/${campaignId}/next`)).json() as { done: boolean; assignmentId: string };
    if (n.done) break;
    ids.add(n.assignmentId);
    await client.post(
      `/api/label/${campaignId}/vote`,
      { assignmentId: n.assignmentId, choice: "tie" },
      { "x-csrf-token": csrf },
    );
  }
  assert.equal(ids.size, 3, "K = 3");
  const lb = await client.req(`/api/label/${campaignId}/leaderboard`);
  assert.equal(lb.status, 200);
  const models = (lb.json() as { leaderboard: { models: Array<{ model: string }> } }).leaderboard.models.map(
    (m) => m.model,
  );
  assert.deepEqual(models.sort(), [...MODELS].sort());
  const html = await client.req(`/label/${campaignId}/leaderboard`);
  assert.match(html.text, /<td class="model">zephyrquill-7b<\/td>/);
  for (const blob of client.seen) assert.ok(!blob.includes(SECRET_PROMPT), "secret prompt served to a non-admin");
  const exp = await client.req(`/api/admin/labeling/campaigns/${campaignId}/export`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  const battles = (exp.json() as { battles: Array<{ winner: string; model_a: string }> }).battles;
  assert.equal(battles.length, await store.votes.count({ sources: [`label:${campaignId}`] }));
  assert.ok(battles.some((b) => b.winner === "tie"));
  const q = await client.req(`/api/admin/labeling/campaigns/${campaignId}/quality`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  assert.equal(q.status, 200);
});

test("a vote with next: true answers with the next pair (the web page's flow); the last one with done", async () => {
  const { client, csrf } = await signUp();
  const first = (await client.req(`/api/label/${campaignId}/next`)).json() as { done: boolean; assignmentId: string };
  assert.equal(first.done, false);
  const ids = [first.assignmentId];
  let current = first;
  for (let i = 0; i < 5 && !current.done; i++) {
    const r = await client.post(
      `/api/label/${campaignId}/vote`,
      { assignmentId: current.assignmentId, choice: "left", next: true },
      { "x-csrf-token": csrf },
    );
    assert.equal(r.status, 200, r.text);
    const body = r.json() as {
      status: string;
      reveal: { left: string; right: string };
      next: { done: boolean; assignmentId: string; index: number; of: number; left: string[]; right: string[] };
    };
    assert.equal(body.status, "recorded");
    assert.ok(MODELS.includes(body.reveal.left), "the voted pair is revealed");
    if (!body.next.done) {
      assert.equal(body.next.index, ids.length + 1);
      assert.equal(body.next.of, 3);
      assert.ok(body.next.left.length > 0 && body.next.right.length > 0);
      for (const m of MODELS) assert.ok(!JSON.stringify(body.next).includes(m), `the next pair names ${m}`);
      ids.push(body.next.assignmentId);
    }
    current = body.next;
  }
  assert.equal(current.done, true, "done after K = 3 votes");
  assert.equal(new Set(ids).size, 3);
  // The same vote again is acknowledged again and carries the labeler's state (done), storing nothing.
  const before = await store.votes.count({ sources: [`label:${campaignId}`] });
  const again = await client.post(
    `/api/label/${campaignId}/vote`,
    { assignmentId: ids[2], choice: "left", next: true },
    { "x-csrf-token": csrf },
  );
  assert.deepEqual((again.json() as { status: string; next: unknown }).next, { done: true });
  assert.equal((again.json() as { status: string }).status, "duplicate");
  assert.equal(await store.votes.count({ sources: [`label:${campaignId}`] }), before);
  // Without next, no pair comes back (the old answer).
  const plain = await client.post(
    `/api/label/${campaignId}/vote`,
    { assignmentId: ids[2], choice: "left" },
    { "x-csrf-token": csrf },
  );
  assert.equal((plain.json() as { next?: unknown }).next, undefined);
  const wrong = await client.post(
    `/api/label/${campaignId}/vote`,
    { assignmentId: ids[2], choice: "left", next: "yes" },
    { "x-csrf-token": csrf },
  );
  assert.equal(wrong.status, 400, "next must be a boolean");
});

test("rate limits: sign-ups per address and requests per labeler", async () => {
  const app = createApp({ store, adminToken: ADMIN }, [
    labelingRoutes({ labelerRate: 0.001, labelerBurst: 3, signupsPerMinute: 2 }),
  ]);
  const s = await listen(app);
  try {
    const page = await fetch(`${s.url}/label`);
    const pre = page.headers.getSetCookie()[0]?.split(";")[0] as string;
    const csrf = meta(await page.text());
    const signup = async () =>
      fetch(`${s.url}/api/label/signup`, {
        method: "POST",
        headers: { cookie: pre, "x-csrf-token": csrf, "content-type": "application/json" },
        body: "{}",
      });
    const r1 = await signup();
    assert.equal(r1.status, 200);
    assert.equal((await signup()).status, 200);
    assert.equal((await signup()).status, 429);
    const session = r1.headers
      .getSetCookie()
      .find((x) => x.startsWith("mm_session="))
      ?.split(";")[0] as string;
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++)
      statuses.push((await fetch(`${s.url}/api/label/${campaignId}/next`, { headers: { cookie: session } })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  } finally {
    await s.close();
  }
});

test("/label lists the campaigns before sign-up (without their models) and links them after; pages carry the site nav", async () => {
  const anon = new Client();
  const page = await anon.req("/label");
  assert.match(page.text, /<table id="campaign-list">/);
  assert.match(page.text, /<td>Pub campaign<\/td><td class="num">3<\/td><td>shown after each vote<\/td>/);
  for (const m of MODELS) assert.ok(!page.text.includes(m), `the list names no model (${m})`);
  assert.match(page.text, /<header><a class="brand" href="\/map">modelmap<\/a><nav>/, "the site shell");
  const { client } = await signUp();
  const list = await client.req("/label");
  assert.match(list.text, new RegExp(`<a href="/label/${campaignId}">Pub campaign</a>`));
  const admin = await anon.req("/admin/labeling");
  assert.match(admin.text, /<form id="login" class="stack">/, "the token form without the header");
  const withToken = await anon.req("/admin/labeling", { headers: { authorization: `Bearer ${ADMIN}` } });
  assert.match(withToken.text, /<form id="login" class="stack" hidden>/);
  assert.match(withToken.text, /data-authorized="1"/);
  const wrong = await anon.req("/admin/labeling", { headers: { authorization: "Bearer nope" } });
  assert.match(wrong.text, /data-authorized=""/);
});
