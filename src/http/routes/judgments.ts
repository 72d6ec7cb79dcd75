/**
 * LLM-judge verdicts and grades, as stored by `modelmap judge`: a page per judged prompt set and per judgment
 * (the prompt, the answers in the order the judge saw them, the outcome and the rationale), and their JSON.
 */
import { Hono } from "hono";
import { z } from "zod";
import { judgedSets, judgmentDetail, listJudgments } from "../../judge/browse.ts";
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
    app.get("/judgments/:set", query(pageQuery), (c) => {
      const list = listJudgments(store, c.req.param("set"), { page: c.req.valid("query").page, pageSize: PAGE_SIZE });
      return renderPage(c, "Judgments", judgmentsPage(list));
    });
    app.get("/judgments/:set/:key", (c) =>
      renderPage(c, "Judgment", judgmentPage(judgmentDetail(store, c.req.param("set"), c.req.param("key")))),
    );
    app.get("/api/judgments", (c) => c.json({ sets: judgedSets(store) }));
    app.get("/api/judgments/:set", query(pageQuery), (c) =>
      c.json(listJudgments(store, c.req.param("set"), { page: c.req.valid("query").page, pageSize: PAGE_SIZE })),
    );
    app.get("/api/judgments/:set/:key", (c) => c.json(judgmentDetail(store, c.req.param("set"), c.req.param("key"))));
    return app;
  },
};
