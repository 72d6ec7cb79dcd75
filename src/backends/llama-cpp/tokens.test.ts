import assert from "node:assert/strict";
import { test } from "node:test";
import { commonPrefix, encodePair, MIN_LOGPROB, moveTrailingSpace, rollingWindows, scorePosition } from "./tokens.ts";

test("trailing whitespace of the context moves to the continuation", () => {
  assert.deepEqual(moveTrailingSpace("Answer: ", "Paris"), ["Answer:", " Paris"]);
  assert.deepEqual(moveTrailingSpace("Answer:\n\n", "x"), ["Answer:", "\n\nx"]);
  assert.deepEqual(moveTrailingSpace("Answer:", " Paris"), ["Answer:", " Paris"]);
  assert.deepEqual(moveTrailingSpace("   ", "a"), ["", "   a"]);
});

// A toy tokenizer whose tokens merge across a boundary: "ab" is one token, everything else one per char.
const toy = (s: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "a" && s[i + 1] === "b") {
      out.push(1000);
      i++;
    } else out.push(s.charCodeAt(i));
  }
  return out;
};

test("pair encoding tokenizes the whole and splits at the context's own length (harness rule)", () => {
  // "xa" + "bc": whole = x, ab, c; the context's own tokenization has 2 tokens, so the split is after "x, ab".
  assert.deepEqual(encodePair(toy, "xa", "bc", [1], 2), { context: [1, 120, 1000], continuation: [99] });
  // Trailing space moves: context "q " -> "q", continuation " r".
  assert.deepEqual(encodePair(toy, "q ", "r", [], 2), { context: [113], continuation: [32, 114] });
  // Empty context: BOS prefix, else the stand-in token.
  assert.deepEqual(encodePair(toy, "", "zz", [1], 2), { context: [1], continuation: [122, 122] });
  assert.deepEqual(encodePair(toy, "", "zz", [], 2), { context: [2], continuation: [122, 122] });
  // A context that already starts with the BOS token gets no second one.
  const withBos = (s: string) => (s.startsWith("<s>") ? [1, ...toy(s.slice(3))] : toy(s));
  assert.deepEqual(encodePair(withBos, "<s>q", "r", [1], 2), { context: [1, 113], continuation: [114] });
});

test("rolling windows match lm-evaluation-harness on a worked example", () => {
  const t = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  assert.deepEqual(rollingWindows(t, -1, 4, 1), [
    { input: [-1, 0, 1, 2], scored: 4, targets: [0, 1, 2, 3] },
    { input: [3, 4, 5, 6], scored: 4, targets: [4, 5, 6, 7] },
    { input: [5, 6, 7, 8], scored: 2, targets: [8, 9] },
  ]);
  assert.deepEqual(rollingWindows([], -1, 4), []);
  assert.deepEqual(rollingWindows([5], -1, 4), [{ input: [-1], scored: 1, targets: [5] }]);
});

test("rolling windows predict every token exactly once, each from its true predecessor", () => {
  for (const [n, L, c] of [
    [1, 1, 1],
    [37, 8, 1],
    [37, 8, 3],
    [64, 8, 8],
    [100, 16, 5],
  ] as const) {
    const tokens = Array.from({ length: n }, (_, i) => i);
    const ws = rollingWindows(tokens, -1, L, c);
    const predicted = ws.flatMap((w) => w.targets);
    assert.deepEqual(predicted, tokens, `n=${n} L=${L} c=${c}`);
    for (const w of ws) {
      assert.ok(w.input.length <= L);
      const all = [...w.input, w.targets.at(-1) as number];
      for (let k = 0; k < w.scored; k++) assert.equal(all[all.length - w.scored + k], w.targets[k]);
      // Each target's predecessor is the token before it in the text (or the prefix for the first).
      const first = all[all.length - w.scored - 1];
      assert.equal(first, (w.targets[0] as number) - 1);
    }
  }
});

test("position score: log p of the target, greedy flag, mean and variance of log p", () => {
  const uniform = new Map([
    [3, 0.25],
    [1, 0.25],
    [2, 0.25],
    [0, 0.25],
  ]);
  const s = scorePosition(uniform, 1);
  assert.ok(Math.abs(s.logprob - Math.log(0.25)) < 1e-12);
  assert.ok(Math.abs(s.mean - Math.log(0.25)) < 1e-12);
  assert.ok(s.variance < 1e-12);
  assert.equal(s.greedy, false);
  assert.equal(scorePosition(uniform, 3).greedy, true);
  const skew = new Map([
    [7, 0.9],
    [8, 0.1],
    [9, 0],
  ]);
  const m = 0.9 * Math.log(0.9) + 0.1 * Math.log(0.1);
  const v = 0.9 * Math.log(0.9) ** 2 + 0.1 * Math.log(0.1) ** 2 - m * m;
  const k = scorePosition(skew, 8);
  assert.ok(Math.abs(k.mean - m) < 1e-12 && Math.abs(k.variance - v) < 1e-12);
  assert.equal(scorePosition(skew, 9).logprob, MIN_LOGPROB);
  assert.equal(scorePosition(skew, 42).logprob, MIN_LOGPROB);
});

test("common prefix", () => {
  assert.equal(commonPrefix([1, 2, 3], [1, 2, 4]), 2);
  assert.equal(commonPrefix([], [1]), 0);
  assert.equal(commonPrefix([1, 2], [1, 2, 3]), 2);
});
