import type { Context, Hono } from "hono";
import { z } from "zod";
import { modelCard, modelChecks } from "../capmap/card.ts";
import { compareModels } from "../capmap/compare.ts";
import { modelProfile } from "../capmap/profile.ts";
import { BENCHMARKS, JUDGE_SCORE_SD } from "../capmap/scale.ts";
import { mapCategories, search } from "../capmap/service.ts";
import { ownItemScores } from "../capmap/sync.ts";
import { arenaBoards, benchmarkLeaderboard, mapOverview, warmViews } from "../capmap/views.ts";
import { fieldPath, httpStatusFor, ModelmapError } from "../core/errors.ts";
import type { AppEnv, RouteModule, ServerDeps } from "../server/app.ts";
import type { EvalSampleRecord } from "../store/evals.ts";
import type { Store } from "../store/store.ts";
import { html } from "./html.ts";
import { page } from "./layout.ts";
import { arenaPage, benchmarksPage } from "./pages-boards.ts";
import { judgedSetsSection, judgmentPage, judgmentsPage } from "./pages-judge.ts";
import { comparePage, mapPage, modelPage, searchPage } from "./pages-map.ts";
import { runPage, runsPage, samplePage } from "./pages-runs.ts";

const NAV: Array<[string, string]> = [
  ["/map", "Map"],
  ["/search", "Search"],
  ["/benchmarks", "Benchmarks"],
  ["/arena", "Arena"],
  ["/compare", "Compare"],
  ["/runs", "Runs"],
];

let navCache: Array<[string, string]> | undefined;

/**
 * Navigation of every registered feature. The registry imports this module, so it is read lazily (at the
 * first request) rather than imported at load time, which would be an import cycle.
 */
async function siteNav(): Promise<Array<[string, string]>> {
  if (!navCache) {
    const { ROUTE_MODULES } = await import("../server/routes.ts");
    const all = ROUTE_MODULES.flatMap((m) => m.nav ?? []);
    navCache = all.length ? all : NAV;
  }
  return navCache;
}

const num = z
  .string()
  .trim()
  .transform((s, ctx) => {
    if (s === "") return undefined;
    const n = Number(s);
    if (!Number.isFinite(n) || n < 0) {
      ctx.addIssue({ code: "custom", message: `expected a non-negative number, got '${s}'` });
      return z.NEVER;
    }
    return n;
  })
  .optional();
const flag = z
  .string()
  .optional()
  .transform((s) => s !== undefined && s !== "" && s !== "0" && s !== "false");
const text = z.string().trim().max(200).optional();

const mapQuery = z.object({
  q: text,
  max_params: num,
  license: text,
  min_categories: num,
  sort: text,
  limit: num,
  offset: num,
});
const boardQuery = z.object({
  source: text,
  sort: text,
  dir: z.enum(["asc", "desc"]).optional(),
  q: text,
  max_params: num,
  license: text,
  exclude_flagged: flag,
  exclude_merged: flag,
  page: num,
  page_size: num,
});
const searchQuery = z.object({
  category: text,
  max_params: num,
  min_params: num,
  license: text,
  top: num,
  exclude_flagged: flag,
  exclude_merged: flag,
});
const compareQuery = z.object({ a: text, b: text });
const runQuery = z.object({ task: text, page: num });

/** Validates query parameters; a bad one is a 400 naming the parameter. */
function parseQuery<T extends z.ZodType>(schema: T, c: Context<AppEnv>): z.output<T> {
  const r = schema.safeParse(c.req.query());
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new ModelmapError(
      "usage",
      `query parameter '${fieldPath(issue?.path ?? [])}': ${issue?.message ?? "invalid"}`,
    );
  }
  return r.data;
}

function param(c: Context<AppEnv>, name: string): string {
  const v = c.req.param(name);
  if (v === undefined) throw new ModelmapError("usage", `missing path parameter '${name}'`);
  return v;
}

function rawQuery(c: Context<AppEnv>): Record<string, string | undefined> {
  return c.req.query();
}

