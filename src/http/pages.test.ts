import assert from "node:assert/strict";
import { test } from "node:test";
import { EVIL_ID, seedWebFixture } from "../../test/support/web-fixture.ts";
import { openStore } from "../store/sqlite/index.ts";
import { createApp, type RouteModule } from "./app.ts";
import { arenaRoutes } from "./routes/arena.ts";
import { judgmentRoutes } from "./routes/judgments.ts";
import { mapRoutes } from "./routes/map.ts";
import { runRoutes } from "./routes/runs.ts";

const SITE: RouteModule[] = [mapRoutes, arenaRoutes, runRoutes, judgmentRoutes];

async function setup() {
  const store = openStore(":memory:");
  const { runId } = await seedWebFixture(store);
  const app = createApp({ store }, SITE);
  return { store, app, runId };
}

test("every page renders with a strict CSP and no external URLs", async () => {
  const { store, app, runId } = await setup();
  try {
    const pages = [
      "/map",
      "/benchmarks",
      "/benchmarks?sort=gsm8k&dir=asc",
      "/arena",
      "/search?category=math",
      "/models/acme/alpha-7b",
      "/compare?a=acme/alpha-7b&b=acme/gamma-8b",
      "/runs",
      `/runs/${runId}?task=tiny-math`,
      `/runs/${runId}/samples/tiny-math/0`,
    ];
    for (const p of pages) {
      const res = await app.request(p);
      assert.equal(res.status, 200, p);
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/, p);
      const body = await res.text();
      assert.match(body, /<nav>/, p);
      assert.ok(!/(src|href)="https?:\/\//.test(body), `${p} references an external URL`);
    }
  } finally {
    await store.close();
  }
});

test("data is escaped everywhere it appears", async () => {
  const { store, app } = await setup();
  try {
    for (const p of ["/map", "/search?category=math&top=20", "/benchmarks", `/models/${EVIL_ID}`]) {
      const body = await (await app.request(p)).text();
      assert.ok(!body.includes("<script>"), `${p} contains a raw <script>`);
      assert.ok(!body.includes("<b>bold</b>"), `${p} contains raw licence markup`);
    }
    const model = await (await app.request(`/models/${encodeURIComponent(EVIL_ID)}`)).text();
    assert.match(model, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
  } finally {
    await store.close();
  }
});

test("search API: ranks, the tied-for-first set, filters, and errors as JSON with status", async () => {
  const { store, app } = await setup();
  try {
    const r = await app.request("/api/search?category=math&max_params=8&license=apache-2.0");
    assert.equal(r.status, 200);
    const body = (await r.json()) as {
      total: number;
      results: Array<{ modelId: string; rank: number }>;
      tiedForFirst: Array<{ modelId: string }>;
    };
    assert.equal(body.total, 3);
    assert.deepEqual(
      body.tiedForFirst.map((t) => t.modelId),
      ["acme/alpha-7b", "acme/beta-7b"],
    );
    assert.equal(body.results[2]?.modelId, "acme/epsilon-3b");
    assert.equal(body.results[2]?.rank, 3);
    const bad = await app.request("/api/search?category=math&max_params=lots");
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: { message: string } }).error.message, /max_params/);
    const missing = await app.request("/api/search?category=poetry");
    assert.equal(missing.status, 404);
    const page = await app.request("/search?category=poetry");
    assert.equal(page.status, 404);
    assert.match(await page.text(), /no category &#39;poetry&#39;/);
  } finally {
    await store.close();
  }
});

