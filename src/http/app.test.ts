import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { MiddlewareHandler } from "hono";
import { openStore } from "../store/sqlite/index.ts";
import { type AppEnv, createApp } from "./app.ts";
import { ROUTE_MODULES } from "./routes/index.ts";

test("bad input answers one error shape from every module: 400, code 'input', the field named", async () => {
  const store = openStore(":memory:");
  try {
    const app = createApp({ store, adminToken: "t" }, ROUTE_MODULES);
    const admin = (body: unknown): RequestInit => ({
      method: "POST",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const cases: Array<[string, RequestInit | undefined, string]> = [
      ["/api/map?limit=lots", undefined, "limit"],
      ["/api/benchmarks?page=-2", undefined, "page"],
      ["/api/search?category=math&top=x", undefined, "top"],
      ["/api/rank?bootstrap=-1", undefined, "bootstrap"],
      ["/api/checks/contamination?x=1", undefined, "x"],
      ["/api/eval/compare?a=x", undefined, "b"],
      ["/api/judgments/s?page=no", undefined, "page"],
      ["/api/runs/r/samples/t/one", undefined, "doc"],
      ["/api/admin/labeling/campaigns", admin({ name: "c", set: "s", models: ["m"] }), "models"],
      ["/api/admin/labeling/campaigns", admin({ name: "c", set: "s", models: ["m", "n"], colour: 1 }), "colour"],
    ];
    for (const [path, init, field] of cases) {
      const res = await app.request(path, init);
      assert.equal(res.status, 400, path);
      const body = (await res.json()) as { error: { code: string; message: string; field?: string } };
      assert.equal(body.error.code, "input", path);
      assert.equal(body.error.field, field, path);
      assert.match(body.error.message, new RegExp(`field '${field}'`), path);
    }
  } finally {
    await store.close();
  }
});

test("errors under /api/ are JSON; on any other path they are a page in the site's shell", async () => {
  const store = openStore(":memory:");
  try {
    const app = createApp({ store }, ROUTE_MODULES);
    const api = await app.request("/api/models/nobody/here");
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, "not_found");
    const page = await app.request("/models/nobody/here");
    assert.equal(page.status, 404);
    assert.match(page.headers.get("content-type") ?? "", /text\/html/);
    const text = await page.text();
    assert.match(text, /<nav>.*Map.*Label/s);
    assert.match(text, /<p id="error">no model &#39;nobody\/here&#39; in the map<\/p>/);
    const bad = await app.request("/map?limit=lots");
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /<h1>Bad request<\/h1><p id="error">field &#39;limit&#39;: expected a non-negative/);
    assert.equal((await app.request("/api/nothing-here")).headers.get("content-type"), "application/json");
    assert.equal((await app.request("/nothing-here")).status, 404);
  } finally {
    await store.close();
  }
});

test("the navigation comes from the modules, in their order; server-wide middleware runs on every route", async () => {
  const store = openStore(":memory:");
  try {
    const seen: string[] = [];
    const mark: MiddlewareHandler<AppEnv> = async (c, next) => {
      seen.push(c.req.path);
      await next();
      c.header("X-Seen", "1");
    };
    const app = createApp({ store }, ROUTE_MODULES, { use: [mark] });
    const html = await (await app.request("/runs")).text();
    const labels = [...html.matchAll(/<nav>(.*?)<\/nav>/gs)].flatMap((m) =>
      [...(m[1] ?? "").matchAll(/>([^<]+)<\/a>/g)].map((x) => x[1]),
    );
    assert.deepEqual(labels, [
      "Map",
      "Search",
      "Benchmarks",
      "Arena",
      "Compare",
      "Experiments",
      "Signals",
      "Runs",
      "Queue",
      "Label",
    ]);
    for (const p of ["/map", "/api/runs", "/label", "/api/checks/sensitivity", "/assets/label.js", "/nowhere"]) {
      const res = await app.request(p);
      assert.equal(res.headers.get("x-seen"), "1", p);
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/, p);
    }
    const post = await app.request("/api/label/signup", { method: "POST", body: "{}" });
    assert.equal(post.status, 401);
    assert.equal(post.headers.get("x-seen"), "1");
    assert.ok(seen.includes("/api/label/signup"));
  } finally {
    await store.close();
  }
});

test("routes and pages make no store calls: they go through services", () => {
  const dir = join(import.meta.dirname);
  const files = [
    ...readdirSync(join(dir, "routes")).map((f) => join(dir, "routes", f)),
    ...readdirSync(join(dir, "pages")).map((f) => join(dir, "pages", f)),
  ].filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
  assert.ok(files.length >= 10);
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const call =
      /\b(?:store|svc\.store|deps\.store)\.(?:evals|judging|votes|checks|labeling|capmap|groupCommit)\b/.exec(text);
    assert.equal(call, null, `${f} calls the store directly: ${call?.[0]}`);
  }
});
