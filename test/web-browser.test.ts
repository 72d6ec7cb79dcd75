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
import { importFile } from "../src/capmap/service.ts";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { openStore, type SqliteStore } from "../src/store/sqlite/index.ts";
import { launchChromium } from "./support/chromium.ts";
import { ARENA_MERGED, sharedData } from "./support/shared-data.ts";
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
  runId = seedWebFixture(store).runId;
  importFile(store, "arena", sharedData(...ARENA_MERGED));
  server = await listen(createApp({ store }, ROUTE_MODULES), { port: 0 });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.close();
  store?.close();
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