/** Renders an HTML page; errors become an HTML page with the status the one error mapping gives. */
function htmlRoute(
  title: string,
  body: (c: Context<AppEnv>) => ReturnType<typeof html> | { title: string; body: ReturnType<typeof html> },
) {
  return async (c: Context<AppEnv>) => {
    const nav = await siteNav();
    try {
      const out = body(c);
      const t = "title" in out ? out.title : title;
      const b = "title" in out ? out.body : out;
      return c.html(page({ title: t, path: c.req.path, nav, body: b }));
    } catch (e) {
      const status = httpStatusFor(e);
      if (status >= 500) throw e;
      const msg = e instanceof ModelmapError ? e.message : String(e);
      const hint = e instanceof ModelmapError ? e.hint : undefined;
      return c.html(
        page({
          title: "Not available",
          path: c.req.path,
          nav,
          body: html`<h1>${status === 404 ? "Not found" : "Bad request"}</h1><p id="error">${msg}</p>${hint ? html`<p class="muted">${hint}</p>` : ""}`,
        }),
        status as 400,
      );
    }
  };
}

function searchFor(store: Store, q: z.output<typeof searchQuery>) {
  const cats = mapCategories(store).map((x) => x.category);
  const category = q.category ?? cats[0];
  if (category === undefined) return { cats, result: undefined };
  const result = search(
    store,
    category,
    {
      maxParams: q.max_params,
      minParams: q.min_params,
      license: q.license,
      excludeFlagged: q.exclude_flagged,
      excludeMerged: q.exclude_merged,
    },
    { top: Math.min(200, Math.max(1, Math.round(q.top ?? 10))) },
  );
  return { cats, result };
}

function boardOpts(q: z.output<typeof boardQuery>) {
  return {
    source: q.source,
    sort: q.sort,
    dir: q.dir,
    q: q.q,
    maxParams: q.max_params,
    license: q.license,
    excludeFlagged: q.exclude_flagged,
    excludeMerged: q.exclude_merged,
    page: q.page === undefined ? undefined : Math.floor(q.page),
    pageSize: q.page_size === undefined ? 50 : Math.floor(q.page_size),
  };
}

function mapOpts(q: z.output<typeof mapQuery>) {
  const o: Parameters<typeof mapOverview>[1] = {
    limit: Math.min(200, Math.max(1, Math.round(q.limit ?? 40))),
    offset: Math.round(q.offset ?? 0),
  };
  if (q.q) o.q = q.q;
  if (q.max_params !== undefined) o.maxParams = q.max_params;
  if (q.license) o.license = q.license;
  if (q.min_categories !== undefined) o.minCategories = Math.round(q.min_categories);
  if (q.sort) o.sort = q.sort;
  return o;
}

function requireRun(store: Store, id: string) {
  const run = store.evals.getRun(id);
  if (!run) throw new ModelmapError("not_found", `no run '${id}'`, { hint: "see /runs for the recorded runs" });
  return run;
}

function samplesPage(store: Store, runId: string, task: string, page: number, pageSize: number): EvalSampleRecord[] {
  const out: EvalSampleRecord[] = [];
  let i = 0;
  const from = (page - 1) * pageSize;
  for (const s of store.evals.iterateSamples(runId, task)) {
    if (i >= from && out.length < pageSize) out.push(s);
    i++;
    if (out.length >= pageSize) break;
  }
  return out;
}

function findSample(store: Store, runId: string, task: string, doc: number): EvalSampleRecord {
  for (const s of store.evals.iterateSamples(runId, task)) if (s.docId === doc) return s;
  throw new ModelmapError("not_found", `no sample ${doc} of task '${task}' in run '${runId}'`);
}

function judgedSets(store: Store): Array<{ setName: string; judgments: number }> {
  return store.judging
    .listPromptSets()
    .map((s) => ({ setName: s.name, judgments: store.judging.judgments({ setName: s.name }).length }))
    .filter((s) => s.judgments > 0);
}

function requireJudgments(store: Store, setName: string) {
  const all = store.judging.judgments({ setName });
  if (all.length === 0) throw new ModelmapError("not_found", `no judgments for prompt set '${setName}'`);
  return all;
}

