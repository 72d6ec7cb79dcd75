import assert from "node:assert/strict";
import { test } from "node:test";
import { sharedData } from "../../../test/support/shared-data.ts";
import { aggregateVotes } from "../../arena/aggregate.ts";
import { rankCounts } from "../../arena/rank.ts";
import { readVoteFile } from "../../arena/read-votes.ts";
import { openStore } from "../../store/sqlite/index.ts";
import { createApp } from "../app.ts";
import { arenaRoutes } from "./arena.ts";

test("GET /api/rank gives the same report as the rank service; bad queries are 400", async () => {
  const store = openStore(":memory:");
  try {
    const votes = readVoteFile(sharedData("arena_33k_pprank/human.json")).votes.slice(0, 5000);
    await store.votes.importBatch({ source: "h", file: "human.json", fileSha256: "x", votes });
    const app = createApp({ store }, [arenaRoutes]);
    const sources = await (await app.request("/api/votes/sources")).json();
    assert.equal(sources.sources[0].votes, 5000);
    const res = await app.request("/api/rank?source=h&bootstrap=30&seed=4&anchor=vicuna-13b=1000");
    assert.equal(res.status, 200);
    const body = await res.json();
    const direct = rankCounts(aggregateVotes(votes), {
      bootstrap: 30,
      seed: 4,
      anchor: { model: "vicuna-13b", rating: 1000 },
    });
    assert.deepEqual(body.models, JSON.parse(JSON.stringify(direct.models)));
    const svg = await app.request("/api/rank.svg?source=h&bootstrap=10");
    assert.equal(svg.status, 200);
    assert.match(svg.headers.get("content-type") ?? "", /image\/svg\+xml/);
    assert.equal((await app.request("/api/rank?bootstrap=-1")).status, 400);
    assert.equal((await app.request("/api/rank?filter=nonsense")).status, 400);
    assert.equal((await app.request("/api/rank?source=nobody")).status, 404);
  } finally {
    await store.close();
  }
});
