import { getConnInfo } from "@hono/node-server/conninfo";
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { ModelmapError } from "../../core/errors.ts";
import { winnerSchema } from "../../core/votes.ts";
import { exportLmsys } from "../../labeling/export.ts";
import { campaignQuality } from "../../labeling/quality.ts";
import { type AssignmentView, type CampaignSpec, LabelingService } from "../../labeling/service.ts";
import { safeEqual, token } from "../../labeling/tokens.ts";
import type { LabelerRecord } from "../../store/labeling.ts";
import { adminOnly, viewerOf } from "../access.ts";
import type { AppEnv, RouteModule, ServerDeps } from "../app.ts";

/** A labeling page in the site's shell, with the navigation every page has. */
function show(c: Context<AppEnv>, p: LabelPage): Response {
  return c.html(
    page({
      title: p.title,
      path: c.req.path,
      nav: c.get("nav"),
      body: p.body,
      head: p.head,
      ...(p.script ? { script: p.script } : {}),
    }),
  );
}

import { page } from "../layout.ts";
import { renderMarkdown } from "../markdown.ts";
import {
  adminPage,
  type CampaignLine,
  campaignListPage,
  type LabelPage,
  labelerPage,
  leaderboardPage,
  signupPage,
} from "../pages/labeling.ts";
import { ADMIN_JS, LABEL_JS, SIGNUP_JS } from "../pages/labeling-assets.ts";
import { json, query } from "../validate.ts";

/**
 * Blind human labeling over HTTP: sign-up, the labeler page and its JSON API, per-campaign leaderboards,
 * and admin routes behind the admin token. Security: the session cookie is HttpOnly + SameSite=Strict;
 * every state-changing request needs an X-CSRF-Token header equal to the session's token (or, before
 * sign-up, to a pre-session cookie), and the app's origin policy refuses a foreign Host or Origin first; token
 * buckets limit sign-ups per address and requests per labeler; nothing before a vote names a model, and a
 * `reveal: never` campaign's standings are the admin's (`core/access.ts`).
 */

const SESSION = "mm_session";
type LabelerEnv = { Variables: { labeler: LabelerRecord } };
const PRE = "mm_pre";

class TokenBuckets {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    readonly rate: number,
    readonly burst: number,
  ) {}
  take(key: string): boolean {
    const now = performance.now() / 1000;
    const b = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.rate);
    b.at = now;
    if (this.#buckets.size > 100_000) this.#buckets.clear();
    this.#buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? "unknown";
  } catch {
    return "local"; // app.request() in tests has no socket
  }
}

function cookieOpts(c: Context) {
  return {
    httpOnly: true,
    sameSite: "Strict" as const,
    path: "/",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: 60 * 60 * 24 * 30,
  };
}

const signupBody = z.strictObject({
  language: z.string().max(64).optional(),
  expertise: z.string().max(64).optional(),
  region: z.string().max(64).optional(),
});
const voteBody = z.strictObject({
  assignmentId: z.string().min(1).max(64),
  choice: z.enum(["left", "right", "tie", "both_bad"]),
  reason: z.string().max(2000).optional(),
  /** The response also carries the labeler's next pair (as `next` answers it): one request per vote. */
  next: z.boolean().optional(),
});
const campaignBody = z.strictObject({
  name: z.string().min(1).max(100),
  set: z.string().min(1),
  models: z.array(z.string().min(1)).min(2),
  perLabeler: z.number().int().min(1).max(10_000).optional(),
  reveal: z.enum(["after", "never"]).optional(),
  goldRate: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  gold: z
    .array(z.strictObject({ promptId: z.string(), modelA: z.string(), modelB: z.string(), winner: winnerSchema }))
    .optional(),
});

export interface LabelingRouteOptions {
  /** Votes (and next-item requests) per second per labeler, and the burst. */
  labelerRate?: number;
  labelerBurst?: number;
  /** Sign-ups per minute per client address. */
  signupsPerMinute?: number;
}

const labelQuery = z.object({ next: z.string().max(200).optional() });

