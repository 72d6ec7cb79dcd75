import assert from "node:assert/strict";
import { test } from "node:test";
import { sharedData } from "../../test/support/shared-data.ts";
import { createRng, shuffleInPlace } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { aggregateVotes } from "./aggregate.ts";
import { agreement } from "./agree.ts";
import { positionBias } from "./bias.ts";
import { intervalChartSvg } from "./plot.ts";
import { predictionPoweredRanking } from "./ppr.ts";
import { rankCounts } from "./rank.ts";
import { readVoteFile } from "./read-votes.ts";

const human = () => readVoteFile(sharedData("arena_33k_pprank/human.json")).votes;

test("real 33k battles: gpt-4 leads, intervals bracket ratings, ranks follow the rule, mean is 1000", () => {
  const r = rankCounts(aggregateVotes(human()), { bootstrap: 200, seed: 1 });
  assert.equal(r.models[0]!.model, "gpt-4");
  assert.equal(r.fit?.converged, true);
  assert.equal(r.graph.mle_exists, true);
  assert.equal(r.totals.battles, 26919);
  const mean = r.models.reduce((s, m) => s + m.rating, 0) / r.models.length;
  assert.ok(Math.abs(mean - 1000) < 1e-6);
  for (const m of r.models) {
    assert.ok(m.ci_lower <= m.rating && m.rating <= m.ci_upper, m.model);
    const above = r.models.filter((o) => o.ci_lower > m.ci_upper).length;
    assert.equal(m.rank, 1 + above);
  }
  // Tiers never decrease down the table.
  for (let x = 1; x < r.models.length; x++) assert.ok(r.models[x]!.tier >= r.models[x - 1]!.tier);
});

test("property: shuffling the votes changes nothing, including the seeded intervals", () => {
  const votes = human().slice(0, 4000);
  const a = rankCounts(aggregateVotes(votes), { bootstrap: 50, seed: 3 });
  const b = rankCounts(aggregateVotes(shuffleInPlace([...votes], createRng(8))), { bootstrap: 50, seed: 3 });
  assert.deepEqual(a.models, b.models);
});

test("anchor: the anchored model gets exactly its rating; differences are unchanged", () => {
  const counts = aggregateVotes(human());
  const free = rankCounts(counts, { bootstrap: 0 });
  const anchored = rankCounts(counts, { bootstrap: 0, anchor: { model: "vicuna-13b", rating: 1100 } });
  const get = (r: typeof free, m: string) => r.models.find((x) => x.model === m)!.rating;
  assert.ok(Math.abs(get(anchored, "vicuna-13b") - 1100) < 1e-9);
  assert.ok(
    Math.abs(get(anchored, "gpt-4") - get(anchored, "vicuna-13b") - (get(free, "gpt-4") - get(free, "vicuna-13b"))) <
      1e-9,
  );
  assert.throws(() => rankCounts(counts, { anchor: { model: "nope", rating: 1 } }), /'nope' is not in the votes/);
});

const v = (a: string, b: string, w: Vote["winner"]): Vote => ({
  modelA: a,
  modelB: b,
  winner: w,
  shownFirst: "model_a",
});

test("an undefeated model: the report says the MLE does not exist and what was done", () => {
  const votes = [
    v("a", "b", "model_a"),
    v("a", "b", "model_a"),
    v("b", "c", "model_a"),
    v("c", "b", "model_a"),
    v("a", "c", "model_a"),
  ];
  const r = rankCounts(aggregateVotes(votes), { bootstrap: 30 });
  assert.equal(r.graph.mle_exists, false);
  assert.deepEqual(r.graph.undefeated, ["a"]);
  assert.match(r.graph.remedy ?? "", /Gaussian prior/);
  assert.match(r.warnings.join(" "), /MLE does not exist/);
  assert.ok(r.models.every((m) => Number.isFinite(m.rating) && Number.isFinite(m.ci_lower)));
  assert.equal(r.models[0]!.model, "a");
});

test("a disconnected comparison graph is reported", () => {
  const votes = [v("a", "b", "model_a"), v("b", "a", "model_a"), v("c", "d", "tie"), v("c", "d", "model_a")];
  const r = rankCounts(aggregateVotes(votes), { bootstrap: 10 });
  assert.equal(r.graph.connected, false);
  assert.equal(r.graph.components.length, 2);
  assert.match(r.warnings.join(" "), /not comparable/);
});

