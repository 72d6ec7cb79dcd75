import { Hono } from "hono";
import { httpStatusFor, ModelmapError } from "../core/errors.ts";
import type { Store } from "../store/store.ts";

/** What every route module gets: the store and server-wide settings. */
export interface ServerDeps {
  store: Store;
  /** Admin token for admin routes; undefined closes them. */
  adminToken?: string | undefined;
  /** Base URL the server is reachable at (for links in pages). */
  baseUrl?: string;
}

export type AppEnv = { Variables: { deps: ServerDeps } };

/** A feature adds its pages and JSON API by exporting a RouteModule and listing it in `routes.ts`. */
export interface RouteModule {
  name: string;
  /** Mounts routes on the app. Paths are absolute (e.g. `/api/votes`, `/label`). */
  register(app: Hono<AppEnv>, deps: ServerDeps): void;
  /** Entries for the site navigation: [path, label]. */
  nav?: Array<[string, string]>;
}

/** Builds the app from route modules. Errors map to HTTP status in this one place. */
export function createApp(deps: ServerDeps, modules: RouteModule[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    await next();
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    if (!c.res.headers.has("Content-Security-Policy")) {
      // No external network requests from any page: everything is same-origin.
      c.header(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
      );
    }
  });
  app.get("/healthz", (c) => c.json({ ok: true }));
  for (const m of modules) m.register(app, deps);
  app.onError((err, c) => {
    const status = httpStatusFor(err);
    const body = { error: { code: err instanceof ModelmapError ? err.code : "internal", message: err.message } };
    return c.json(body, status as 400);
  });
  app.notFound((c) =>
    c.json({ error: { code: "not_found", message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );
  return app;
}
