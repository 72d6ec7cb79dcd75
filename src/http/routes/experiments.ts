/**
 * Online experiments and which signal to trust: the experiments page (effects with 95% intervals, sample-ratio
 * warnings, the orderings per use case) and the meta-evaluation page per category, with their JSON, through the
 * services `modelmap ab list|show|ranking` and `modelmap meta` use (docs/ab-testing.md, docs/capability-map.md).
 */
import { Hono } from "hono";
import { z } from "zod";
import { abOrderings, analyzedExperiments, requireExperiment } from "../../ab/service.ts";
import { storedMetaReports } from "../../meta/service.ts";
import { type AppEnv, type RouteModule, renderPage } from "../app.ts";
import { experimentPage, experimentsPage, signalsPage } from "../pages/experiments.ts";
import { query, text } from "../validate.ts";

const categoryQuery = z.object({ category: text });
/** A page computes the orderings' intervals on each request: fewer rounds than the CLI's 1000. */
const PAGE_BOOTSTRAP = 200;

export const experimentRoutes: RouteModule = {
  name: "experiments",
  nav: [
    { path: "/experiments", label: "Experiments", order: 55 },
    { path: "/signals", label: "Signals", order: 57 },
  ],
  routes(deps) {
    const store = deps.store;
    const app = new Hono<AppEnv>();
    const categories = async () => [...new Set((await analyzedExperiments(store)).map((a) => a.category))].sort();

    app.get("/experiments", query(categoryQuery), async (c) => {
      const category = c.req.valid("query").category?.toLowerCase();
      const list = await analyzedExperiments(store, category);
      const orderings = await abOrderings(store, { category, bootstrap: PAGE_BOOTSTRAP });
      return renderPage(c, "Experiments", experimentsPage(list, orderings, await categories(), category));
    });
    app.get("/experiments/:id", async (c) =>
      renderPage(c, "Experiment", experimentPage((await requireExperiment(store, c.req.param("id"))).analysis)),
    );
    app.get("/api/experiments", query(categoryQuery), async (c) => {
      const category = c.req.valid("query").category?.toLowerCase();
      return c.json({
        experiments: await analyzedExperiments(store, category),
        orderings: await abOrderings(store, { category, bootstrap: PAGE_BOOTSTRAP }),
      });
    });
    app.get("/api/experiments/:id", async (c) => c.json(await requireExperiment(store, c.req.param("id"))));

    const metaCategories = async () => [...new Set((await storedMetaReports(store)).map((m) => m.category))].sort();
    app.get("/signals", async (c) =>
      renderPage(
        c,
        "Which signal to trust",
        signalsPage(await storedMetaReports(store), await metaCategories(), undefined),
      ),
    );
    app.get("/signals/:category", async (c) => {
      const category = c.req.param("category").toLowerCase();
      return renderPage(
        c,
        `Signals: ${category}`,
        signalsPage(await storedMetaReports(store, category), await metaCategories(), category),
      );
    });
    app.get("/api/signals", async (c) => c.json({ reports: await storedMetaReports(store) }));
    app.get("/api/signals/:category", async (c) =>
      c.json({ reports: await storedMetaReports(store, c.req.param("category").toLowerCase()) }),
    );
    return app;
  },
};