function judgmentDetail(store: Store, setName: string, key: string) {
  const judgment = requireJudgments(store, setName).find((j) => j.key === key);
  if (!judgment) throw new ModelmapError("not_found", `no judgment '${key}' in prompt set '${setName}'`);
  return {
    judgment,
    prompt: store.judging.promptItem(setName, judgment.promptId),
    first: store.judging.getAnswer(judgment.answerFirst),
    second: judgment.answerSecond === null ? undefined : store.judging.getAnswer(judgment.answerSecond),
  };
}

function runsOf(store: Store, modelId: string) {
  return store.evals.listRuns().filter((r) => r.modelId === modelId);
}

export const SCALE_DOC = {
  benchmark: "100 * (accuracy - random_baseline) / (100 - random_baseline), floored at 0; binomial 95% interval",
  rating: "100 / (1 + 10^((category_mean_rating - rating) / 400)): expected win rate vs the category's mean model",
  judge: `100 * (score - 1) / 9 for 1-10 grades; interval from per-item scores or an assumed sd of ${JUDGE_SCORE_SD}`,
  cell: "mean of the cell's evidence; 95% interval combining the pieces' standard errors as independent",
  benchmarks: BENCHMARKS,
};

const PAGE_SIZE = 50;

export const capmapRoutes: RouteModule = {
  name: "capmap",
  nav: NAV,
  register(app: Hono<AppEnv>, deps: ServerDeps) {
    const store = deps.store;
    // Build the in-memory map index and the leaderboards now, not on the first visitor's request.
    warmViews(store);
    app.get("/", (c) => c.redirect("/map"));

    app.get(
      "/map",
      htmlRoute("Capability map", (c) => {
        const q = parseQuery(mapQuery, c);
        const o = mapOpts(q);
        return mapPage(mapOverview(store, o), rawQuery(c), o.limit ?? 40);
      }),
    );
    app.get("/api/map", (c) => c.json({ ...mapOverview(store, mapOpts(parseQuery(mapQuery, c))), scale: SCALE_DOC }));
    app.get("/api/scale", (c) => c.json(SCALE_DOC));
    app.get("/api/categories", (c) => c.json({ categories: mapCategories(store) }));

    app.get(
      "/benchmarks",
      htmlRoute("Benchmarks", (c) =>
        benchmarksPage(benchmarkLeaderboard(store, boardOpts(parseQuery(boardQuery, c))), rawQuery(c)),
      ),
    );
    app.get("/api/benchmarks", (c) => c.json(benchmarkLeaderboard(store, boardOpts(parseQuery(boardQuery, c)))));

    app.get(
      "/arena",
      htmlRoute("Arena", (c) => arenaPage(arenaBoards(store), Math.max(0, Number(c.req.query("board") ?? 0) || 0))),
    );
    app.get("/api/arena", (c) => c.json({ boards: arenaBoards(store) }));

    app.get(
      "/search",
      htmlRoute("Search", (c) => {
        const q = parseQuery(searchQuery, c);
        const { cats, result } = searchFor(store, q);
        return searchPage(cats, { ...rawQuery(c), category: result?.category }, result);
      }),
    );
    app.get("/api/search", (c) => {
      const q = parseQuery(searchQuery, c);
      if (!q.category) throw new ModelmapError("usage", "query parameter 'category' is required");
      return c.json(searchFor(store, q).result);
    });

    app.get(
      "/models/:id{.+}",
      htmlRoute("Model", (c) => {
        const p = modelProfile(store, param(c, "id"));
        return { title: p.model.id, body: modelPage(p, runsOf(store, p.model.id), modelChecks(store, p.model.id)) };
      }),
    );
    app.get("/api/models/:id{.+}", (c) => {
      const p = modelProfile(store, param(c, "id"));
      return c.json({
        ...p,
        checks: modelChecks(store, p.model.id),
        runs: runsOf(store, p.model.id).map((r) => ({ id: r.id, status: r.status, createdAt: r.createdAt })),
      });
    });
    app.get("/card/:id{.+}", (c) => {
      const base = deps.baseUrl ?? new URL(c.req.url).origin;
      return c.body(modelCard(store, param(c, "id"), { baseUrl: base }), 200, {
        "Content-Type": "text/markdown; charset=utf-8",
      });
    });

    app.get(
      "/compare",
      htmlRoute("Compare", (c) => {
        const q = parseQuery(compareQuery, c);
        if (!q.a || !q.b) return comparePage(rawQuery(c), undefined);
        try {
          return comparePage(rawQuery(c), compareModels(store, q.a, q.b, ownItemScores(store)));
        } catch (e) {
          if (e instanceof ModelmapError && e.code === "not_found")
            return comparePage(rawQuery(c), undefined, e.message);
          throw e;
        }
      }),
    );
    app.get("/api/compare", (c) => {
      const q = parseQuery(compareQuery, c);
      if (!q.a || !q.b) throw new ModelmapError("usage", "query parameters 'a' and 'b' are required");
      return c.json(compareModels(store, q.a, q.b, ownItemScores(store)));
    });

    app.get(
      "/runs",
      htmlRoute("Runs", () => html`${runsPage(store.evals.listRuns())}${judgedSetsSection(judgedSets(store))}`),
    );
    app.get(
      "/judgments/:set",
      htmlRoute("Judgments", (c) => {
        const set = param(c, "set");
        const q = parseQuery(runQuery, c);
        const pg = Math.max(1, Math.floor(q.page ?? 1));
        const all = requireJudgments(store, set);
        return judgmentsPage(set, all.slice((pg - 1) * PAGE_SIZE, pg * PAGE_SIZE), all.length, pg, PAGE_SIZE);
      }),
    );
    app.get("/api/judgments/:set", (c) => {
      const q = parseQuery(runQuery, c);
      const pg = Math.max(1, Math.floor(q.page ?? 1));
      const all = requireJudgments(store, param(c, "set"));
      return c.json({ total: all.length, page: pg, judgments: all.slice((pg - 1) * PAGE_SIZE, pg * PAGE_SIZE) });
    });
    app.get(
      "/judgments/:set/:key",
      htmlRoute("Judgment", (c) => {
        const d = judgmentDetail(store, param(c, "set"), param(c, "key"));
        return judgmentPage(d.judgment, d.prompt, d.first, d.second);
      }),
    );
    app.get("/api/judgments/:set/:key", (c) => c.json(judgmentDetail(store, param(c, "set"), param(c, "key"))));
    app.get("/api/runs", (c) => c.json({ runs: store.evals.listRuns(), judgedSets: judgedSets(store) }));
    app.get(
      "/runs/:id",
      htmlRoute("Run", (c) => {
        const run = requireRun(store, param(c, "id"));
        const q = parseQuery(runQuery, c);
        const pg = Math.max(1, Math.floor(q.page ?? 1));
        const samples = q.task ? samplesPage(store, run.id, q.task, pg, PAGE_SIZE) : [];
        return {
          title: `Run ${run.id}`,
          body: runPage(run, store.evals.sampleTasks(run.id), q.task, samples, pg, PAGE_SIZE),
        };
      }),
    );
    app.get("/api/runs/:id", (c) => {
      const run = requireRun(store, param(c, "id"));
      const q = parseQuery(runQuery, c);
      const pg = Math.max(1, Math.floor(q.page ?? 1));
      return c.json({
        run,
        tasks: store.evals.sampleTasks(run.id),
        samples: q.task ? samplesPage(store, run.id, q.task, pg, PAGE_SIZE) : [],
      });
    });
    app.get(
      "/runs/:id/samples/:task/:doc",
      htmlRoute("Sample", (c) => {
        const run = requireRun(store, param(c, "id"));
        const s = findSample(store, run.id, param(c, "task"), Number(param(c, "doc")));
        const d = (s.data ?? {}) as Record<string, unknown>;
        return samplePage(run, s, typeof d.rationale === "string" ? d.rationale : undefined);
      }),
    );
    app.get("/api/runs/:id/samples/:task/:doc", (c) => {
      const run = requireRun(store, param(c, "id"));
      return c.json(findSample(store, run.id, param(c, "task"), Number(param(c, "doc"))));
    });
  },
};
