/**
 * The benchmark harness's runs: the run browser pages and the one run API, through the same service functions
 * as `modelmap runs list|show`, `compare` and `tasks list`. `GET /api/runs/RUN` answers exactly what
 * `modelmap runs show RUN --format json` prints. The `/api/eval/...` paths are the older spellings, kept as
 * aliases answering the same shapes.
 */
import { Hono } from "hono";
import { z } from "zod";
import { judgedSets } from "../../judge/browse.ts";
import { compareRuns, loadRegistry } from "../../runner/service.ts";
import { listRuns, runSample, runSamples, showRun, taskCatalog } from "../../runner/views.ts";
import { viewerOf } from "../access.ts";
import { type AppEnv, type RouteModule, renderPage } from "../app.ts";
import { html } from "../html.ts";
import { judgedSetsSection } from "../pages/judgments.ts";
import { runPage, runsPage, samplePage } from "../pages/runs.ts";
import { count, params, query, text } from "../validate.ts";

const PAGE_SIZE = 50;

const runPageQuery = z.object({ task: text, page: count });
const pageQuery = z.object({ page: count });
const sampleParams = z.object({
  id: z.string(),
  task: z.string(),
  doc: z.coerce.number().int().min(0),
});
const compareQuery = z.strictObject({
  a: z.string().min(1),
  b: z.string().min(1),
  seed: z.coerce.number().int().optional(),
  iterations: z.coerce.number().int().min(100).max(100_000).optional(),
});

export const runRoutes: RouteModule = {
  name: "runs",
  nav: [{ path: "/runs", label: "Runs", order: 60 }],
  routes(deps) {
    const store = deps.store;
    const app = new Hono<AppEnv>();

    app.get("/runs", (c) => {
      const viewer = viewerOf(c, deps);
      return renderPage(c, "Runs", html`${runsPage(listRuns(store))}${judgedSetsSection(judgedSets(store, viewer))}`);
    });
    app.get("/runs/:id", query(runPageQuery), (c) => {
      const run = showRun(store, c.req.param("id"));
      const q = c.req.valid("query");
      const samples = q.task ? runSamples(store, run.id, q.task, { page: q.page, pageSize: PAGE_SIZE }) : undefined;
      return renderPage(c, `Run ${run.id}`, runPage(run, q.task, samples));
    });
    app.get("/runs/:id/samples/:task/:doc", params(sampleParams), (c) => {
      const p = c.req.valid("param");
      const run = showRun(store, p.id);
      const s = runSample(store, run.id, p.task, p.doc);
      const d = (s.data ?? {}) as Record<string, unknown>;
      return renderPage(c, "Sample", samplePage(run, s, typeof d.rationale === "string" ? d.rationale : undefined));
    });

    for (const base of ["/api/runs", "/api/eval/runs"]) {
      app.get(base, (c) => c.json({ runs: listRuns(store) }));
      app.get(`${base}/:id`, (c) => c.json(showRun(store, c.req.param("id"))));
      app.get(`${base}/:id/samples/:task`, query(pageQuery), (c) =>
        c.json(
          runSamples(store, c.req.param("id"), c.req.param("task"), {
            page: c.req.valid("query").page,
            pageSize: PAGE_SIZE,
          }),
        ),
      );
      app.get(`${base}/:id/samples/:task/:doc`, params(sampleParams), (c) => {
        const p = c.req.valid("param");
        return c.json(runSample(store, p.id, p.task, p.doc));
      });
    }
    app.get("/api/eval/compare", query(compareQuery), (c) => {
      const q = c.req.valid("query");
      const opts: { seed?: number; iterations?: number } = {};
      if (q.seed !== undefined) opts.seed = q.seed;
      if (q.iterations !== undefined) opts.iterations = q.iterations;
      return c.json(compareRuns(store, q.a, q.b, opts));
    });
    app.get("/api/eval/tasks", (c) => c.json(taskCatalog(loadRegistry())));
    return app;
  },
};
