import assert from "node:assert/strict";
import test from "node:test";
import { exitCodeFor } from "../core/errors.ts";
import { hubHttpError } from "./http.ts";

const hub = { endpoint: "http://127.0.0.1:9" };
const repo = { kind: "dataset", id: "acme/data" } as const;

test("a hub server fault (5xx) is the hub's failure (exit 1); a 404 and a gated 401 are the user's (exit 2)", async () => {
  const fault = await hubHttpError(new Response("upstream timed out", { status: 503 }), "listing acme/data", hub, repo);
  assert.equal(fault.code, "backend");
  assert.equal(exitCodeFor(fault), 1);
  assert.match(fault.message, /listing acme\/data: the hub failed \(HTTP 503\) \(upstream timed out\)/);
  assert.match(fault.hint ?? "", /run again later/);
  const missing = await hubHttpError(new Response("", { status: 404 }), "listing acme/data", hub, repo);
  assert.equal(missing.code, "not_found");
  assert.equal(exitCodeFor(missing), 2);
  const gated = await hubHttpError(new Response("", { status: 401 }), "listing acme/data", hub, repo);
  assert.equal(gated.code, "auth");
  assert.equal(exitCodeFor(gated), 2);
});
