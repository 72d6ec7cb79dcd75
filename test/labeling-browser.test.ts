/**
 * The labeling pages in real headless Chromium (Debian's /usr/bin/chromium through playwright-core):
 * hostile model output stays inert, and a labeler signs up, votes on five pairs with the keyboard and
 * sees the leaderboard reflect the votes.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { collect } from "../src/core/iter.ts";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { labelingRoutes } from "../src/http/routes/labeling.ts";
import { LabelingService } from "../src/labeling/service.ts";
import { openStore, type SqliteStore } from "../src/store/sqlite/index.ts";
import { launchChromium } from "./support/chromium.ts";
import { seedAnswers } from "./support/labeling-fixture.ts";

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let store: SqliteStore;

/** The page's requests to the campaign's labeling API from now on, as "METHOD /path" below the campaign. */
function labelingCalls(page: Page, campaignId: string): string[] {
  const calls: string[] = [];
  const base = `/api/label/${campaignId}`;
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith(`${base}/`)) calls.push(`${r.method()} ${path.slice(base.length)}`);
  });
  return calls;
}

const HOSTILE = [
  "<script>window.__pwned = 1</script>",
  '<img src=x onerror="window.__pwned = 2">',
  "[click me](javascript:window.__pwned=3)",
  '<a id="evil" href="javascript:window.__pwned=4">evil link</a>',
  '<iframe srcdoc="<script>parent.__pwned=5</script>"></iframe>',
  '<svg onload="window.__pwned=6"></svg>',
  "![tracker](http://127.0.0.1:9/track.png)",
  '<style>body{display:none}</style><form action="http://127.0.0.1:9/x"><button id="go">go</button></form>',
  '"><script>window.__pwned=7</script>',
  "```\n</code></pre><script>window.__pwned=8</script>\n```",
].join("\n\n");

before(async () => {
  store = openStore(":memory:");
  await seedAnswers(store, {
    set: "hostile",
    prompts: 2,
    models: ["model-x", "model-y"],
    answer: (m) => `${m === "model-x" ? "# Heading\n\n**bold**\n\n" : ""}${HOSTILE}`,
    prompt: () => `Please answer. ${HOSTILE}`,
  });
  const rank: Record<string, number> = { "top-model": 3, "mid-model": 2, "low-model": 1 };
  await seedAnswers(store, {
    set: "e2e",
    prompts: 10,
    models: Object.keys(rank),
    answer: (m, i) => `Answer to ${i}. Quality marker rank-${rank[m]}.`,
  });
  const app = createApp({ store, adminToken: "t" }, [labelingRoutes()]);
  server = await listen(app);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
});

test("hostile model output stays inert in Chromium: no script, no handler, no navigation, no foreign request", async () => {
  const svc = new LabelingService(store);
  const c = await svc.createCampaign({
    name: "Hostile",
    setName: "hostile",
    models: ["model-x", "model-y"],
    perLabeler: 2,
    goldRate: 0,
  });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const dialogs: string[] = [];
  const requests: string[] = [];
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(`${server.url}/label?next=/label/${c.id}`);
  await page.click("#start");
  await page.waitForURL(`${server.url}/label/${c.id}`);
  await page.waitForFunction(() => document.body.dataset.state === "ready");
  // A string, not a function: tsx would wrap inner functions in a helper the page does not have.
  const state = (await page.evaluate(`(() => {
    const inAnswers = (sel) => document.querySelectorAll("#prompt " + sel + ", #left " + sel + ", #right " + sel).length;
    return {
      pwned: window.__pwned,
      scripts: inAnswers("script"), imgs: inAnswers("img"), iframes: inAnswers("iframe"), svgs: inAnswers("svg"),
      links: inAnswers("a"), forms: inAnswers("form"), styles: inAnswers("style"),
      attrs: [...document.querySelectorAll("#prompt .turn *, #left *, #right *")].flatMap((e) => e.getAttributeNames()),
      leftText: document.getElementById("left").textContent,
      bold: document.querySelectorAll("#left strong, #right strong").length,
      visible: getComputedStyle(document.body).display,
    };
  })()`)) as {
    pwned: unknown;
    scripts: number;
    imgs: number;
    iframes: number;
    svgs: number;
    links: number;
    forms: number;
    styles: number;
    attrs: string[];
    leftText: string;
    bold: number;
    visible: string;
  };
  assert.equal(state.pwned, undefined, "no payload ran");
  assert.deepEqual(
    [state.scripts, state.imgs, state.iframes, state.svgs, state.links, state.forms, state.styles],
    [0, 0, 0, 0, 0, 0, 0],
  );
  assert.deepEqual(state.attrs, [], "no element in model output has any attribute");
  assert.match(state.leftText, /<script>window.__pwned = 1<\/script>/, "payloads are shown as text");
  assert.ok(state.bold >= 1, "markdown still renders (bold)");
  assert.notEqual(state.visible, "none");
  // Clicking where the link text is must not navigate.
  await page.getByText("evil link").first().click();
  await page.getByText("click me").first().click();
  assert.equal(page.url(), `${server.url}/label/${c.id}`);
  await page.keyboard.press("a");
  // The campaign reveals models: the voted pair stays, with its names, until "Next pair" (N).
  await page.waitForFunction(() => document.body.dataset.state === "revealed");
  await page.keyboard.press("n");
  await page.waitForFunction(() => document.body.dataset.index === "2");
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.deepEqual(dialogs, []);
  const foreign = requests.filter((u) => !u.startsWith(server.url));
  assert.deepEqual(foreign, [], "no request leaves the origin");
  const paths = requests.map((u) => new URL(u).pathname);
  assert.ok(
    paths.every((p) => p.startsWith("/label") || p.startsWith("/api/label/") || p.startsWith("/assets/label")),
    `unexpected requests: ${paths}`,
  );
  await ctx.close();
});

