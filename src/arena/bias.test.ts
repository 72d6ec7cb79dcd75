import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sharedData } from "../../test/support/shared-data.ts";
import { createRng } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { positionBias } from "./bias.ts";
import { readVoteFile } from "./read-votes.ts";

test("strength adjustment: a strong model shown first more often is not position bias", () => {
  // No position effect at all; "strong" beats "weak" 80% of the time and is shown first 80% of the time.
  const rng = createRng(4);
  const votes: Vote[] = [];
  for (let x = 0; x < 4000; x++) {
    const strongFirst = rng.next() < 0.8;
    const strongWins = rng.next() < 0.8;
    const [a, b] = strongFirst ? ["strong", "weak"] : ["weak", "strong"];
    const winner = strongWins === strongFirst ? "model_a" : "model_b";
    votes.push({ modelA: a, modelB: b, winner, shownFirst: "model_a" });
  }
  const [row] = positionBias([{ group: "g", votes }]);
  assert.ok(row!.first_win_rate > 0.6, `raw ${row!.first_win_rate}`);
  const adj = row!.strength_adjusted!;
  assert.ok(adj.ci_lower < 0.5 && adj.ci_upper > 0.5, `adjusted ${JSON.stringify(adj)}`);
});

test("one pair in one fixed order cannot separate position from strength", () => {
  const votes: Vote[] = Array.from({ length: 20 }, (_, x) => ({
    modelA: "a",
    modelB: "b",
    winner: x % 3 === 0 ? "model_b" : "model_a",
    shownFirst: "model_a",
  }));
  assert.equal(positionBias([{ group: "g", votes }])[0]!.strength_adjusted, null);
});

test("real data: pooled vicuna80 human votes (7,040) show no strength-adjusted position bias", () => {
  const dir = sharedData("vicuna80_human_pairwise");
  const files = readdirSync(dir).filter((f) => f.endsWith("-human-reviewer_threeclass.jsonl"));
  const votes = files.flatMap((f) => readVoteFile(join(dir, f)).votes);
  assert.equal(votes.length, 7040);
  const [row] = positionBias([{ group: "all", votes }], 0.95, true);
  assert.equal(row!.votes, 7040);
  const adj = row!.strength_adjusted!;
  assert.ok(adj.ci_lower < 0.5 && adj.ci_upper > 0.5);
});
