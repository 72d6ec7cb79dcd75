/**
 * LLM-judge verdicts and grades, as stored by `modelmap judge`: a page per judged prompt set and per judgment
 * (the prompt, the answers in the order the judge saw them, the outcome and the rationale), and their JSON.
 * A secret set, or one under a blind labeling campaign, opens only with the admin token (`judge/browse.ts`).
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import { judgedSets, judgmentDetail, listJudgments } from "../../judge/browse.ts";
import { viewerOf } from "../access.ts";
import { type AppEnv, type RouteModule, renderPage } from "../app.ts";
import { judgmentPage, judgmentsPage } from "../pages/judgments.ts";
import { count, query } from "../validate.ts";

const PAGE_SIZE = 50;
const pageQuery = z.object({ page: count });

export const judgmentRoutes: RouteModule = {
  name: "judgments",
  routes(deps) {
    const store = deps.store;
    const app = new Hono<AppEnv>();
    const viewer = (c: Context<AppEnv>) => viewerOf(c, deps);
    const page = (c: Context<AppEnv>, p: number | undefined) =>
      listJudgments(store, c.req.param("set") ?? "", viewer(c), { page: p, pageSize: PAGE_SIZE });
    const detail = (c: Context<AppEnv>) =>
      judgmentDetail(store, c.req.param("set") ?? "", c.req.param("key") ?? "", viewer(c));
    app.get("/judgments/:set", query(pageQuery), async (c) =>
      renderPage(c, "Judgments", judgmentsPage(await page(c, c.req.valid("query").page))),
    );
    app.get("/judgments/:set/:key", async (c) => renderPage(c, "Judgment", judgmentPage(await detail(c))));
    app.get("/api/judgments", async (c) => c.json({ sets: await judgedSets(store, viewer(c)) }));
    app.get("/api/judgments/:set", query(pageQuery), async (c) => c.json(await page(c, c.req.valid("query").page)));
    app.get("/api/judgments/:set/:key", async (c) => c.json(await detail(c)));
    return app;
  },
};
