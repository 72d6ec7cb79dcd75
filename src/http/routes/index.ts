import type { RouteModule } from "../app.ts";
import { arenaRoutes } from "./arena.ts";
import { checkRoutes } from "./checks.ts";
import { experimentRoutes } from "./experiments.ts";
import { judgmentRoutes } from "./judgments.ts";
import { labelingRoutes } from "./labeling.ts";
import { mapRoutes } from "./map.ts";
import { runRoutes } from "./runs.ts";
import { submissionRoutes } from "./submissions.ts";

/** Every route module `modelmap serve` mounts. A feature adds its pages and API as one module here. */
export const ROUTE_MODULES: RouteModule[] = [
  mapRoutes,
  arenaRoutes,
  runRoutes,
  submissionRoutes,
  judgmentRoutes,
  labelingRoutes(),
  checkRoutes,
  experimentRoutes,
];
