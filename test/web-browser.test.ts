/**
 * Clicks through every web page in headless Chromium (Debian's /usr/bin/chromium through playwright-core),
 * checks what each shows, and saves screenshots under test-artifacts/ (gitignored).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser, Page } from "playwright-core";
import { importExperiments } from "../src/ab/service.ts";
import { importFile } from "../src/capmap/service.ts";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { metaEvaluate } from "../src/meta/service.ts";
import { runEval } from "../src/runner/run-eval.ts";
import { loadRegistry } from "../src/runner/service.ts";
import { openStore, type SqliteStore } from "../src/store/sqlite/index.ts";
import { launchChromium } from "./support/chromium.ts";
import { ScriptedBackend } from "./support/scripted-backend.ts";
import { ARENA_MERGED, OPEN_LLM_V2, sharedData } from "./support/shared-data.ts";
import { seedWebFixture } from "./support/web-fixture.ts";

const ARTIFACTS = "test-artifacts";

let browser: Browser;
let server: { url: string; close(): Promise<void> };
let store: SqliteStore;
let dir: string;
let runId: string;
const foreign: string[] = [];

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), "modelmap-browser-"));
  store = openStore(join(dir, "web.db"));
  runId = (await seedWebFixture(store)).runId;
  await importFile(store, "arena", sharedData(...ARENA_MERGED));
  server = await listen(createApp({ store }, ROUTE_MODULES), { port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await browser.newPage({ viewport });
  page.on("request", (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

async function nav(page: Page, label: string): Promise<void> {
  await page.click(`header nav a:text-is("${label}")`);
  await page.waitForLoadState("domcontentloaded");
}

test("map, benchmarks and arena pages", async () => {
  const page = await newPage();
  await page.goto(`${server.url}/`);
  assert.equal(await page.textContent("h1"), "Capability map");
  assert.equal(await page.locator("#heatmap svg").count(), 1);
  assert.ok((await page.locator("#heatmap svg a").count()) >= 6, "one linked row per model");
  assert.match((await page.textContent("#scale")) ?? "", /expected win rate/);
  await shot(page, "map");
  await page.click('#heatmap a[href="/map?sort=math"]');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.textContent("main p.muted strong"), "math");
  assert.equal(await page.textContent("#heatmap svg a[href^='/models/'] text"), "acme/delta-70b");

  await nav(page, "Benchmarks");
  assert.equal(await page.textContent("h1"), "Benchmark leaderboard");
  assert.match((await page.textContent("#leaderboard thead")) ?? "", /random 25\.0/);
  await page.click('#leaderboard thead a:has-text("GSM8K")');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.textContent("#leaderboard tbody tr:first-child td:nth-child(2) a"), "acme/delta-70b");
  await page.click('#leaderboard thead a:has-text("GSM8K")'); // toggles to ascending
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.textContent("#leaderboard tbody tr:first-child td:nth-child(2) a"), "acme/epsilon-3b");
  await page.fill('input[name="max_params"]', "7.5");
  await page.check('input[name="exclude_flagged"]');
  await page.click('form.filters button[type="submit"]');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.textContent("#total"), "3");
  await shot(page, "benchmarks");

  await nav(page, "Arena");
  assert.equal(await page.textContent("h1"), "Arena leaderboard");
  await page.click('.pager a:has-text("arena-leaderboard")');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.locator("#chart svg circle").count(), await page.locator("#arena tbody tr").count());
  assert.ok((await page.locator("#arena tbody tr").count()) > 50, "the imported arena table has 58 models");
  assert.match((await page.textContent("#arena")) ?? "", /CohereForAI\/aya-expanse-32b/);
  await shot(page, "arena");
  await page.close();
});

test("search, model page, card and comparison", async () => {
  const page = await newPage();
  await page.goto(`${server.url}/search`);
  await page.selectOption('select[name="category"]', "math");
  await page.fill('input[name="max_params"]', "8");
  await page.fill('input[name="license"]', "apache-2.0");
  await page.click('form.filters button[type="submit"]');
  await page.waitForLoadState("domcontentloaded");
  const tied = (await page.textContent("#tied")) ?? "";
  assert.match(tied, /cannot tell these 2 apart/);
  assert.match(tied, /acme\/alpha-7b/);
  assert.match(tied, /acme\/beta-7b/);
  assert.equal(await page.locator("#results tbody tr").count(), 3);
  await shot(page, "search");

  await page.click('#results a:text-is("acme/alpha-7b")');
  await page.waitForLoadState("domcontentloaded");
  assert.match((await page.textContent("h1")) ?? "", /acme\/alpha-7b/);
  assert.equal(await page.locator("#evidence tbody tr").count(), 4);
  assert.match((await page.textContent("main")) ?? "", /run0fixture0001/);
  await shot(page, "model");

  const card = await page.request.get(`${server.url}${await page.getAttribute("#card-link", "href")}`);
  assert.match(await card.text(), /## Strengths and weaknesses/);

  await page.click('a:has-text("Compare with")');
  await page.waitForLoadState("domcontentloaded");
  await page.fill('input[name="b"]', "acme/gamma-8b");
  await page.click('form.filters button[type="submit"]');
  await page.waitForLoadState("domcontentloaded");
  const math = (await page.textContent('#comparison tr:has(td:text-is("math"))')) ?? "";
  assert.match(math, /A better/);
  await shot(page, "compare");
  await page.close();
});

test("run browser drills down to one sample and one judgment", async () => {
  const page = await newPage();
  await page.goto(`${server.url}/map`);
  await nav(page, "Runs");
  await page.click(`#runs a:text-is("${runId}")`);
  await page.waitForLoadState("domcontentloaded");
  await page.click('#tasks a:text-is("tiny-math")');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.locator("#samples tbody tr").count(), 3);
  await shot(page, "run");
  await page.click('#samples a:text-is("0")');
  await page.waitForLoadState("domcontentloaded");
  assert.match((await page.textContent("#prompt")) ?? "", /<\|im_start\|>user\nWhat is 2\+2\?/);
  assert.match((await page.textContent("#raw")) ?? "", /The answer is 4\. <b>done<\/b>/);
  assert.match((await page.textContent("#extracted")) ?? "", /"strict-match": "4"/);
  assert.match((await page.textContent("#rationale")) ?? "", /Correct final answer/);
  await shot(page, "sample");

  await nav(page, "Runs");
  await page.click('#judged-sets a:text-is("fixture-heldout")');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.locator("#judgments tbody tr").count(), 2);
  await page.click('a[href="/judgments/fixture-heldout/j-pair"]');
  await page.waitForLoadState("domcontentloaded");
  assert.match((await page.textContent("#rationale")) ?? "", /Assistant B lists both dates/);
  assert.equal(await page.textContent("#outcome"), "second");
  await shot(page, "judgment");
  await page.close();
});

test("pages fit a phone screen and make no external requests", async () => {
  const page = await newPage({ width: 375, height: 740 });
  for (const p of ["/map", "/search?category=math", "/benchmarks", "/models/acme/alpha-7b"]) {
    await page.goto(server.url + p);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(
      overflow <= 1,
      `${p} scrolls sideways on a phone by ${overflow}px (wide content must scroll inside .scroll)`,
    );
  }
  await shot(page, "phone-model");
  await page.close();
  assert.deepEqual(foreign, [], "pages requested URLs outside the server");
});

/**
 * A second server over a fuller database: the widest imported table (Open LLM Leaderboard v2, six benchmarks and
 * 4,497 models), a contamination check that flags the best math model, online experiments with a kept
 * meta-evaluation, and two multiple-choice harness runs, so that every page has content to lay out.
 */
