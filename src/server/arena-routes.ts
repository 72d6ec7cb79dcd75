import { z } from "zod";
import { intervalChartSvg } from "../arena/plot.ts";
import { rankCounts } from "../arena/rank.ts";
import { loadVotes } from "../arena/sources.ts";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import type { RouteModule } from "./app.ts";

/**
 * JSON API over stored votes, the same services as `modelmap votes list` and `modelmap rank --source`:
 *   GET /api/votes/sources
 *   GET /api/rank?source=S&filter=field=value&anchor=MODEL=R&bootstrap=N&seed=S&ci=0.95&method=bt|elo&matrix=KIND
 *   GET /api/rank.svg?...   the interval chart for the same query
 */
const query = z.object({
  source: z.array(z.string().min(1)).default([]),
  filter: z
    .array(z.string().regex(/^[a-z_]+=.*$/, "expected field=value"))
    .default([])
    .transform((fs) => fs.map((f) => ({ field: f.slice(0, f.indexOf("=")), value: f.slice(f.indexOf("=") + 1) }))),
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

function parseQuery(url: string) {
  const params = new URL(url).searchParams;
  const raw: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    raw[key] = key === "source" || key === "filter" ? params.getAll(key) : params.get(key);
  }
  const parsed = query.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ModelmapError("usage", `query parameter '${fieldPath(issue.path)}': ${issue.message}`);
  }
  return parsed.data;
}

export const arenaRoutes: RouteModule = {
  name: "arena",
  register(app, deps) {
    const rank = (url: string) => {
      const q = parseQuery(url);
      const loaded = loadVotes({ sources: q.source, filters: q.filter, store: () => deps.store });
      const report = rankCounts(
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
      return { q, report };
    };
    app.get("/api/votes/sources", (c) => c.json({ sources: deps.store.votes.sources() }));
    app.get("/api/rank", (c) => c.json(rank(c.req.url).report));
    app.get("/api/rank.svg", (c) => {
      const { q, report } = rank(c.req.url);
      const svg = intervalChartSvg(
        report.models.map((m) => ({
          label: m.model,
          estimate: m.rating,
          lower: m.ci_lower,
          upper: m.ci_upper,
          group: m.tier,
        })),
        {
          title: `${q.method === "bt" ? "Bradley-Terry" : "Elo"} ratings, ${q.ci * 100}% bootstrap intervals`,
          xLabel: "rating",
        },
      );
      return c.body(svg, 200, { "Content-Type": "image/svg+xml; charset=utf-8" });
    });
  },
};
