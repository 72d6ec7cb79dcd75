import { capmapRoutes } from "../web/routes.ts";
import type { RouteModule } from "./app.ts";
import { arenaRoutes } from "./arena-routes.ts";
import { checkRoutes } from "./check-routes.ts";
import { evalRoutes } from "./eval-routes.ts";
import { labelingRoutes } from "./labeling-routes.ts";

/** Every route module the server mounts. Each feature adds its own from its own file. */
export const ROUTE_MODULES: RouteModule[] = [arenaRoutes, capmapRoutes, labelingRoutes(), evalRoutes, checkRoutes];