test("end to end: sign up, vote on five pairs with the keyboard, the leaderboard reflects the votes", async () => {
  const svc = new LabelingService(store);
  const c = await svc.createCampaign({
    name: "E2E",
    setName: "e2e",
    models: ["top-model", "mid-model", "low-model"],
    perLabeler: 5,
    goldRate: 0,
  });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const apiCalls = labelingCalls(page, c.id);
  await page.goto(`${server.url}/label/${c.id}`);
  await page.waitForURL(/\/label\?next=/);
  await page.fill('input[name="language"]', "en");
  await page.fill('input[name="expertise"]', "testing");
  await page.fill('input[name="region"]', "EU");
  await page.click("#start");
  await page.waitForURL(`${server.url}/label/${c.id}`);
  const reveals: string[] = [];
  for (let n = 1; n <= 5; n++) {
    await page.waitForFunction(
      (i) => document.body.dataset.state === "ready" && document.body.dataset.index === String(i),
      n,
    );
    const [left, right] = await page.evaluate(() => [
      document.getElementById("left")?.textContent ?? "",
      document.getElementById("right")?.textContent ?? "",
    ]);
    const rank = (s: string) => Number(/rank-(\d)/.exec(s)?.[1]);
    await page.keyboard.press(rank(left) > rank(right) ? "a" : "b");
    // The names are shown with the pair they belong to (issue 18: they used to appear under the next pair).
    await page.waitForFunction(() => document.body.dataset.state === "revealed");
    reveals.push((await page.textContent("#reveal")) ?? "");
    assert.match((await page.textContent("#who-left")) ?? "", /\((top|mid|low)-model\)/);
    assert.equal(await page.textContent("#left"), left, "the voted pair is still on the page");
    await page.keyboard.press("n");
    await page.waitForFunction(
      (i) => document.body.dataset.index !== String(i) || document.body.dataset.state === "done",
      n,
    );
    if (n < 5) {
      await page.waitForFunction(() => document.body.dataset.state === "ready");
      assert.equal(await page.isHidden("#reveal"), true, "no names under the next pair");
      assert.equal(await page.textContent("#who-left"), "");
      assert.equal(await page.textContent("#who-right"), "");
    }
  }
  await page.waitForFunction(() => document.body.dataset.state === "done");
  assert.ok(
    reveals.every((r) => /Answer A was (top|mid|low)-model; answer B was (top|mid|low)-model\./.test(r)),
    reveals.join("|"),
  );
  assert.equal(await store.votes.count({ sources: [`label:${c.id}`] }), 5);
  // One request per vote: each vote's answer carries the next pair, shown on "Next pair" without a request.
  assert.deepEqual(apiCalls, ["GET /next", ...Array(5).fill("POST /vote")]);

  await page.goto(`${server.url}/label/${c.id}/leaderboard`);
  assert.equal(await page.textContent("#votes"), "5 votes");
  const rows = await page.$$eval("#board tbody tr", (trs) =>
    trs.map((tr) => ({
      model: tr.querySelector(".model")?.textContent ?? "",
      battles: Number(tr.querySelector(".battles")?.textContent ?? "0"),
    })),
  );
  assert.equal(
    rows.reduce((s, r) => s + r.battles, 0),
    10,
    "each of the 5 votes counts for two models",
  );
  const votes = await collect(store.votes.iterate({ sources: [`label:${c.id}`] }));
  const winners = new Set(votes.map((v) => (v.winner === "model_a" ? v.modelA : v.modelB)));
  assert.ok(!winners.has("low-model"), "the labeler never picked the worst answer");
  if (rows.some((r) => r.model === "top-model")) assert.equal(rows[0]?.model, "top-model", JSON.stringify(rows));
  assert.equal(rows[rows.length - 1]?.model === "top-model", false);
  await ctx.close();
});

