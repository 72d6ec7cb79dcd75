import assert from "node:assert/strict";
import { test } from "node:test";
import { closest, commandHint, editDistance, optionHint } from "./suggest.ts";

test("edit distance counts a swap of neighbours as one edit", () => {
  assert.equal(editDistance("eval", "evl"), 1);
  assert.equal(editDistance("compare", "comapre"), 1);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("search", "search"), 0);
});

test("did you mean: the closest command or option, nothing when no name is close", () => {
  const names = ["eval", "start", "search", "runs compare", "runs list", "runs show", "map import"];
  assert.match(commandHint(["evl"], names), /did you mean 'modelmap eval'\?/);
  assert.match(commandHint(["runs", "comapre"], names), /did you mean 'modelmap runs compare'\?/);
  assert.equal(commandHint(["frobnicate"], names), "run 'modelmap help' for the list of commands");
  assert.equal(
    optionHint("eval", "Unknown option '--task'. To specify a positional argument...", ["tasks", "tasks-dir", "model"]),
    "did you mean --tasks? (run 'modelmap help eval')",
  );
  assert.equal(optionHint("eval", "Option '--limit' argument missing", ["limit"]), "run 'modelmap help eval'");
  assert.deepEqual(closest("x", ["eval"]), []);
});