let full: { url: string; close(): Promise<void>; store: SqliteStore; runs: [string, string] } | undefined;

async function fullServer() {
  if (full) return full;
  const s = openStore(join(dir, "full.db"));
  await seedWebFixture(s);
  await importFile(s, "arena", sharedData(...ARENA_MERGED));
  await importFile(s, "open-llm-leaderboard", sharedData(...OPEN_LLM_V2));
  await s.checks.put("contamination", "acme/delta-70b", "gsm8k", {
    exchangeability: { pValue: 4.2e-12 },
    flagged: true,
    flaggedItems: [],
    methods: {},
  });
  await importExperiments(s, "fixtures/ab/experiments.jsonl", { bootstrap: 100 });
  await metaEvaluate(s, { signals: ["open-llm-leaderboard-v2"], reference: "arena", bootstrap: 200 });
  const { tasks } = loadRegistry().resolve(["arc_easy"]);
  const run = async (name: string) =>
    (
      await runEval(s, new ScriptedBackend({ name }), {
        modelId: name,
        tasks,
        groups: [],
        dataDir: sharedData(),
        prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1, numFewshot: 0 },
        limit: 30,
      })
    ).runId;
  const runs: [string, string] = [await run("scripted-a"), await run("scripted-b")];
  const srv = await listen(createApp({ store: s, adminToken: "t" }, ROUTE_MODULES), { port: 0 });
  full = {
    url: srv.url,
    runs,
    store: s,
    close: async () => {
      await srv.close();
      await s.close();
    },
  };
  return full;
}

