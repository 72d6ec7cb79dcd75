import assert from "node:assert/strict";
import { test } from "node:test";
import { importExperiments } from "../../ab/service.ts";
import { buildCells } from "../../capmap/build.ts";
import { ratingEvidence } from "../../capmap/importers.ts";
import { scaleBenchmark } from "../../capmap/scale.ts";
import { collect } from "../../core/iter.ts";
import { metaEvaluate } from "../../meta/service.ts";
import type { CapEvidence } from "../../store/capmap.ts";
import { openStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { experimentRoutes } from "./experiments.ts";

/** Eight models: a rating reference in chat, one benchmark that tracks it and one that ranks them in reverse. */
async function seedSignals(store: ReturnType<typeof openStore>): Promise<void> {
  const models = Array.from({ length: 8 }, (_, i) => `org/m${i}`);
  const bench = (id: string, metric: string, percent: number): CapEvidence => {
    const s = scaleBenchmark(percent, 25, 2000);
    return {
      modelId: id,
      source: "bench",
      kind: "benchmark",
      metric,
      category: "chat",
      value: percent,
      lo: s.lo,
      hi: s.hi,
      n: 2000,
      baseline: 25,
      scaled: s.scaled,
      scaledLo: s.scaledLo,
      scaledHi: s.scaledHi,
    };
  };
  await store.capmap.importSource({
    kind: "fixture",
    source: "bench",
    file: "fixture",
    fileSha256: "0",
    models: models.map((id) => ({ id })),
    evidence: models.flatMap((id, i) => [bench(id, "tracks", 40 + 6 * i), bench(id, "reversed", 85 - 6 * i)]),
  });
  await store.capmap.importSource({
    kind: "fixture",
    source: "ref",
    file: "fixture",
    fileSha256: "1",
    models: [],
    evidence: ratingEvidence(
      models.map((id, i) => ({ id, rating: 1000 + 40 * i, lo: 990 + 40 * i, hi: 1010 + 40 * i })),
      "ref",
      "chat",
      "elo",
    ),
  });
  await store.capmap.replaceCells(buildCells(await collect(store.capmap.iterateEvidence())));
}

test("experiments: effects with intervals, the SRM warning, one experiment's page, and the same JSON", async () => {
  const store = openStore(":memory:");
  try {
    const app = createApp({ store }, [experimentRoutes]);
    const empty = await (await app.request("/experiments")).text();
    assert.match(empty, /No online experiments stored/);
    await importExperiments(store, "fixtures/ab/experiments.jsonl", { bootstrap: 100 });
    const page = await (await app.request("/experiments")).text();
    assert.match(page, /<table id="experiments">/);
    for (const id of ["code-assist-01", "code-assist-02", "chat-tone-03", "chat-clicks-04"])
      assert.match(page, new RegExp(id));
    // Every effect against the control is shown with its 95% interval.
    assert.match(page, /qwen: [+-]\d\.\d{4} \[[+-]\d\.\d{4}, [+-]\d\.\d{4}\]/);
    assert.match(page, /Orderings per use case/);
    const api = (await (await app.request("/api/experiments")).json()) as {
      experiments: Array<{ id: string; srm: { flagged: boolean; p: number } }>;
    };
    assert.equal(api.experiments.length, 4);
    const flagged = api.experiments.filter((e) => e.srm.flagged).map((e) => e.id);
    if (flagged.length) assert.match(page, /id="srm-warning"/);
    else assert.doesNotMatch(page, /id="srm-warning"/);
    const one = await app.request("/experiments/code-assist-02");
    assert.equal(one.status, 200);
    const text = await one.text();
    assert.match(text, /<table id="variants">/);
    assert.match(text, /<table id="effects">/);
    assert.match(text, /<svg role="img"/, "the effects chart");
    assert.match(text, /mistral-terse vs control/);
    assert.equal((await app.request("/experiments/nope")).status, 404);
    const filtered = await (await app.request("/experiments?category=chat")).text();
    assert.doesNotMatch(filtered, /code-assist-01/);
  } finally {
    await store.close();
  }
});

test("which signal to trust: the kept meta-evaluation per category, table and chart, as the CLI keeps it", async () => {
  const store = openStore(":memory:");
  try {
    await seedSignals(store);
    const app = createApp({ store }, [experimentRoutes]);
    assert.match(await (await app.request("/signals")).text(), /No meta-evaluation kept/);
    await metaEvaluate(store, { signals: [], reference: "ref/elo", bootstrap: 200 });
    const index = await (await app.request("/signals")).text();
    assert.match(index, /<a href="\/signals\/chat">chat<\/a>/);
    const page = await (await app.request("/signals/chat")).text();
    assert.match(page, /Against ref\/elo/);
    assert.match(page, /Trust bench\/tracks most here/);
    assert.match(page, /<tr><td>bench\/tracks<\/td>.*<span class="badge good">agrees<\/span>/);
    assert.match(page, /<tr class="demoted"><td>bench\/reversed<\/td>.*reversed/);
    assert.match(page, /aria-label="agreement against separability"/);
    const api = (await (await app.request("/api/signals/chat")).json()) as { reports: Array<{ reference: string }> };
    assert.deepEqual(
      api.reports.map((r) => r.reference),
      ["ref/elo"],
    );
  } finally {
    await store.close();
  }
});
