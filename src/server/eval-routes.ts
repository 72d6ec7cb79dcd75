/**
 * JSON API of the benchmark harness under /api/eval/: tasks, stored runs and run comparison, through the same service functions
 * as `modelmap tasks list`, `runs list|show` and `compare`.
 */
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { compareRuns, findRun, loadRegistry } from "../runner/service.ts";
import type { RouteModule } from "./app.ts";

const CompareQuery = z.strictObject({
  a: z.string().min(1),
  b: z.string().min(1),
  seed: z.coerce.number().int().optional(),
  iterations: z.coerce.number().int().min(100).max(100_000).optional(),
});

export const evalRoutes: RouteModule = {
  name: "eval",
  register(app, deps) {
    app.get("/api/eval/tasks", (c) => {
      const reg = loadRegistry();
      return c.json({
        tasks: [...reg.tasks.values()].map((t) => ({
          name: t.name,
          output_type: t.config.output_type,
          num_fewshot: t.config.num_fewshot ?? 0,
          tags: t.tags,
          categories: t.categories,
          hash: t.hash,
        })),
        groups: [...reg.groups.values()].map((g) => ({ name: g.name, tasks: g.config.task })),
      });
    });
    app.get("/api/eval/runs", (c) =>
      c.json({
        runs: deps.store.evals.listRuns().map((r) => ({
          id: r.id,
          model: r.modelId,
          status: r.status,
          created_at: r.createdAt,
          updated_at: r.updatedAt,
        })),
      }),
    );
    app.get("/api/eval/compare", (c) => {
      const q = CompareQuery.safeParse(c.req.query());
      if (!q.success)
        throw new ModelmapError(
          "input",
          `bad query: ${q.error.issues[0]?.path.join(".") ?? ""} ${q.error.issues[0]?.message ?? ""}`,
        );
      const opts: { seed?: number; iterations?: number } = {};
      if (q.data.seed !== undefined) opts.seed = q.data.seed;
      if (q.data.iterations !== undefined) opts.iterations = q.data.iterations;
      return c.json(compareRuns(deps.store, q.data.a, q.data.b, opts));
    });
    app.get("/api/eval/runs/:id", (c) => {
      const r = findRun(deps.store, c.req.param("id"));
      return c.json({
        id: r.id,
        model: r.modelId,
        identity: r.model,
        status: r.status,
        config: r.config,
        results: r.results,
        samples: deps.store.evals.sampleTasks(r.id),
      });
    });
  },
};
