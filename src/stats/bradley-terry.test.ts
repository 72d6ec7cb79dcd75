import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng, shuffleInPlace } from "../core/rng.ts";
import {
  fitBradleyTerry,
  fitPairwiseLogit,
  type PairTable,
  pairwiseLogLik,
  RATING_SCALE,
  toRatings,
  winProbability,
} from "./bradley-terry.ts";
import { checkExistence } from "./graph.ts";

function table(k: number, rows: Array<[number, number, number, number, number]>): PairTable {
  return {
    k,
    i: Int32Array.from(rows.map((r) => r[0])),
    j: Int32Array.from(rows.map((r) => r[1])),
    winI: Float64Array.from(rows.map((r) => r[2])),
    winJ: Float64Array.from(rows.map((r) => r[3])),
    ties: Float64Array.from(rows.map((r) => r[4])),
  };
}

test("hand-checked three models: counts proportional to strengths 4:2:1 give exactly those strengths", () => {
  // A-B: P(A) = 4/6 -> 2:1; B-C: 2/3 -> 2:1; A-C: 4/5 -> 4:1. Each model's wins equal their expectation
  // under pi = (4, 2, 1), so that is the MLE, and each step of 2x is 400*log10(2) = 120.41 points.
  const t = table(3, [
    [0, 1, 2, 1, 0],
    [1, 2, 2, 1, 0],
    [0, 2, 4, 1, 0],
  ]);
  const fit = fitBradleyTerry(t);
  assert.ok(fit.converged);
  const r = toRatings(fit.params, 3);
  const step = 400 * Math.log10(2);
  assert.ok(Math.abs((r[0] as number) - (1000 + step)) < 1e-6, `A ${r[0]}`);
  assert.ok(Math.abs((r[1] as number) - 1000) < 1e-6, `B ${r[1]}`);
  assert.ok(Math.abs((r[2] as number) - (1000 - step)) < 1e-6, `C ${r[2]}`);
  const anchored = toRatings(fit.params, 3, { index: 2, rating: 800 });
  assert.ok(Math.abs((anchored[2] as number) - 800) < 1e-9);
  assert.ok(Math.abs((anchored[0] as number) - (800 + 2 * step)) < 1e-6);
});

test("a tie is half a win for each side", () => {
  const decisive = fitBradleyTerry(table(2, [[0, 1, 2, 1, 0]]));
  const withTies = fitBradleyTerry(table(2, [[0, 1, 1, 0, 2]]));
  // 2 wins of 3 and (1 win + 2 half wins) of 3 are the same score: theta diff = ln 2.
  const d1 = (decisive.params[0] as number) - (decisive.params[1] as number);
  const d2 = (withTies.params[0] as number) - (withTies.params[1] as number);
  assert.ok(Math.abs(d1 - Math.log(2)) < 1e-9);
  assert.ok(Math.abs(d2 - Math.log(2)) < 1e-9);
  assert.ok(Math.abs(RATING_SCALE * d1 - 400 * Math.log10(2)) < 1e-6);
});

function randomTable(seed: number, k: number): PairTable {
  const rng = createRng(seed);
  const rows: Array<[number, number, number, number, number]> = [];
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++)
      if (rng.next() < 0.7 || b === a + 1) rows.push([a, b, 1 + rng.int(20), 1 + rng.int(20), rng.int(5)]);
  return table(k, rows);
}

test("property: the order of pairs does not matter", () => {
  for (let seed = 1; seed <= 10; seed++) {
    const t = randomTable(seed, 6);
    const perm = shuffleInPlace(
      Array.from({ length: t.i.length }, (_, x) => x),
      createRng(seed + 100),
    );
    const u: PairTable = {
      k: t.k,
      i: Int32Array.from(perm.map((x) => t.i[x]!)),
      j: Int32Array.from(perm.map((x) => t.j[x]!)),
      winI: Float64Array.from(perm.map((x) => t.winI[x]!)),
      winJ: Float64Array.from(perm.map((x) => t.winJ[x]!)),
      ties: Float64Array.from(perm.map((x) => t.ties[x]!)),
    };
    const a = toRatings(fitBradleyTerry(t).params, t.k);
    const b = toRatings(fitBradleyTerry(u).params, t.k);
    for (let m = 0; m < t.k; m++) assert.ok(Math.abs((a[m] as number) - (b[m] as number)) < 1e-7);
  }
});

test("property: one more win never lowers a model's rating, and the winner gains on the loser", () => {
  for (let seed = 1; seed <= 30; seed++) {
    const t = randomTable(seed, 5);
    const before = toRatings(fitBradleyTerry(t).params, t.k);
    const r = createRng(seed).int(t.i.length);
    const more: PairTable = { ...t, winI: Float64Array.from(t.winI) };
    more.winI[r] = (more.winI[r] as number) + 1;
    const after = toRatings(fitBradleyTerry(more).params, t.k);
    const winner = t.i[r] as number;
    const loser = t.j[r] as number;
    // Mean-centred ratings: the winner's rating rises, and its lead over the loser grows.
    assert.ok((after[winner] as number) >= (before[winner] as number) - 1e-9, `seed ${seed}`);
    assert.ok(
      (after[winner] as number) - (after[loser] as number) > (before[winner] as number) - (before[loser] as number),
    );
  }
});