test("matrices: observed win rates are complementary, predicted ones in [0, 1]", () => {
  const counts = aggregateVotes(human().slice(0, 5000));
  const obs = rankCounts(counts, { bootstrap: 0, matrix: "winrate" }).matrix!;
  const pred = rankCounts(counts, { bootstrap: 0, matrix: "predicted" }).matrix!;
  const n = obs.models.length;
  for (let a = 0; a < n; a++)
    for (let b = 0; b < n; b++) {
      const x = obs.values[a]![b];
      const y = obs.values[b]![a];
      if (x !== null && x !== undefined && y !== null && y !== undefined) assert.ok(Math.abs(x + y - 1) < 1e-12);
      const p = pred.values[a]![b];
      if (a !== b) assert.ok(p !== null && p !== undefined && p >= 0 && p <= 1);
    }
});

test("Elo is available for battle rows and refused for counts", () => {
  const votes = human().slice(0, 3000);
  const r = rankCounts(aggregateVotes(votes), { method: "elo", bootstrap: 20 }, votes);
  assert.equal(r.method, "elo");
  assert.equal(r.models.length, aggregateVotes(votes).models.length);
  assert.throws(() => rankCounts(aggregateVotes(votes), { method: "elo" }), /needs battle rows/);
});

test("agreement on the shared human vs judge files: everything matches, kappa in range", () => {
  const h = human();
  const g = readVoteFile(sharedData("arena_33k_pprank/gpt-4-0125-preview.json")).votes;
  const r = agreement(h, g);
  assert.equal(r.matched, 26919);
  const sum = r.confusion.flat().reduce((s, x) => s + x, 0);
  assert.equal(sum, 26919);
  assert.ok(r.kappa > 0.2 && r.kappa < 0.6, `kappa ${r.kappa}`);
  assert.ok(r.agreement_decisive > r.agreement);
  assert.ok(r.leaderboard.spearman > 0.9);
  // Agreement of a source with itself is perfect.
  const self = agreement(h.slice(0, 2000), h.slice(0, 2000));
  assert.equal(self.kappa, 1);
  assert.equal(self.leaderboard.kendall, 1);
});

test("position bias: LMSYS humans near 50%, gpt-3.5-turbo strongly first-biased", () => {
  const g35 = readVoteFile(sharedData("arena_33k_pprank/gpt-3.5-turbo.json")).votes;
  const rows = positionBias([
    { group: "human", votes: human() },
    { group: "gpt-3.5-turbo", votes: g35 },
  ]);
  const hr = rows.find((r) => r.group === "human")!;
  const gr = rows.find((r) => r.group === "gpt-3.5-turbo")!;
  assert.ok(hr.ci_lower < 0.52 && hr.ci_upper > 0.48);
  assert.ok(gr.ci_lower > 0.7);
  assert.equal(hr.decisive + hr.ties, hr.votes);
});

test("PPR: auto lambda never widens intervals much beyond human-only; lambda 0 equals human-only", () => {
  const h = human();
  const g = readVoteFile(sharedData("arena_33k_pprank/gpt-4-0125-preview.json")).votes;
  const auto = predictionPoweredRanking(h, g, { humanN: 1000, seed: 5 });
  assert.equal(auto.n_human, 1000);
  assert.equal(auto.n_judge_only, 26919 - 1000);
  assert.ok(auto.lambda >= 0 && auto.lambda <= 1);
  assert.ok(auto.summary.width_ratio < 1.02, `ratio ${auto.summary.width_ratio}`);
  const zero = predictionPoweredRanking(h, g, { humanN: 1000, seed: 5, lambda: 0 });
  for (const m of zero.models) assert.ok(Math.abs(m.win_rate - m.human_win_rate) < 1e-12);
  for (const m of auto.models) assert.ok(m.rank_lower <= m.rank_upper);
  // Win-rate intervals stay within [0, 1], also with few human votes (they used to reach below 0).
  const few = predictionPoweredRanking(h, g, { humanN: 150, seed: 5 });
  for (const m of [...few.models, ...auto.models]) {
    for (const x of [m.ci_lower, m.ci_upper, m.human_ci_lower, m.human_ci_upper])
      if (Number.isFinite(x)) assert.ok(x >= 0 && x <= 1, `${m.model}: ${x}`);
  }
});

test("the interval chart is an SVG with one row per model and escaped labels", () => {
  const svg = intervalChartSvg(
    [
      { label: "a<b>", estimate: 1010, lower: 1000, upper: 1020, group: 1 },
      { label: "c", estimate: 990, lower: 980, upper: 1001, group: 1 },
    ],
    { title: "t" },
  );
  assert.match(svg, /^<svg /);
  assert.equal((svg.match(/<circle/g) ?? []).length, 2);
  assert.match(svg, /a&lt;b&gt;/);
});
