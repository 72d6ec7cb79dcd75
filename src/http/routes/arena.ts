/**
 * Pairwise ratings. The arena page and `/api/arena`: every rating board of the map (imported Arena tables and
 * modelmap's own votes). And the JSON API over stored votes, the same services as `modelmap votes list` and
 * `modelmap rank --source`:
 *   GET /api/votes/sources
 *   GET /api/rank?source=S&filter=field=value&anchor=MODEL=R&bootstrap=N&seed=S&ci=0.95&method=bt|elo&matrix=KIND
 *   GET /api/rank.svg?...   the interval chart for the same query
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { rankChartSvg } from "../../arena/plot.ts";
import { rankCounts } from "../../arena/rank.ts";
import { loadVotes, rankableSources, voteSources } from "../../arena/sources.ts";
import { arenaBoards } from "../../capmap/views.ts";
import type { Viewer } from "../../core/access.ts";
import { viewerOf } from "../access.ts";
import { type AppEnv, type RouteModule, renderPage, type ServerDeps } from "../app.ts";
import { arenaPage } from "../pages/boards.ts";
import { count, many, query } from "../validate.ts";

const rankQuery = z.object({
  source: many(z.string().min(1)),
  filter: many(z.string().regex(/^[a-z_]+=.*$/, "expected field=value")).transform((fs) =>
    fs.map((f) => ({ field: f.slice(0, f.indexOf("=")), value: f.slice(f.indexOf("=") + 1) })),
  ),
  anchor: z
    .string()
    .regex(/^.+=-?\d+(\.\d+)?$/, "expected MODEL=RATING")
    .transform((s) => ({ model: s.slice(0, s.lastIndexOf("=")), rating: Number(s.slice(s.lastIndexOf("=") + 1)) }))
    .optional(),
  // Bootstrap rounds are capped lower than on the CLI: a request should not hold the server for long.
  bootstrap: z.coerce.number().int().min(0).max(2000).default(1000),
  seed: z.coerce.number().int().min(0).default(42),
  ci: z.coerce.number().min(0.5).max(0.999).default(0.95),
  method: z.enum(["bt", "elo"]).default("bt"),
  matrix: z.enum(["winrate", "predicted", "battles"]).optional(),
});

const boardQuery = z.object({ board: count });

async function rank(deps: ServerDeps, viewer: Viewer, q: z.output<typeof rankQuery>) {
  const sources = await rankableSources(deps.store, viewer, q.source);
  const loaded = await loadVotes({ sources, filters: q.filter, store: async () => deps.store });
  return rankCounts(
    loaded.counts,
    {
      method: q.method,
      bootstrap: q.bootstrap,
      seed: q.seed,
      ci: q.ci,
      ...(q.anchor ? { anchor: q.anchor } : {}),
      ...(q.matrix ? { matrix: q.matrix } : {}),
    },
    loaded.votes,
  );
}

export const arenaRoutes: RouteModule = {
  name: "arena",
  nav: [{ path: "/arena", label: "Arena", order: 40 }],
  routes(deps) {
    const app = new Hono<AppEnv>();
    app.get("/arena", query(boardQuery), async (c) =>
      renderPage(c, "Arena", arenaPage(await arenaBoards(deps.store), Math.floor(c.req.valid("query").board ?? 0))),
    );
    app.get("/api/arena", async (c) => c.json({ boards: await arenaBoards(deps.store) }));
    app.get("/api/votes/sources", async (c) => c.json({ sources: await voteSources(deps.store) }));
    // A blind labeling campaign's votes are ranked for the admin only (`rankableSources`).
    const viewer = (c: Context<AppEnv>) => viewerOf(c, deps);
    app.get("/api/rank", query(rankQuery), async (c) => c.json(await rank(deps, viewer(c), c.req.valid("query"))));
    app.get("/api/rank.svg", query(rankQuery), async (c) => {
      const q = c.req.valid("query");
      const svg = rankChartSvg(await rank(deps, viewer(c), q), q);
      return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
    });
    return app;
  },
};