test("property: win probabilities stay in [0, 1] and are complementary", () => {
  const rng = createRng(7);
  for (let x = 0; x < 1000; x++) {
    const a = (rng.next() - 0.5) * 1e5;
    const b = (rng.next() - 0.5) * 1e5;
    const p = winProbability(a, b);
    assert.ok(p >= 0 && p <= 1);
    assert.ok(Math.abs(p + winProbability(b, a) - 1) < 1e-12);
  }
  assert.equal(winProbability(1000, 1000), 0.5);
});

test("the log-likelihood is exactly the sum of y log sigmoid(eta) + (n - y) log sigmoid(-eta), at 0, -0 and far out", () => {
  const logSigmoid = (x: number) => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
  const rng = createRng(11);
  const params = Float64Array.from([0, -0, 3e-9, -2.5, 1.25, 40, -800, 0.3]);
  const k = params.length;
  const i: number[] = [];
  const j: number[] = [];
  for (let a = 0; a < k; a++)
    for (let b = 0; b < k; b++)
      if (a !== b) {
        i.push(a);
        j.push(b);
      }
  const n = Float64Array.from(i, () => rng.int(50));
  const y = Float64Array.from(n, (x) => rng.int(2 * x + 1) / 2);
  let want = 0;
  i.forEach((a, r) => {
    if (n[r] === 0) return;
    const eta = (params[a] as number) - (params[j[r] as number] as number);
    want += (y[r] as number) * logSigmoid(eta) + ((n[r] as number) - (y[r] as number)) * logSigmoid(-eta);
  });
  const design = { k, i: Int32Array.from(i), j: Int32Array.from(j), n, y };
  assert.equal(pairwiseLogLik(design, params), want);
});

test("existence: an undefeated model and a disconnected graph are detected", () => {
  const undefeated = checkExistence(
    table(3, [
      [0, 1, 5, 0, 0],
      [1, 2, 3, 2, 1],
    ]),
  );
  assert.equal(undefeated.mleExists, false);
  assert.deepEqual(undefeated.undefeated, [0]);
  const disconnected = checkExistence(
    table(4, [
      [0, 1, 3, 2, 0],
      [2, 3, 1, 4, 1],
    ]),
  );
  assert.equal(disconnected.components.length, 2);
  assert.equal(disconnected.mleExists, false);
  const fine = checkExistence(
    table(3, [
      [0, 1, 3, 2, 0],
      [1, 2, 1, 4, 1],
      [0, 2, 0, 0, 1],
    ]),
  );
  assert.equal(fine.mleExists, true);
  // Without the MLE a ridge still gives finite ratings.
  const fit = fitBradleyTerry(table(2, [[0, 1, 5, 0, 0]]), { ridge: 0.25 });
  assert.ok(fit.converged && Number.isFinite(fit.params[0]!));
});

test("covariates: a pairwise logit recovers a known style effect and reduces to BT without one", () => {
  // Simulate: strengths (0.5, 0, -0.5), a covariate z (length difference) with beta = 0.8.
  const rng = createRng(11);
  const theta = [0.5, 0, -0.5];
  const rows = 3000;
  const i = new Int32Array(rows);
  const j = new Int32Array(rows);
  const n = new Float64Array(rows).fill(1);
  const y = new Float64Array(rows);
  const z = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const a = rng.int(3);
    const b = (a + 1 + rng.int(2)) % 3;
    i[r] = a;
    j[r] = b;
    z[r] = rng.normal();
    const eta = theta[a]! - theta[b]! + 0.8 * z[r]!;
    y[r] = rng.next() < 1 / (1 + Math.exp(-eta)) ? 1 : 0;
  }
  const fit = fitPairwiseLogit({ k: 3, i, j, n, y, p: 1, z });
  assert.ok(fit.converged);
  assert.ok(Math.abs((fit.params[3] as number) - 0.8) < 0.15, `beta ${fit.params[3]}`);
  assert.ok(Math.abs((fit.params[0] as number) - (fit.params[2] as number) - 1) < 0.2);
  const t = table(3, [
    [0, 1, 2, 1, 0],
    [1, 2, 2, 1, 0],
    [0, 2, 4, 1, 0],
  ]);
  const plain = fitBradleyTerry(t);
  const viaLogit = fitPairwiseLogit({
    k: 3,
    i: t.i,
    j: t.j,
    n: Float64Array.from([3, 3, 5]),
    y: Float64Array.from([2, 2, 4]),
  });
  for (let m = 0; m < 3; m++) assert.ok(Math.abs((plain.params[m] as number) - (viaLogit.params[m] as number)) < 1e-9);
});
