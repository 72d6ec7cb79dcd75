import assert from "node:assert/strict";
import { test } from "node:test";
import { openStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { checkRoutes } from "./checks.ts";

test("/api/checks: stored reports by kind, model and task, with the card's summary lines; bad input is 4xx", async () => {
  const store = openStore(":memory:");
  try {
    await store.checks.put("contamination", "m1", "t1", {
      exchangeability: { pValue: 0.5 },
      flagged: false,
      flaggedItems: [],
      methods: {},
    });
    await store.checks.put("contamination", "m2", "t1", {
      exchangeability: { pValue: 0.001 },
      flagged: true,
      flaggedItems: [],
      methods: {},
    });
    const app = createApp({ store }, [checkRoutes]);
    const all = (await (await app.request("/api/checks/contamination")).json()) as { reports: unknown[] };
    assert.equal(all.reports.length, 2);
    const one = (await (await app.request("/api/checks/contamination?model=m1")).json()) as {
      reports: Array<{ task: string }>;
      summary: Array<{ flagged: boolean; text: string }>;
    };
    assert.equal(one.reports.length, 1);
    assert.equal(one.summary[0]?.flagged, false);
    assert.match(one.summary[0]?.text ?? "", /no contamination found/);
    const none = (await (await app.request("/api/checks/sensitivity?model=m1")).json()) as { reports: unknown[] };
    assert.deepEqual(none.reports, []);
    assert.equal((await app.request("/api/checks/other")).status, 404);
    assert.equal((await app.request("/api/checks/contamination?x=1")).status, 400);
  } finally {
    await store.close();
  }
});
