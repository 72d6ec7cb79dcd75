/**
 * The one HTTP room: `createApp` builds the server from route modules, each a small hono app mounted with
 * `app.route("/", ...)`. Everything that applies to every request lives here, in this order: the security
 * headers, the origin policy and the body-size limit (`guards.ts`), server-wide middleware (`use`), then the
 * modules, then the one error mapping. Paths under `/api/` answer JSON; every other
 * path answers an HTML page, errors included.
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { httpStatusFor, ModelmapError } from "../core/errors.ts";
import type { JobQueue } from "../queue/queue.ts";
import type { SubmissionPolicy } from "../queue/submit.ts";
import type { Store } from "../store/store.ts";
import { bodyLimit, MAX_BODY_BYTES, originPolicy } from "./guards.ts";
import { type HtmlValue, html } from "./html.ts";
import { type NavEntry, page } from "./layout.ts";

/** What every route module gets: the store and server-wide settings. */
export interface ServerDeps {
  store: Store;
  /** Admin token for admin routes; undefined closes them. */
  adminToken?: string | undefined;
  /** Base URL the server is reachable at (for links in pages). */
  baseUrl?: string;
  /** Leaderboard submissions (the form and the queue page); undefined closes them. */
  submissions?: { queue: JobQueue; policy: SubmissionPolicy } | undefined;
}

export type AppEnv = { Variables: { nav: NavEntry[] } };

/** A feature's pages and JSON API. Route modules import nothing from each other or from the registry. */
export interface RouteModule {
  name: string;
  /** Its entries in the site navigation. */
  nav?: NavEntry[];
  /** Builds the module's routes (absolute paths, e.g. `/api/votes`, `/label`); called once per app. */
  routes(deps: ServerDeps): Hono<AppEnv>;
}

export interface AppOptions {
  /** Middleware applied to every route of every module, in order, after the security headers and the guards. */
  use?: MiddlewareHandler<AppEnv>[];
  /** Origins besides the listen address the site may be used under (`serve --allowed-origin`). */
  allowedOrigins?: string[];
  /** The request-body limit in bytes (default `MAX_BODY_BYTES`). */
  maxBodyBytes?: number;
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

/** The body of every error answer: `{ error: { code, message, field?, hint? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string; hint?: string };
}

function errorBody(err: unknown): ErrorBody {
  if (err instanceof ModelmapError) {
    const e: ErrorBody["error"] = { code: err.code, message: err.message };
    if (err.location?.field) e.field = err.location.field;
    if (err.hint) e.hint = err.hint;
    return { error: e };
  }
  if (err instanceof HTTPException)
    return { error: { code: err.status < 500 ? "input" : "internal", message: err.message } };
  return { error: { code: "internal", message: err instanceof Error ? err.message : String(err) } };
}

function statusOf(err: unknown): number {
  return err instanceof HTTPException ? err.status : httpStatusFor(err);
}

const isApi = (path: string) => path === "/api" || path.startsWith("/api/");

export function createApp(deps: ServerDeps, modules: RouteModule[], opts: AppOptions = {}): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  // Nav entries are collected here and handed to pages through the context: no module imports the registry.
  const nav = modules.flatMap((m) => m.nav ?? []).sort((a, b) => a.order - b.order);
  app.use("*", async (c, next) => {
    c.set("nav", nav);
    // Set before the handler runs, so that they go into the response as it is built. Setting a header on a
    // finished response makes hono rebuild it as a full Response object, which cost about 12% of the server's
    // CPU under labeling load (bench/label-load.ts).
    for (const [k, v] of SECURITY_HEADERS) c.header(k, v);
    await next();
    // A handler that returned its own Response object did not get them: add what is missing.
    for (const [k, v] of SECURITY_HEADERS) if (!c.res.headers.has(k)) c.header(k, v);
  });
  // The guards come before any module and any body is read: a foreign Host or Origin and an oversized body
  // are refused on every path, unknown ones included.
  app.use("*", originPolicy({ allowedOrigins: opts.allowedOrigins ?? [] }));
  app.use("*", bodyLimit(opts.maxBodyBytes ?? MAX_BODY_BYTES));
  for (const mw of opts.use ?? []) app.use("*", mw);
  app.get("/healthz", (c) => c.json({ ok: true }));
  for (const m of modules) app.route("/", m.routes(deps));
  app.onError((err, c) => {
    const status = statusOf(err) as 400;
    const body = errorBody(err);
    if (isApi(c.req.path)) return c.json(body, status);
    return c.html(errorPage(c.req.path, nav, status, body.error), status);
  });
  app.notFound((c) => {
    const err = new ModelmapError("not_found", `no route for ${c.req.method} ${c.req.path}`);
    if (isApi(c.req.path)) return c.json(errorBody(err), 404);
    return c.html(errorPage(c.req.path, nav, 404, errorBody(err).error), 404);
  });
  return app;
}

/** Answers an HTML page in the site's shell, with the navigation the app collected. */
export function renderPage(c: Context<AppEnv>, title: string, body: HtmlValue): Response {
  return c.html(page({ title, path: c.req.path, nav: c.get("nav"), body }));
}

function errorPage(path: string, nav: NavEntry[], status: number, e: ErrorBody["error"]): string {
  const heading = status === 404 ? "Not found" : status < 500 ? "Bad request" : "Server error";
  return page({
    title: "Not available",
    path,
    nav,
    body: html`<h1>${heading}</h1><p id="error">${e.message}</p>${e.hint ? html`<p class="muted">${e.hint}</p>` : ""}`,
  });
}
