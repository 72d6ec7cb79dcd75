import assert from "node:assert/strict";
import { test } from "node:test";
import { krippendorffAlphaNominal } from "./krippendorff.ts";

test("Krippendorff's alpha (nominal) matches the textbook example", () => {
  // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", nominal example: 4 coders, 12 units,
  // values 1-5 with missing data; alpha = 0.743. Values shifted to 0-based indices.
  const table: Array<Array<number | null>> = [
    [1, 1, null, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [null, 5, 5, 5],
    [null, null, 1, 1],
    [null, null, 3, null],
  ];
  const units = table.map((row) => row.filter((v): v is number => v !== null).map((v) => v - 1));
  assert.ok(Math.abs(krippendorffAlphaNominal(units, 5) - 0.743) < 0.0005);
  assert.equal(
    krippendorffAlphaNominal(
      [
        [0, 0],
        [1, 1],
      ],
      2,
    ),
    1,
  );
  assert.ok(Number.isNaN(krippendorffAlphaNominal([[0], [1]], 2)));
});
