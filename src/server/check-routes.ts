/**
 * JSON API of stored contamination and prompt-sensitivity reports (the same store and summary functions the
 * model card uses): /api/checks/{contamination,sensitivity}?model=ID[&task=T]. Read-only: checks run from the CLI.
 */
import { z } from "zod";
import { contaminationSummary } from "../contamination/summary.ts";
import { ModelmapError } from "../core/errors.ts";
import { promptSpread } from "../sensitivity/service.ts";
import type { RouteModule } from "./app.ts";

const Query = z.strictObject({ model: z.string().min(1).optional(), task: z.string().min(1).optional() });
const Kind = z.enum(["contamination", "sensitivity"]);

export const checkRoutes: RouteModule = {
  name: "checks",
  register(app, deps) {
    app.get("/api/checks/:kind", (c) => {
      const kind = Kind.safeParse(c.req.param("kind"));
      if (!kind.success) throw new ModelmapError("not_found", "unknown check kind (contamination, sensitivity)");
      const q = Query.safeParse(c.req.query());
      if (!q.success)
        throw new ModelmapError("input", `bad query: ${q.error.issues.map((i) => i.message).join("; ")}`, {
          hint: "model=ID and task=T are the only parameters",
        });
      const reports = deps.store.checks
        .list(kind.data, q.data.model)
        .filter((r) => q.data.task === undefined || r.task === q.data.task);
      const summary =
        q.data.model === undefined
          ? undefined
          : kind.data === "contamination"
            ? contaminationSummary(deps.store, q.data.model)
            : promptSpread(deps.store, q.data.model);
      return c.json({
        kind: kind.data,
        reports: reports.map((r) => ({ model: r.modelId, task: r.task, created_at: r.createdAt, report: r.report })),
        ...(summary ? { summary } : {}),
      });
    });
  },
};
