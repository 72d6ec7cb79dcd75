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

/** Headers on every response. No page makes external network requests: everything is same-origin. */
const SECURITY_HEADERS: ReadonlyArray<[string, string]> = [
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
  [
    "Content-Security-Policy",
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
  ],
];

/** Builds the app from route modules. Errors map to HTTP status in this one place. */
export function createApp(deps: ServerDeps, modules: RouteModule[]): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("deps", deps);
    // Set before the handler runs, so that they go into the response as it is built. Setting a header on a
    // finished response makes hono rebuild it as a full Response object, which cost about 12% of the server's
    // CPU under labeling load (bench/label-load.ts).
    for (const [k, v] of SECURITY_HEADERS) c.header(k, v);
    await next();
    // A handler that returned its own Response object did not get them: add what is missing.
    for (const [k, v] of SECURITY_HEADERS) if (!c.res.headers.has(k)) c.header(k, v);
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
