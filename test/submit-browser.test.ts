/**
 * The submission form in real headless Chromium, on a real server over PostgreSQL: a refused submission shows
 * its reason and keeps what was typed; an accepted one lands on the queue page under "Pending".
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, test } from "node:test";
import type { Browser } from "playwright-core";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { openStoreAt } from "../src/store/open.ts";
import type { Store } from "../src/store/store.ts";
import { launchChromium } from "./support/chromium.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";

const ZOO = join(import.meta.dirname, "..", "fixtures", "zoo");
let cluster: PgCluster;
let browser: Browser;
let queue: JobQueue;
let store: Store;
let server: { url: string; close(): Promise<void> };
before(async () => {
  cluster = await startPostgres();
  const db = await cluster.createDatabase();
  queue = await JobQueue.open(db);
  store = await openStoreAt(db);
  server = await listen(createApp({ store, submissions: { queue, policy: { modelsDir: ZOO } } }, ROUTE_MODULES), {
    host: "127.0.0.1",
    port: 0,
  });
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
  await queue?.close();
  await store?.close();
  await cluster?.stop();
});

test("the submit form refuses with a reason, then queues a submission shown on the queue page", async () => {
  const page = await browser.newPage();
  await page.goto(`${server.url}/submit`);
  await page.selectOption('select[name="model"]', "zoo-facts");
  await page.fill('input[name="precision"]', "Q4_K_M");
  await page.fill('input[name="suite"]', "synthetic_knowledge");
  await page.fill('input[name="submitter"]', "dana");
  await page.click('button[type="submit"]');
  assert.match((await page.textContent("#error")) ?? "", /precision 'Q4_K_M' does not match the weights \(F32\)/);
  assert.equal(await page.inputValue('input[name="submitter"]'), "dana", "what was typed stays");
  await page.fill('input[name="precision"]', "F32");
  await page.check('input[name="chat_template"]');
  await page.click('button[type="submit"]');
  await page.waitForURL(`${server.url}/queue`);
  const pending = (await page.textContent("#pending")) ?? "";
  assert.match(pending, /Pending \(1\)/);
  assert.match(pending, /zoo-facts.*F32.*synthetic_knowledge.*dana/s);
  const [job] = await queue.list();
  assert.equal((job?.data as { chatTemplate?: unknown } | undefined)?.chatTemplate, true);
});