after(async () => {
  await full?.close();
});

test("no page scrolls sideways at 1400 px, and the widest table fits without hiding columns", async () => {
  const f = await fullServer();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const [a, b] = f.runs;
  const judgment = (await f.store.judging.judgments({ setName: "fixture-heldout" }))[0]?.key ?? "";
  const paths = [
    "/map",
    "/map?sort=math",
    "/search?category=math",
    "/search?category=math&exclude_flagged=1",
    "/benchmarks",
    "/benchmarks?source=open-llm-leaderboard-v2&sort=MATH%20Lvl%205",
    "/benchmarks?source=fixture-bench",
    "/arena",
    "/arena?board=1",
    "/models/acme/delta-70b",
    "/cards/acme/delta-70b",
    "/compare?a=acme/alpha-7b&b=acme/delta-70b",
    "/runs",
    `/runs/${a}`,
    `/runs/${a}?task=arc_easy`,
    `/runs/${a}?task=arc_easy&outcome=fail`,
    `/runs/${a}/samples/arc_easy/0`,
    `/runs/compare?a=${a}&b=${b}&task=arc_easy`,
    "/judgments/fixture-heldout",
    `/judgments/fixture-heldout/${judgment}`,
    "/experiments",
    "/experiments/code-assist-02",
    "/signals",
    "/signals/chat",
    "/label",
    "/admin/labeling",
  ];
  const wide: string[] = [];
  for (const p of paths) {
    const res = await page.goto(f.url + p);
    assert.equal(res?.status(), 200, p);
    const o = (await page.evaluate(`(() => ({
      doc: document.documentElement.scrollWidth - window.innerWidth,
      boxes: [...document.querySelectorAll("table")].map((t) => t.getBoundingClientRect().right - window.innerWidth),
    }))()`)) as { doc: number; boxes: number[] };
    if (o.doc > 1) wide.push(`${p}: page ${o.doc}px wider than the window`);
    if (p.startsWith("/benchmarks") && o.boxes.some((x) => x > 1))
      wide.push(`${p}: table ${Math.max(...o.boxes)}px past the window`);
  }
  assert.deepEqual(wide, []);
  // The v2 table shows every column, standard errors included, and sorts by a column's label.
  await page.goto(`${f.url}/benchmarks?source=open-llm-leaderboard-v2&sort=MATH%20Lvl%205`);
  assert.equal(
    await page.locator("#leaderboard thead th").count(),
    11,
    "#, model, params, average, 6 benchmarks, licence",
  );
  assert.match((await page.textContent("#leaderboard thead")) ?? "", /MATH Lvl 5 ▼/);
  assert.ok((await page.locator("#leaderboard tbody .se").count()) >= 6 * 50 - 6, "a standard error under each score");
  await shot(page, "benchmarks-1400");
  await page.goto(`${f.url}/benchmarks?sort=no-such-column`);
  assert.match((await page.textContent("#sort-note")) ?? "", /cannot sort by 'no-such-column'/);
  await page.close();
  assert.deepEqual(foreign, [], "pages requested URLs outside the server");
});