test("a campaign that never reveals: each vote's answer brings the next pair, shown at once, one request per vote", async () => {
  const svc = new LabelingService(store);
  const c = await svc.createCampaign({
    name: "Blind",
    setName: "e2e",
    models: ["top-model", "mid-model", "low-model"],
    perLabeler: 3,
    goldRate: 0,
    reveal: "never",
  });
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const apiCalls = labelingCalls(page, c.id);
  await page.goto(`${server.url}/label/${c.id}`);
  await page.waitForURL(/\/label\?next=/);
  await page.click("#start");
  await page.waitForURL(`${server.url}/label/${c.id}`);
  const pairs: string[] = [];
  for (let n = 1; n <= 3; n++) {
    await page.waitForFunction(
      (i) => document.body.dataset.state === "ready" && document.body.dataset.index === String(i),
      n,
    );
    pairs.push(`${await page.textContent("#left")}|${await page.textContent("#right")}`);
    assert.equal(await page.isHidden("#reveal"), true, "no names, ever");
    await page.keyboard.press(n % 2 ? "a" : "t");
  }
  await page.waitForFunction(() => document.body.dataset.state === "done");
  assert.equal(new Set(pairs).size, 3, "three different pairs were shown");
  assert.equal(await page.textContent("#who-left"), "");
  assert.equal(await store.votes.count({ sources: [`label:${c.id}`] }), 3);
  assert.deepEqual(apiCalls, ["GET /next", "POST /vote", "POST /vote", "POST /vote"]);
  await ctx.close();
});

test("admin page opens without the form for a request that brings the token as Authorization: Bearer", async () => {
  const ctx = await browser.newContext({ extraHTTPHeaders: { authorization: "Bearer t" } });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/admin/labeling`);
  await page.waitForSelector("#admin:not([hidden])");
  assert.equal(await page.isHidden("#login"), true, "no token form");
  assert.ok((await page.$$eval("#campaigns tbody tr", (trs) => trs.length)) >= 1);
  assert.equal(await page.locator("header nav").count(), 1, "the admin page has the site navigation");
  await ctx.close();
});

test("admin page: closed without the token; with it, lists campaigns, creates one and shows quality", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(`${server.url}/admin/labeling`);
  await page.fill('input[name="token"]', "wrong");
  await page.click("#login button");
  await page.waitForFunction(() => (document.getElementById("status")?.textContent ?? "") !== "");
  assert.match((await page.textContent("#status")) ?? "", /admin token required/);
  assert.equal(await page.isHidden("#admin"), true);
  await page.fill('input[name="token"]', "t");
  await page.click("#login button");
  await page.waitForSelector("#admin:not([hidden])");
  const before = await page.$$eval("#campaigns tbody tr", (trs) => trs.length);
  assert.ok(before >= 1);
  await page.fill('#create input[name="name"]', "From the admin page");
  await page.fill('#create input[name="set"]', "e2e");
  await page.fill('#create input[name="models"]', "top-model, low-model");
  await page.click("#create button");
  await page.waitForFunction((n) => document.querySelectorAll("#campaigns tbody tr").length === n + 1, before);
  const ids = await page.$$eval("#campaigns tbody tr td:first-child", (tds) => tds.map((t) => t.textContent ?? ""));
  assert.ok(
    ids.some((id) => id.startsWith("from-the-admin-page-")),
    ids.join(","),
  );
  await page.locator("#campaigns tbody tr", { hasText: "e2e" }).first().getByText("quality").click();
  await page.waitForFunction(() => (document.getElementById("quality")?.textContent ?? "").includes("labelers"));
  await ctx.close();
});