export function labelingRoutes(opts: LabelingRouteOptions = {}): RouteModule {
  return {
    name: "labeling",
    nav: [{ path: "/label", label: "Label", order: 70 }],
    routes(deps: ServerDeps) {
      const app = new Hono<AppEnv>();
      const svc = new LabelingService(deps.store);
      const perLabeler = new TokenBuckets(opts.labelerRate ?? 20, opts.labelerBurst ?? 40);
      const signups = new TokenBuckets((opts.signupsPerMinute ?? 30) / 60, opts.signupsPerMinute ?? 30);

      const labelerOf = (c: Context): Promise<LabelerRecord | undefined> => svc.session(getCookie(c, SESSION));
      const campaignLines = async (): Promise<CampaignLine[]> =>
        (await svc.campaigns()).map((x) => ({ id: x.id, name: x.name, reveal: x.reveal, perLabeler: x.perLabeler }));
      // A foreign Origin never gets here: the app's origin policy refuses it first (`http/guards.ts`).
      const checkCsrf = (c: Context, expected: string | undefined) => {
        const got = c.req.header("x-csrf-token");
        if (!expected || !got || !safeEqual(got, expected))
          throw new ModelmapError("auth", "missing or wrong CSRF token");
      };
      // The guards run before the body is read: an unauthorised request costs no parsing and learns nothing
      // of the body's schema.
      const labeler: MiddlewareHandler<LabelerEnv> = async (c, next) => {
        const l = await labelerOf(c);
        if (!l) throw new ModelmapError("auth", "sign up first", { hint: "open /label" });
        if (!perLabeler.take(l.id)) throw new ModelmapError("rate_limited", "too many requests; slow down");
        c.set("labeler", l);
        await next();
      };
      const labelerCsrf: MiddlewareHandler<LabelerEnv> = async (c, next) => {
        checkCsrf(c, c.get("labeler").csrfToken);
        await next();
      };
      const preSessionCsrf: MiddlewareHandler<AppEnv> = async (c, next) => {
        checkCsrf(c, getCookie(c, PRE));
        if (!signups.take(clientAddress(c)))
          throw new ModelmapError("rate_limited", "too many sign-ups from this address");
        await next();
      };
      const admin = adminOnly(deps);
      const noStore: MiddlewareHandler<AppEnv> = async (c, next) => {
        c.header("Cache-Control", "no-store");
        await next();
      };
      // Answers never change, and the service hands out the same string objects: render each once.
      const rendered = new Map<string, string>();
      const render = (text: string): string => {
        let html = rendered.get(text);
        if (html === undefined) {
          html = renderMarkdown(text);
          if (rendered.size >= 20_000) rendered.clear();
          rendered.set(text, html);
        }
        return html;
      };

      const js = (body: string) => (c: Context<AppEnv>) => {
        c.header("Content-Type", "text/javascript; charset=utf-8");
        c.header("Cache-Control", "no-cache");
        return c.body(body);
      };
      app.get("/assets/label.js", js(LABEL_JS));
      app.get("/assets/label-signup.js", js(SIGNUP_JS));
      app.get("/assets/label-admin.js", js(ADMIN_JS));

      app.get("/label", noStore, query(labelQuery), async (c) => {
        const l = await labelerOf(c);
        if (!l) {
          let pre = getCookie(c, PRE);
          if (!pre || pre.length > 64) {
            pre = token(18);
            setCookie(c, PRE, pre, cookieOpts(c));
          }
          const next = c.req.valid("query").next ?? "/label";
          return show(c, signupPage(pre, next.startsWith("/label/") ? next : "/label", await campaignLines()));
        }
        return show(c, campaignListPage(l.csrfToken, await campaignLines()));
      });

      // The write paths (sign-up, next, vote) go through the store's group commit (`svc.committed`).
      app.post("/api/label/signup", preSessionCsrf, json(signupBody), noStore, async (c) => {
        const body = c.req.valid("json");
        const { labeler, sessionToken } = await svc.committed(() => svc.signup(body));
        setCookie(c, SESSION, sessionToken, cookieOpts(c));
        return c.json({ ok: true, csrf: labeler.csrfToken });
      });

      // Standings follow the access rule: a blind (reveal: never) campaign's are the admin's.
      app.get("/label/:campaign/leaderboard", noStore, async (c) => {
        const { campaign, votes, report: r } = await svc.standings(c.req.param("campaign"), viewerOf(c, deps));
        if (!r) return show(c, leaderboardPage(campaign.name, [], 0));
        return show(
          c,
          leaderboardPage(
            campaign.name,
            r.models.map((m) => ({
              model: m.model,
              rating: m.rating,
              lower: m.ci_lower,
              upper: m.ci_upper,
              battles: m.battles,
              rank: m.rank,
            })),
            votes,
          ),
        );
      });

      app.get("/api/label/:campaign/leaderboard", noStore, async (c) => {
        const id = c.req.param("campaign");
        return c.json({ campaign: id, leaderboard: await svc.leaderboard(id, viewerOf(c, deps)) });
      });

      app.get("/label/:campaign", noStore, async (c) => {
        const l = await labelerOf(c);
        const id = c.req.param("campaign");
        if (!l) return c.redirect(`/label?next=${encodeURIComponent(`/label/${id}`)}`);
        const campaign = await svc.campaign(id);
        return show(c, labelerPage(l.csrfToken, campaign.id, campaign.name));
      });

      /** The JSON of a next pair, as `/next` answers it and a vote with `next: true` carries it. */
      const nextJson = (v: AssignmentView | undefined) =>
        v
          ? {
              done: false as const,
              assignmentId: v.assignmentId,
              index: v.index,
              of: v.of,
              turns: v.turns.map(render),
              left: v.left.map(render),
              right: v.right.map(render),
            }
          : { done: true as const };

      app.get("/api/label/:campaign/next", labeler, noStore, async (c) => {
        const l = c.get("labeler");
        return c.json(nextJson(await svc.committed(() => svc.next(c.req.param("campaign"), l))));
      });

      // With `next: true` the answer also carries the labeler's next pair (the web page asks for it): one request
      // per vote instead of a vote and a next. The vote is stored first; a vote refused (conflict, not found) gets
      // its error and no pair. A next pair that fails after the vote is left out, not an error: the vote stands,
      // and the client asks `/next` itself.
      app.post("/api/label/:campaign/vote", labeler, labelerCsrf, json(voteBody), noStore, async (c) => {
        const l = c.get("labeler");
        const body = c.req.valid("json");
        const id = c.req.param("campaign");
        return c.json(
          await svc.committed(async () => {
            if (!body.next) return svc.vote(id, l, body.assignmentId, body.choice, body.reason);
            const r = await svc.voteAndNext(id, l, body.assignmentId, body.choice, body.reason);
            return r.next === null ? r.vote : { ...r.vote, next: nextJson(r.next) };
          }),
        );
      });

      // A request that brings the admin token (Authorization: Bearer) gets the page open, without the form.
      app.get("/admin/labeling", noStore, (c) => show(c, adminPage(viewerOf(c, deps).admin)));
      app.get("/api/admin/labeling/campaigns", admin, async (c) =>
        c.json({ campaigns: await svc.campaignsWithProgress() }),
      );
      app.post("/api/admin/labeling/campaigns", admin, json(campaignBody), async (c) => {
        const b = c.req.valid("json");
        const spec: CampaignSpec = { name: b.name, setName: b.set, models: b.models };
        if (b.perLabeler !== undefined) spec.perLabeler = b.perLabeler;
        if (b.reveal !== undefined) spec.reveal = b.reveal;
        if (b.goldRate !== undefined) spec.goldRate = b.goldRate;
        if (b.seed !== undefined) spec.seed = b.seed;
        if (b.gold !== undefined) spec.gold = b.gold;
        return c.json({ campaign: await svc.createCampaign(spec) }, 201);
      });
      app.get("/api/admin/labeling/campaigns/:id/export", admin, async (c) => {
        const campaign = await svc.campaign(c.req.param("id"));
        return c.json({ battles: await exportLmsys(deps.store, campaign.id) });
      });
      app.get("/api/admin/labeling/campaigns/:id/quality", admin, async (c) => {
        const campaign = await svc.campaign(c.req.param("id"));
        return c.json(await campaignQuality(deps.store, campaign.id));
      });
      app.get("/api/admin/labeling/sets/:name/prompts", admin, async (c) =>
        c.json({ prompts: await svc.setPrompts(c.req.param("name")) }),
      );
      return app;
    },
  };
}