test("a flagged score is demoted in the browser: search, hide flagged, the map and the model page", async () => {
  const f = await fullServer();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${f.url}/search?category=math&min_params=70&max_params=70&license=llama3&top=200`);
  const rows = await page.$$eval("#results tbody tr td:nth-child(2) a", (as) => as.map((x) => x.textContent));
  assert.equal(rows.at(-1), "acme/delta-70b", "listed last");
  assert.match(
    (await page.textContent("#demoted")) ?? "",
    /acme\/delta-70b: contamination check flagged gsm8k \(p = 4\.2e-12\)/,
  );
  assert.doesNotMatch((await page.textContent("#tied")) ?? "", /delta-70b/);
  await page.check('input[name="exclude_flagged"]');
  await page.click('form.filters button[type="submit"]');
  await page.waitForLoadState("domcontentloaded");
  assert.ok(!(await page.textContent("#results"))?.includes("acme/delta-70b"), "hide flagged hides it");
  assert.equal(await page.textContent("#hidden-flagged"), "1");
  await page.goto(`${f.url}/models/acme/delta-70b`);
  assert.match((await page.textContent("#flagged")) ?? "", /math: contamination check flagged gsm8k/);
  await page.goto(`${f.url}/map?q=acme`);
  assert.equal(await page.locator("#heatmap g.warn").count(), 1, "one cell in doubt");
  assert.equal(await page.locator("#legend").count(), 1, "the heatmap has a legend");
  await shot(page, "map-legend");
  await page.close();
});

test("run viewer: filter to the failures, open one, see its choices; compare two runs document by document", async () => {
  const f = await fullServer();
  const [a, b] = f.runs;
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${f.url}/runs/${a}`);
  assert.equal(await page.locator("#results tbody tr").count(), 2, "acc and acc_norm, one row each");
  await page.click('#tasks a:text-is("arc_easy")');
  await page.waitForLoadState("domcontentloaded");
  await page.selectOption('select[name="outcome"]', "fail");
  await page.click('form.filters button[type="submit"]');
  await page.waitForLoadState("domcontentloaded");
  const failed = await page.locator("#samples tbody tr").count();
  assert.ok(failed > 0);
  assert.equal(await page.locator("#samples tbody tr.fail").count(), failed, "only failures, coloured");
  await shot(page, "run-failures");
  await page.click("#samples tbody tr:first-child a");
  await page.waitForLoadState("domcontentloaded");
  assert.ok((await page.locator("#choices tbody tr").count()) >= 3, "each choice with its log-likelihood");
  assert.equal(await page.locator("#choices tbody tr.gold").count(), 1);
  assert.notEqual(await page.textContent("#target"), await page.textContent("#prediction"), "a failure");
  await shot(page, "run-sample-choices");
  await page.goto(`${f.url}/runs`);
  await page.selectOption('select[name="a"]', a);
  await page.selectOption('select[name="b"]', b);
  await page.click('form.filters button[type="submit"]');
  await page.waitForLoadState("domcontentloaded");
  await page.click('#run-comparison a:text-is("arc_easy")');
  await page.waitForLoadState("domcontentloaded");
  assert.match((await page.textContent("#diff-summary")) ?? "", /^30 shared documents/);
  await shot(page, "run-compare");
  await page.close();
});

test("experiments and which signal to trust", async () => {
  const f = await fullServer();
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${f.url}/experiments`);
  assert.equal(await page.locator("#experiments tbody tr").count(), 4);
  await page.click('#experiments a:text-is("code-assist-02")');
  await page.waitForLoadState("domcontentloaded");
  assert.equal(await page.locator("#effects tbody tr").count(), 3, "three pairs of three variants");
  assert.equal(await page.locator("main svg circle").count(), 3, "one interval per effect");
  await shot(page, "experiment");
  await page.goto(`${f.url}/signals`);
  await page.click('#meta-reports a:text-is("chat")');
  await page.waitForLoadState("domcontentloaded");
  assert.ok((await page.locator("table.meta tbody tr").count()) >= 1);
  assert.ok((await page.locator('svg[aria-label="agreement against separability"] circle').count()) >= 1);
  await shot(page, "signals");
  await page.close();
});
