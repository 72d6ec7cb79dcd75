/**
 * The capability map's pages and their JSON twins: the heatmap, search, benchmark leaderboards, model pages
 * and cards, and model comparison. Every page and API call goes through the capmap services the CLI uses
 * (`map`, `search`, `leaderboard`, `card`, `compare-models`).
 */
import { Hono } from "hono";
import { z } from "zod";
import { modelCard, modelChecks } from "../../capmap/card.ts";
import { compareModels } from "../../capmap/compare.ts";
import { modelProfile } from "../../capmap/profile.ts";
import { BENCHMARKS, JUDGE_SCORE_SD } from "../../capmap/scale.ts";
import { mapCategories, search } from "../../capmap/service.ts";
import { ownItemScores } from "../../capmap/sync.ts";
import { benchmarkLeaderboard, mapOverview, warmViews } from "../../capmap/views.ts";
import { ModelmapError } from "../../core/errors.ts";
import { listRuns } from "../../runner/views.ts";
import { type AppEnv, type RouteModule, renderPage } from "../app.ts";
import { benchmarksPage } from "../pages/boards.ts";
import { cardPage, comparePage, mapPage, modelPage, searchPage } from "../pages/map.ts";
import { count, flag, many, query, text } from "../validate.ts";

const clamp = (lo: number, hi: number) => (n: number) => Math.min(hi, Math.max(lo, Math.round(n)));

// Each query schema turns the page's parameters into the service's options; the caps are the server's (a
// request should not ask for the whole map at once).
const mapQuery = z
  .object({
    q: text,
    max_params: count,
    license: text,
    min_categories: count,
    sort: text,
    limit: count,
    offset: count,
  })
  .transform((q) => {
    const o: Parameters<typeof mapOverview>[1] = {
      limit: clamp(1, 200)(q.limit ?? 40),
      offset: Math.round(q.offset ?? 0),
    };
    if (q.q) o.q = q.q;
    if (q.max_params !== undefined) o.maxParams = q.max_params;
    if (q.license) o.license = q.license;
    if (q.min_categories !== undefined) o.minCategories = Math.round(q.min_categories);
    if (q.sort) o.sort = q.sort;
    return o;
  });

const boardQuery = z
  .object({
    source: text,
    sort: text,
    dir: z.enum(["asc", "desc"]).optional(),
    q: text,
    max_params: count,
    license: text,
    exclude_flagged: flag,
    exclude_merged: flag,
    page: count,
    page_size: count,
    cols: many(z.string().trim().min(1)),
  })
  .transform((q) => ({
    columns: q.cols,
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
  }));

const searchFields = {
  category: text,
  max_params: count,
  min_params: count,
  license: text,
  top: count,
  exclude_flagged: flag,
  exclude_merged: flag,
};
const toSearch = <C>(q: z.output<z.ZodObject<typeof searchFields>> & { category: C }) => ({
  category: q.category,
  filters: {
    maxParams: q.max_params,
    minParams: q.min_params,
    license: q.license,
    excludeFlagged: q.exclude_flagged,
    excludeMerged: q.exclude_merged,
  },
  top: clamp(1, 200)(q.top ?? 10),
});
// The page starts on the map's first category; the API asks for one.
const searchQuery = z.object(searchFields).transform(toSearch);
const searchApiQuery = z.object({ ...searchFields, category: z.string().trim().min(1) }).transform(toSearch);

const compareQuery = z.object({ a: text, b: text });
const compareApiQuery = z.object({ a: z.string().trim().min(1), b: z.string().trim().min(1) });

export const SCALE_DOC = {
  benchmark: "100 * (accuracy - random_baseline) / (100 - random_baseline), floored at 0; binomial 95% interval",
  rating: "100 / (1 + 10^((category_mean_rating - rating) / 400)): expected win rate vs the category's mean model",
  judge: `100 * (score - 1) / 9 for 1-10 grades; interval from per-item scores or an assumed sd of ${JUDGE_SCORE_SD}`,
  cell: "mean of the cell's evidence; 95% interval combining the pieces' standard errors as independent",
  benchmarks: BENCHMARKS,
};

