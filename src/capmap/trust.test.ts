import assert from "node:assert/strict";
import { test } from "node:test";
import { seedWebFixture } from "../../test/support/web-fixture.ts";
import { openStore } from "../store/sqlite/index.ts";
import { modelCard } from "./card.ts";
import { modelProfile } from "./profile.ts";
import { search } from "./service.ts";
import { demotionReasons } from "./trust.ts";
import { mapOverview } from "./views.ts";

async function flaggedFixture() {
  const store = openStore(":memory:");
  await seedWebFixture(store);
  // acme/delta-70b leads math (gsm8k 85%) with a tight interval; a contamination check flags that benchmark.
  await store.checks.put("contamination", "acme/delta-70b", "gsm8k", {
    exchangeability: { pValue: 4.2e-12 },
    flagged: true,
    flaggedItems: [],
    methods: {},
  });
  return store;
}

test("a flagged contamination check demotes the cell in search: never clear first, listed last, with its reason", async () => {
  const store = await flaggedFixture();
  try {
    const r = await search(store, "math", {}, { top: 10 });
    assert.notEqual(r.results[0]?.modelId, "acme/delta-70b");
    assert.ok(!r.tiedForFirst.some((t) => t.modelId === "acme/delta-70b"), "not tied for first");
    const last = r.results.at(-1);
    assert.equal(last?.modelId, "acme/delta-70b", "listed after every trusted model");
    assert.equal(last?.tiedForFirst, false);
    assert.equal(last?.rank, r.total, "ranked after every trusted model");
    assert.match(last?.demoted?.[0] ?? "", /contamination check flagged gsm8k \(p = 4\.2e-12\)/);
    assert.equal(r.demoted, 1);
    // The first trusted models now lead: alpha and beta (61% and 60%) cannot be told apart.
    assert.deepEqual(r.tiedForFirst.map((t) => t.modelId).sort(), ["acme/alpha-7b", "acme/beta-7b"]);
    const hidden = await search(store, "math", { excludeFlagged: true }, { top: 10 });
    assert.ok(!hidden.results.some((h) => h.modelId === "acme/delta-70b"), "--exclude-flagged leaves it out");
    // It also leaves out acme/epsilon-3b, flagged on its leaderboard.
    assert.equal(hidden.total, r.total - 2);
    assert.equal(hidden.demoted, 1, "and says how many it left out");
    // Other categories of the same model are untouched.
    assert.equal((await search(store, "knowledge")).results[0]?.modelId, "acme/delta-70b");
  } finally {
    await store.close();
  }
});

test("the map ranks a demoted cell last in its category and leaves it out of its model's mean", async () => {
  const store = await flaggedFixture();
  try {
    const byMath = await mapOverview(store, { sort: "math" });
    assert.equal(byMath.rows.at(-1)?.modelId, "acme/delta-70b");
    assert.match(byMath.rows.at(-1)?.cells.math?.demoted?.[0] ?? "", /contamination/);
    const byMean = await mapOverview(store, {});
    const delta = byMean.rows.find((r) => r.modelId === "acme/delta-70b");
    const cells = delta?.cells ?? {};
    const trusted = Object.entries(cells).filter(([c]) => c !== "math");
    const mean = trusted.reduce((s, [, c]) => s + c.estimate, 0) / trusted.length;
    assert.ok(Math.abs((delta?.mean ?? 0) - mean) < 1e-9, "mean over the trusted cells only");
  } finally {
    await store.close();
  }
});

test("the model page and card call a demoted category 'in doubt', never a strength, and say why first", async () => {
  const store = await flaggedFixture();
  try {
    const p = await modelProfile(store, "acme/delta-70b");
    const math = p.categories.find((c) => c.cell.category === "math");
    assert.equal(math?.verdict, "flagged");
    assert.ok(!p.strengths.includes("math"));
    assert.deepEqual(
      p.flagged.map((f) => f.category),
      ["math"],
    );
    const card = await modelCard(store, "acme/delta-70b");
    assert.ok(card.indexOf("## Scores in doubt") < card.indexOf("## Strengths and weaknesses"));
    assert.match(card, /- \*\*math\*\*: contamination check flagged gsm8k/);
  } finally {
    await store.close();
  }
});

test("prompt spread demotes only when large and significant", () => {
  const spread = (pts: number, significant: number) =>
    demotionReasons({
      contamination: [],
      spread: [{ task: "arc", score: 0.6, spread: pts / 100, variants: 4, significant, text: "" }],
    });
  assert.equal(spread(12, 0).length, 0, "no significant variant: noise");
  assert.equal(spread(3, 2).length, 0, "small spread");
  assert.match(spread(12, 2)[0] ?? "", /moves 12\.0 points over 4 prompt variants \(2 significantly\)/);
  assert.deepEqual(
    demotionReasons({ contamination: [{ task: "t", flagged: false, pValue: 0.4, text: "" }], spread: [] }),
    [],
  );
});
