/**
 * Who a request is, for the one access rule (`core/access.ts`): an admin when it carries the admin token
 * (`Authorization: Bearer TOKEN`, the token `serve --admin-token` was started with), anyone else otherwise. A
 * labeler's session makes no difference to what they may read: it only lets them vote.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ADMIN, ANONYMOUS, type Viewer } from "../core/access.ts";
import { ModelmapError } from "../core/errors.ts";
import { safeEqual } from "../labeling/tokens.ts";
import type { AppEnv, ServerDeps } from "./app.ts";

function bearer(c: Context): string {
  const h = c.req.header("authorization") ?? "";
  return h.startsWith("Bearer ") ? h.slice(7) : "";
}

/** The viewer of a request. An admin's answer is marked `no-store`: no shared cache may replay it to anyone else. */
export function viewerOf(c: Context, deps: ServerDeps): Viewer {
  const got = bearer(c);
  if (!deps.adminToken || !got || !safeEqual(got, deps.adminToken)) return ANONYMOUS;
  c.header("Cache-Control", "no-store");
  return ADMIN;
}

/** Admin routes: refused without the token (closed altogether when the server has none). */
export function adminOnly(deps: ServerDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!deps.adminToken) throw new ModelmapError("auth", "admin routes are closed (no admin token configured)");
    if (!viewerOf(c, deps).admin) throw new ModelmapError("auth", "admin token required");
    await next();
  };
}