export const mapRoutes: RouteModule = {
  name: "map",
  nav: [
    { path: "/map", label: "Map", order: 10 },
    { path: "/search", label: "Search", order: 20 },
    { path: "/benchmarks", label: "Benchmarks", order: 30 },
    { path: "/compare", label: "Compare", order: 50 },
  ],
  routes(deps) {
    const store = deps.store;
    const app = new Hono<AppEnv>();
    // Build the in-memory map index and the leaderboards now, not on the first visitor's request.
    // Not awaited: a failure here shows on the first request that needs the views.
    warmViews(store).catch(() => {});
    app.get("/", (c) => c.redirect("/map"));

    app.get("/map", query(mapQuery), async (c) => {
      const o = c.req.valid("query");
      return renderPage(c, "Capability map", mapPage(await mapOverview(store, o), c.req.query(), o.limit ?? 40));
    });
    app.get("/api/map", query(mapQuery), async (c) =>
      c.json({ ...(await mapOverview(store, c.req.valid("query"))), scale: SCALE_DOC }),
    );
    app.get("/api/scale", (c) => c.json(SCALE_DOC));
    app.get("/api/categories", async (c) => c.json({ categories: await mapCategories(store) }));

    app.get("/benchmarks", query(boardQuery), async (c) =>
      renderPage(
        c,
        "Benchmarks",
        benchmarksPage(
          await benchmarkLeaderboard(store, c.req.valid("query")),
          c.req.query(),
          c.req.queries("cols") ?? [],
        ),
      ),
    );
    app.get("/api/benchmarks", query(boardQuery), async (c) =>
      c.json(await benchmarkLeaderboard(store, c.req.valid("query"))),
    );

    app.get("/search", query(searchQuery), async (c) => {
      const q = c.req.valid("query");
      const categories = (await mapCategories(store)).map((x) => x.category);
      const category = q.category ?? categories[0];
      const result = category === undefined ? undefined : await search(store, category, q.filters, { top: q.top });
      return renderPage(c, "Search", searchPage(categories, { ...c.req.query(), category }, result));
    });
    app.get("/api/search", query(searchApiQuery), async (c) => {
      const q = c.req.valid("query");
      return c.json(await search(store, q.category, q.filters, { top: q.top }));
    });

    app.get("/models/:id{.+}", async (c) => {
      const p = await modelProfile(store, c.req.param("id"));
      return renderPage(
        c,
        p.model.id,
        modelPage(p, await listRuns(store, { model: p.model.id }), await modelChecks(store, p.model.id)),
      );
    });
    app.get("/api/models/:id{.+}", async (c) => {
      const p = await modelProfile(store, c.req.param("id"));
      return c.json({
        ...p,
        checks: await modelChecks(store, p.model.id),
        runs: await listRuns(store, { model: p.model.id }),
      });
    });
    // The card as a page: its markdown rendered through the safe renderer (every character escaped first).
    app.get("/cards/:id{.+}", async (c) => {
      const base = deps.baseUrl ?? new URL(c.req.url).origin;
      const id = c.req.param("id");
      return renderPage(c, `Card: ${id}`, cardPage(id, await modelCard(store, id, { baseUrl: base })));
    });
    app.get("/card/:id{.+}", async (c) => {
      const base = deps.baseUrl ?? new URL(c.req.url).origin;
      return c.body(await modelCard(store, c.req.param("id"), { baseUrl: base }), 200, {
        "Content-Type": "text/markdown; charset=utf-8",
      });
    });

    app.get("/compare", query(compareQuery), async (c) => {
      const q = c.req.valid("query");
      const raw = c.req.query();
      if (!q.a || !q.b) return renderPage(c, "Compare", comparePage(raw, undefined));
      try {
        return renderPage(
          c,
          "Compare",
          comparePage(raw, await compareModels(store, q.a, q.b, await ownItemScores(store))),
        );
      } catch (e) {
        // An unknown model is shown on the form, not as an error page.
        if (e instanceof ModelmapError && e.code === "not_found")
          return renderPage(c, "Compare", comparePage(raw, undefined, e.message));
        throw e;
      }
    });
    app.get("/api/compare", query(compareApiQuery), async (c) => {
      const q = c.req.valid("query");
      return c.json(await compareModels(store, q.a, q.b, await ownItemScores(store)));
    });
    return app;
  },
};
