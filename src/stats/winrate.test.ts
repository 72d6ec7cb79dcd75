import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { createRng } from "../core/rng.ts";
import { fitStyleControl, type StyledBattle } from "./style-control.ts";
import { alpacaWinRate, lengthControlledWinRate } from "./winrate.ts";

function annotations(file: string): Array<{ preference: unknown; output_1: string; output_2: string }> {
  const p = `../shared/data/alpaca_eval/${file}`;
  assert.ok(existsSync(p), `shared data missing: ${p} (tests read real public data from ../shared/data)`);
  return JSON.parse(readFileSync(p, "utf8"));
}

test("AlpacaEval 2.0 win rate, standard error and discrete win rate on the real annotation files", () => {
  // Expected values computed independently (Python: mean and sample-sd/sqrt(n) of preference - 1; discrete
  // counts with 1.5 as a draw), the way alpaca_eval's AbsoluteScoringRule/ZeroOneScoringRule define them.
  const gemma = alpacaWinRate(
    annotations("gemma-7b-it_weighted_alpaca_eval_gpt4_turbo_annotations.json").map((r) => Number(r.preference)),
  );
  assert.equal(gemma.nTotal, 805);
  assert.ok(Math.abs(gemma.winRate - 6.937294379677011) < 1e-9, String(gemma.winRate));
  assert.ok(Math.abs(gemma.standardError - 0.7869665731853178) < 1e-9);
  assert.ok(Math.abs(gemma.discreteWinRate - 6.273291925465839) < 1e-9);
  assert.deepEqual([gemma.nWins, gemma.nDraws], [50, 1]);
  const mistral = alpacaWinRate(
    annotations("Mistral-7B-Instruct-v0.2_alpaca_eval_cot_gpt4_turbo_fn_annotations.json").map((r) =>
      Number(r.preference),
    ),
  );
  assert.ok(Math.abs(mistral.winRate - 15.527950310559005) < 1e-9);
  assert.ok(Math.abs(mistral.standardError - 1.2772783712147573) < 1e-9);
  assert.ok(Math.abs(mistral.discreteWinRate - 15.527950310559005) < 1e-9);
  assert.equal(alpacaWinRate([1, 2, 0, Number.NaN, 3]).nDropped, 2);
});

test("length-controlled win rate removes a pure length preference and keeps a real one", () => {
  const rng = createRng(7);
  // A judge that only likes length: the model is longer half the time; LC must come out near 50.
  const lengthOnly = Array.from({ length: 2000 }, () => {
    const longer = rng.next() < 0.3;
    const lm = longer ? 900 : 300;
    const lb = 600;
    const p = 1 / (1 + Math.exp(-(lm - lb) / 150));
    return { preference: 1 + (rng.next() < p ? 1 : 0), lengthModel: lm, lengthBaseline: lb };
  });
  const raw = alpacaWinRate(lengthOnly.map((r) => r.preference)).winRate;
  const lc = lengthControlledWinRate(lengthOnly, { bootstrap: 50, rng: createRng(1) });
  assert.ok(raw < 40, `raw ${raw}`);
  assert.ok(Math.abs(lc.lcWinRate - 50) < 6, `lc ${lc.lcWinRate}`);
  assert.ok(lc.standardError > 0 && lc.standardError < 5);
  // A model that is better regardless of length (80%) keeps a high LC win rate.
  const better = Array.from({ length: 2000 }, () => ({
    preference: 1 + (rng.next() < 0.8 ? 1 : 0),
    lengthModel: 200 + rng.int(800),
    lengthBaseline: 200 + rng.int(800),
  }));
  const lc2 = lengthControlledWinRate(better);
  assert.ok(Math.abs(lc2.lcWinRate - 80) < 4, `lc ${lc2.lcWinRate}`);
});

test("AlpacaEval LC on the real files is finite, converged and moves toward 50 for a verbose-baseline loss", () => {
  for (const f of [
    "gemma-7b-it_weighted_alpaca_eval_gpt4_turbo_annotations.json",
    "Mistral-7B-Instruct-v0.2_alpaca_eval_cot_gpt4_turbo_fn_annotations.json",
  ]) {
    const rows = annotations(f).map((r) => ({
      preference: Number(r.preference),
      lengthModel: r.output_2.length,
      lengthBaseline: r.output_1.length,
    }));
    const wr = alpacaWinRate(rows.map((r) => r.preference)).winRate;
    const lc = lengthControlledWinRate(rows);
    assert.ok(lc.converged);
    // Both models write shorter answers than the GPT-4 baseline, which the judge penalizes: LC > raw.
    assert.ok(lc.lcWinRate > wr && lc.lcWinRate < 50, `${f}: lc ${lc.lcWinRate} raw ${wr}`);
    assert.ok(lc.coefficients.length < 0, "a longer baseline lowers the model's preference");
  }
});

test("style control separates quality from a length bias", () => {
  const rng = createRng(3);
  // Model 0 writes long answers; voters favour length; models 0 and 1 are otherwise equal; model 2 is better.
  const quality = [0, 0, 1];
  const length = [3, 1, 1];
  const battles: StyledBattle[] = [];
  for (let n = 0; n < 6000; n++) {
    const i = rng.int(3);
    let j = rng.int(3);
    if (j === i) j = (i + 1) % 3;
    const li = length[i] as number;
    const lj = length[j] as number;
    const styleI = [li * Math.exp(0.6 * rng.normal()), 0, 0, 0];
    const styleJ = [lj * Math.exp(0.6 * rng.normal()), 0, 0, 0];
    const d = ((styleI[0] as number) - (styleJ[0] as number)) / ((styleI[0] as number) + (styleJ[0] as number));
    const eta = (quality[i] as number) - (quality[j] as number) + 2 * d;
    battles.push({ i, j, y: rng.next() < 1 / (1 + Math.exp(-eta)) ? 1 : 0, styleI, styleJ });
  }
  const fit = fitStyleControl(3, battles, 4, { bootstrap: 20, rng: createRng(9) });
  assert.ok(fit.converged);
  const t = fit.theta;
  assert.ok(Math.abs((t[0] as number) - (t[1] as number)) < 0.15, `theta ${[...t]}`);
  assert.ok((t[2] as number) - (t[1] as number) > 0.8);
  assert.ok((fit.beta[0] as number) > 0.3, "length coefficient positive");
  assert.ok(fit.thetaLower && fit.thetaUpper && (fit.thetaLower[2] as number) < (t[2] as number));
});