test("model, compare, card and map APIs show what the pages show", async () => {
  const { store, app, runId } = await setup();
  try {
    const m = (await (await app.request("/api/models/acme/beta-7b")).json()) as {
      model: { id: string; merged: boolean };
      strengths: string[];
      categories: Array<{ cell: { category: string } }>;
    };
    assert.equal(m.model.id, "acme/beta-7b");
    assert.equal(m.model.merged, true);
    assert.equal(m.categories.length, 4);
    assert.match(
      await (await app.request("/models/acme/alpha-7b")).text(),
      /No prompt-sensitivity or contamination checks/,
    );
    await store.checks.put("contamination", "acme/alpha-7b", "tiny-math", {
      exchangeability: { pValue: 0.0004 },
      flagged: true,
      flaggedItems: [{ docId: 3, reasons: ["13-gram overlap 1.00"] }],
      methods: {},
    });
    assert.match(
      await (await app.request("/models/acme/alpha-7b")).text(),
      /<li>Contamination: tiny-math: possible contamination \(exchangeability p=0\.00040/,
    );
    const cmp = (await (await app.request("/api/compare?a=acme/alpha-7b&b=acme/gamma-8b")).json()) as {
      categories: Array<{ category: string; verdict: string }>;
    };
    assert.equal(cmp.categories.find((c) => c.category === "math")?.verdict, "a");
    const card = await app.request("/card/acme/alpha-7b");
    assert.match(card.headers.get("content-type") ?? "", /text\/markdown/);
    const md = await card.text();
    assert.match(md, /# acme\/alpha-7b: capability report/);
    assert.match(md, new RegExp(`/runs/${runId}`), "the card links the model's run");
    assert.match(md, /chat template the model's own, applied; system prompt: "You are terse\."; 0-shot; fixture/);
    // Checks of a task behind a map cell show on the map: contamination marks the cell, spread goes in its text.
    await store.checks.put("contamination", "acme/alpha-7b", "gsm8k", {
      exchangeability: { pValue: 0.002 },
      flagged: true,
      flaggedItems: [],
      methods: {},
    });
    await store.checks.put("sensitivity", "acme/alpha-7b", "arc", {
      variants: [
        { name: "default", score: 0.6 },
        { name: "labels-paren", score: 0.52, vsBaseline: { significant: true } },
      ],
      spread: { range: 0.08, sd: 0.057 },
    });
    const map = (await (await app.request("/api/map")).json()) as {
      categories: string[];
      total: number;
      scale: object;
      rows: Array<{
        modelId: string;
        cells: Record<
          string,
          { checks?: { contamination: Array<{ flagged: boolean }>; spread: Array<{ spread: number }> } }
        >;
      }>;
    };
    const alpha = map.rows.find((r) => r.modelId === "acme/alpha-7b");
    assert.equal(alpha?.cells.math?.checks?.contamination[0]?.flagged, true);
    assert.equal(alpha?.cells.reasoning?.checks?.spread[0]?.spread, 0.08);
    assert.equal(alpha?.cells.knowledge?.checks, undefined);
    const mapHtml = await (await app.request("/map")).text();
    // Both checks put their cell in doubt (capmap/trust.ts): the flagged contamination check, and the 8-point
    // prompt spread with a significant variant (it was one marked cell before scores in doubt were demoted).
    assert.equal((mapHtml.match(/<g class="warn">/g) ?? []).length, 2, "two cells are marked");
    assert.match(mapHtml, /in doubt: contamination check flagged gsm8k \(p = 0\.002\)/);
    assert.match(mapHtml, /in doubt: prompt sensitivity on arc: the score moves 8\.0 points over 2 prompt variants/);
    assert.match(
      mapHtml,
      /acme\/alpha-7b · math: [^<]*\ncontamination check, gsm8k: possible contamination \(exchangeability p=0\.0020\)/,
    );
    assert.match(
      mapHtml,
      /acme\/alpha-7b · reasoning: [^<]*\nprompt sensitivity, arc: 0\.600, with 0\.080 prompt spread over 2 variants/,
    );
    assert.deepEqual(map.categories, ["chat", "knowledge", "math", "reasoning"]);
    assert.equal(map.total, 6);
    const byChat = (await (await app.request("/api/map?sort=chat")).json()) as {
      sort: string;
      rows: Array<{ modelId: string }>;
    };
    assert.equal(byChat.sort, "chat");
    assert.deepEqual(
      byChat.rows.map((r) => r.modelId),
      ["acme/delta-70b", "acme/alpha-7b", "acme/beta-7b", "acme/gamma-8b"],
    );
    assert.match(await (await app.request("/map?sort=chat")).text(), /<a href="\/map\?sort=knowledge">/);
    const arena = (await (await app.request("/api/arena")).json()) as {
      boards: Array<{ rows: Array<{ modelId: string; rank: number; tier: number }> }>;
    };
    const rows = arena.boards[0]?.rows ?? [];
    assert.deepEqual(
      rows.map((r) => [r.modelId, r.rank, r.tier]),
      [
        ["acme/delta-70b", 1, 1],
        ["acme/alpha-7b", 2, 2],
        ["acme/beta-7b", 2, 2],
        ["acme/gamma-8b", 4, 3],
      ],
    );
    const lb = (await (await app.request("/api/benchmarks?sort=model&dir=asc&max_params=7.5")).json()) as {
      rows: Array<{ modelId: string }>;
      columns: Array<{ metric: string; baseline: number }>;
    };
    assert.deepEqual(
      lb.rows.map((r) => r.modelId),
      ["acme/alpha-7b", "acme/beta-7b", "acme/epsilon-3b", EVIL_ID],
    );
    assert.equal(lb.columns.find((c) => c.metric === "mmlu")?.baseline, 25);
  } finally {
    await store.close();
  }
});

test("run browser: the sample page shows the prompt as sent, raw output, extracted answer, score and rationale", async () => {
  const { store, app, runId } = await setup();
  try {
    const body = await (await app.request(`/runs/${runId}/samples/tiny-math/0`)).text();
    assert.match(body, /&lt;\|im_start\|&gt;user\nWhat is 2\+2\?/);
    assert.match(body, /The answer is 4\. &lt;b&gt;done&lt;\/b&gt;/);
    assert.match(body, /strict-match&quot;: &quot;4&quot;/);
    // Scores are a table now (metric, filter, score), and the sample says what it predicted and whether it passed.
    assert.match(body, /<tr><td>exact_match<\/td><td>strict-match<\/td><td class="num">1<\/td><\/tr>/);
    assert.match(body, /<pre id="target">4<\/pre>/);
    assert.match(body, /<pre id="prediction">4<\/pre>/);
    assert.match(body, /id="outcome" class="outcome pass"/);
    assert.match(body, /Correct final answer\./);
    const err = await (await app.request(`/runs/${runId}/samples/tiny-math/2`)).text();
    assert.match(err, /backend timeout/);
    assert.equal((await app.request(`/runs/${runId}/samples/tiny-math/9`)).status, 404);
    const runs = await (await app.request("/runs")).text();
    assert.match(runs, /href="\/judgments\/fixture-heldout"/);
    const list = await (await app.request("/judgments/fixture-heldout")).text();
    assert.match(list, /9\/10/);
    assert.match(list, /second/);
    const pair = await (await app.request("/judgments/fixture-heldout/j-pair")).text();
    assert.match(pair, /List the &lt;b&gt;dates&lt;\/b&gt; in: 3 May, 9 June\./);
    assert.match(pair, /Shown first: acme\/gamma-8b<\/h2><pre class="answer">May<\/pre>/);
    assert.match(pair, /Shown second: acme\/alpha-7b<\/h2><pre class="answer">3 May; 9 June<\/pre>/);
    assert.match(pair, /<pre id="rationale">Assistant B lists both dates\. \[\[B\]\]<\/pre>/);
    const api = (await (await app.request("/api/judgments/fixture-heldout/j-single")).json()) as {
      judgment: { score: number };
      first: { outputs: string[] };
    };
    assert.equal(api.judgment.score, 9);
    assert.deepEqual(api.first.outputs, ["3 May; 9 June"]);
    assert.equal((await app.request("/judgments/nothing")).status, 404);
    assert.equal((await app.request("/runs/nope")).status, 404);
  } finally {
    await store.close();
  }
});

test("an empty store renders every page with a hint instead of failing", async () => {
  const store = openStore(":memory:");
  try {
    const app = createApp({ store }, SITE);
    for (const p of ["/map", "/benchmarks", "/arena", "/search", "/compare", "/runs"]) {
      const res = await app.request(p);
      assert.equal(res.status, 200, p);
      const text = await res.text();
      assert.ok(/id="empty"|Enter two model ids/.test(text), `${p} shows no empty-state hint`);
    }
    assert.equal((await app.request("/models/nobody/here")).status, 404);
  } finally {
    await store.close();
  }
});

test("the model card renders as an HTML page with its tables, escaped", async () => {
  const { store, app } = await setup();
  try {
    const page = await (await app.request("/cards/acme/alpha-7b")).text();
    assert.match(page, /<article class="card" id="card"><h3>acme\/alpha-7b: capability report<\/h3>/);
    assert.match(page, /<table><thead><tr><th>Category<\/th><th>Score \[95% CI\]<\/th>/);
    assert.match(page, /id="card-yaml">license: &quot;apache-2.0&quot;/);
    const evil = await (await app.request(`/cards/${EVIL_ID}`)).text();
    assert.ok(!evil.includes("<script>alert"), "the card escapes model ids");
    assert.match(evil, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;/);
    const model = await (await app.request("/models/acme/alpha-7b")).text();
    assert.match(model, /<a href="\/cards\/acme\/alpha-7b" id="card-page">Model card<\/a>/);
  } finally {
    await store.close();
  }
});
