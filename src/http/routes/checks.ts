/**
 * JSON API of stored contamination and prompt-sensitivity reports (the same store and summary functions the
 * model card uses): /api/checks/{contamination,sensitivity}?model=ID[&task=T]. Read-only: checks run from the CLI.
 */
import { Hono } from "hono";
import { z } from "zod";
import { storedChecks } from "../../capmap/card.ts";
import type { AppEnv, RouteModule } from "../app.ts";
import { query } from "../validate.ts";

const Query = z.strictObject({ model: z.string().min(1).optional(), task: z.string().min(1).optional() });

export const checkRoutes: RouteModule = {
  name: "checks",
  routes(deps) {
    const app = new Hono<AppEnv>();
    for (const kind of ["contamination", "sensitivity"] as const)
      app.get(`/api/checks/${kind}`, query(Query), async (c) =>
        c.json(await storedChecks(deps.store, kind, c.req.valid("query"))),
      );
    return app;
  },
};
