/**
 * The benchmark harness's runs: the run browser pages and the one run API, through the same service functions
 * as `modelmap runs list|show`, `compare` and `tasks list`. `GET /api/runs/RUN` answers exactly what
 * `modelmap runs show RUN --format json` prints. The `/api/eval/...` paths are the older spellings, kept as
 * aliases answering the same shapes.
 */
import { Hono } from "hono";
import { z } from "zod";
import { ModelmapError } from "../../core/errors.ts";
import { judgedSets } from "../../judge/browse.ts";
import { digestPage, digestSample, primaryMetric, resultRows, sampleDiff } from "../../runner/sample-view.ts";
import { compareRuns, loadRegistry } from "../../runner/service.ts";
import { listRuns, runSample, runSamples, sampleView, showRun, taskCatalog } from "../../runner/views.ts";
import { viewerOf } from "../access.ts";
import { type AppEnv, type RouteModule, renderPage } from "../app.ts";
import { html } from "../html.ts";
import { judgedSetsSection } from "../pages/judgments.ts";
import { compareRunsPage, runPage, runsPage, samplePage } from "../pages/runs.ts";
import { count, params, query, text } from "../validate.ts";

const PAGE_SIZE = 50;

const runPageQuery = z.object({
  task: text,
  page: count,
  outcome: z.enum(["", "pass", "fail", "error", "scored"]).optional(),
  q: text,
});
const compareRunsQuery = z.object({ a: text, b: text, task: text, all: text });
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

    app.get("/runs", async (c) => {
      const viewer = viewerOf(c, deps);
      return renderPage(
        c,
        "Runs",
        html`${runsPage(await listRuns(store))}${judgedSetsSection(await judgedSets(store, viewer))}`,
      );
    });
    // Registered before /runs/:id, which would otherwise take "compare" for a run id.
    app.get("/runs/compare", query(compareRunsQuery), async (c) => {
      const q = c.req.valid("query");
      const runs = await listRuns(store);
      const shown = { a: q.a, b: q.b, task: q.task, all: q.all };
      if (!q.a || !q.b) return renderPage(c, "Compare runs", compareRunsPage(runs, shown, undefined, undefined));
      try {
        const cmp = await compareRuns(store, q.a, q.b);
        const diff = q.task
          ? await sampleDiff(store, cmp.runA, cmp.runB, q.task, {
              all: Boolean(q.all),
              primary: primaryMetric((await showRun(store, cmp.runA)).results, q.task),
            })
          : undefined;
        return renderPage(c, "Compare runs", compareRunsPage(runs, shown, cmp, diff));
      } catch (e) {
        // An unknown run is shown on the form, not as an error page.
        if (e instanceof ModelmapError && e.code === "not_found")
          return renderPage(c, "Compare runs", compareRunsPage(runs, shown, undefined, undefined, e.message));
        throw e;
      }
    });
    app.get("/runs/:id", query(runPageQuery), async (c) => {
      const run = await showRun(store, c.req.param("id"));
      const q = c.req.valid("query");
      const filter = { outcome: q.outcome || undefined, q: q.q };
      const samples = q.task
        ? await digestPage(store, run.id, q.task, filter, {
            page: q.page,
            pageSize: PAGE_SIZE,
            primary: primaryMetric(run.results, q.task),
          })
        : undefined;
      const rows = resultRows({ ...run.results, ...run.groups });
      return renderPage(
        c,
        `Run ${run.id}`,
        runPage(run, rows, samples, { ...(q.outcome ? { outcome: q.outcome } : {}), ...(q.q ? { q: q.q } : {}) }),
      );
    });
    app.get("/runs/:id/samples/:task/:doc", params(sampleParams), async (c) => {
      const p = c.req.valid("param");
      const run = await showRun(store, p.id);
      const s = await runSample(store, run.id, p.task, p.doc);
      const view = sampleView(s);
      return renderPage(
        c,
        "Sample",
        samplePage(run, digestSample(view, primaryMetric(run.results, p.task)), view, s.rationale),
      );
    });

    for (const base of ["/api/runs", "/api/eval/runs"]) {
      app.get(base, async (c) => c.json({ runs: await listRuns(store) }));
      app.get(`${base}/:id`, async (c) => c.json(await showRun(store, c.req.param("id"))));
      app.get(`${base}/:id/samples/:task`, query(pageQuery), async (c) =>
        c.json(
          await runSamples(store, c.req.param("id"), c.req.param("task"), {
            page: c.req.valid("query").page,
            pageSize: PAGE_SIZE,
          }),
        ),
      );
      app.get(`${base}/:id/samples/:task/:doc`, params(sampleParams), async (c) => {
        const p = c.req.valid("param");
        return c.json(sampleView(await runSample(store, p.id, p.task, p.doc)));
      });
    }
    app.get("/api/runs/:id/digest/:task", query(runPageQuery), async (c) => {
      const run = await showRun(store, c.req.param("id"));
      const task = c.req.param("task");
      const q = c.req.valid("query");
      return c.json(
        await digestPage(
          store,
          run.id,
          task,
          { outcome: q.outcome || undefined, q: q.q },
          { page: q.page, pageSize: PAGE_SIZE, primary: primaryMetric(run.results, task) },
        ),
      );
    });
    app.get("/api/runs/compare/:task", query(compareQuery), async (c) => {
      const q = c.req.valid("query");
      const task = c.req.param("task");
      const primary = primaryMetric((await showRun(store, q.a)).results, task);
      return c.json(await sampleDiff(store, q.a, q.b, task, { primary }));
    });
    app.get("/api/eval/compare", query(compareQuery), async (c) => {
      const q = c.req.valid("query");
      const opts: { seed?: number; iterations?: number } = {};
      if (q.seed !== undefined) opts.seed = q.seed;
      if (q.iterations !== undefined) opts.iterations = q.iterations;
      return c.json(await compareRuns(store, q.a, q.b, opts));
    });
    app.get("/api/eval/tasks", (c) => c.json(taskCatalog(loadRegistry())));
    return app;
  },
};
