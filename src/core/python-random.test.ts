import assert from "node:assert/strict";
import { test } from "node:test";
import { PythonRandom } from "./python-random.ts";

// Expected values printed by CPython 3.11's `random.Random` (the commands are in each test's name).
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test("random.Random(1234).random() x2", () => {
  const r = new PythonRandom(1234);
  assert.deepEqual([r.random(), r.random()], [0.9664535356921388, 0.4407325991753527]);
});

test("random.Random(1234).sample(range(7473), 5): the set-of-indices algorithm", () => {
  assert.deepEqual(new PythonRandom(1234).sample(range(7473), 5), [6374, 3610, 957, 61, 742]);
});

test("random.Random(0).shuffle(list(range(10)))", () => {
  assert.deepEqual(new PythonRandom(0).shuffle(range(10)), [7, 8, 1, 5, 3, 4, 2, 0, 9, 6]);
});

test("random.Random(2**40+7).getrandbits(k) for k in (1, 31, 32, 33, 53): a two-word seed, two-word outputs", () => {
  const r = new PythonRandom(2n ** 40n + 7n);
  assert.deepEqual(
    [1, 31, 32, 33, 53].map((k) => r.getrandbits(k)),
    [1, 1604866609, 3500038837, 8323356347, 5137621151371841],
  );
});

test("random.Random(42): sample(range(10), 4) (pool algorithm), then sample(range(1000), 30)[:6]", () => {
  const r = new PythonRandom(42);
  assert.deepEqual(r.sample(range(10), 4), [1, 0, 4, 9]);
  assert.deepEqual(r.sample(range(1000), 30).slice(0, 6), [228, 142, 754, 104, 692, 758]);
});

test("sample refuses k larger than the population", () => {
  assert.throws(() => new PythonRandom(1).sample([1, 2], 3), /larger than population/);
});

test("getState/setState: random.Random(0) after one random() has Python's getstate()[1]; setstate resumes it", () => {
  const r = new PythonRandom(0);
  r.random();
  const s = r.getState();
  // Python: len 625, position 2, first two words and the last word as printed by `random.Random(0).getstate()`.
  assert.equal(s.length, 625);
  assert.deepEqual([s[624], s[0], s[1], s[623]], [2, 1372342863, 3221959423, 418789356]);
  const q = new PythonRandom(99);
  q.setState(s);
  assert.equal(q.random(), 0.7579544029403025);
});
