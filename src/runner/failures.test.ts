import assert from "node:assert/strict";
import { test } from "node:test";
import { contextShortfall, failureCause, failureLines, groupFailures } from "./failures.ts";

test("a context overflow reads as one reason, naming the longest prompt and the context", () => {
  const groups = groupFailures([
    { message: "prompt has 1200 tokens; the context holds 96" },
    {
      message:
        "http://127.0.0.1:8080/v1/chat/completions: HTTP 400 Bad Request (prompt has 1501 tokens; the context holds 96)",
    },
    { message: "request needs 300 tokens but the context holds 96" },
  ]);
  assert.deepEqual(
    groups.map((g) => [g.count, g.reason]),
    [[3, "prompt longer than the model's context (1501 > 96 tokens)"]],
  );
  assert.equal(groups[0]?.first, "prompt has 1200 tokens; the context holds 96");
  assert.deepEqual(failureLines(groups), [
    "3 failed: prompt longer than the model's context (1501 > 96 tokens)",
    "first failure: prompt has 1200 tokens; the context holds 96",
  ]);
  assert.deepEqual(contextShortfall(groups), { needed: 1501, holds: 96 });
});

test("different causes count apart, largest first; unknown ones by code or first clause", () => {
  const groups = groupFailures([
    { message: "http://h:1/v1/completions: connection failed: ECONNREFUSED" },
    { message: "http://h:1/v1/completions: connection failed: ECONNREFUSED" },
    { message: "http://h:1/v1/completions timed out after 1000 ms (gave up after 3 attempts)" },
    { message: "model 'x' cannot give log-likelihoods", code: "unsupported" },
    { message: "something odd: details" },
  ]);
  assert.deepEqual(
    groups.map((g) => [g.count, g.reason]),
    [
      [2, "model server not reachable"],
      [1, "request timed out"],
      [1, "something odd"],
      [1, "unsupported"],
    ],
  );
  assert.match(failureLines(groups)[0] ?? "", /^5 failed: 2 model server not reachable, 1 request timed out/);
  assert.equal(contextShortfall(groups), undefined);
  assert.deepEqual(failureLines([]), []);
  // A port number is not an HTTP status.
  assert.equal(failureCause("http://h:5001/v1: HTTP 400 (bad)").text, "HTTP 400 (bad)");
});
