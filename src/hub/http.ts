/**
 * Requests to the Hugging Face hub (or a mirror at `HF_ENDPOINT`): its JSON API and its file URLs, with the hub's
 * error headers (`X-Error-Code`) turned into errors that say what to do. A connection that cannot be made (DNS,
 * refused, timed out) is marked unreachable, so that callers can say how to work offline instead.
 */
import type { z } from "zod";
import { ModelmapError } from "../core/errors.ts";

export type RepoKind = "dataset" | "model";

export interface RepoId {
  kind: RepoKind;
  /** `owner/name`. */
  id: string;
}

/** Where the hub is and who asks. */
export interface HubEndpoint {
  /** Base URL, e.g. `https://huggingface.co` (no trailing slash). */
  endpoint: string;
  /** `HF_TOKEN`: sent as `Authorization: Bearer` to the endpoint (fetch drops it on a redirect to another host). */
  token?: string;
  signal?: AbortSignal;
  /** Per request, until the response headers arrive (default 30 s). */
  timeoutMs?: number;
}

const USER_AGENT = "modelmap (+https://github.com/modelmap)";

const unreachable = new WeakSet<Error>();

/** True for an error raised because the hub could not be reached at all (offline, DNS, refused, timed out). */
export function isUnreachable(e: unknown): boolean {
  return e instanceof Error && unreachable.has(e);
}

/** A `network` error marked unreachable. */
export function unreachableError(message: string, opts: { hint?: string; cause?: unknown } = {}): ModelmapError {
  const e = new ModelmapError("network", message, opts);
  unreachable.add(e);
  return e;
}

const CONNECT_FAILURES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_FAIL",
  "ETIMEDOUT",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ENETDOWN",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
]);

/** The system error code under fetch's `TypeError: fetch failed` (undici nests it in `cause`). */
export function errnoOf(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c && depth < 5; depth++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
    c = (c as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `datasets/owner/name` for datasets, `owner/name` for models: the path part of file URLs. */
export function repoPath(repo: RepoId): string {
  return repo.kind === "dataset" ? `datasets/${repo.id}` : repo.id;
}

/** The hub's web page of a repository (named in errors). */
export function repoPage(endpoint: string, repo: RepoId): string {
  return `${endpoint}/${repoPath(repo)}`;
}

/** `/{kind}s/{id}/resolve/{revision}/{path}`, the URL that serves a file (revision quoted whole, as the hub wants). */
export function fileUrl(endpoint: string, repo: RepoId, revision: string, path: string): string {
  const p = path.split("/").map(encodeURIComponent).join("/");
  return `${endpoint}/${repoPath(repo)}/resolve/${encodeURIComponent(revision)}/${p}`;
}

/** `/api/{kind}s/{id}` followed by `suffix`. */
export function apiUrl(endpoint: string, repo: RepoId, suffix: string): string {
  return `${endpoint}/api/${repo.kind}s/${repo.id}${suffix}`;
}

export function headersFor(hub: HubEndpoint, extra: Record<string, string> = {}): Record<string, string> {
  return {
    "user-agent": USER_AGENT,
    ...(hub.token ? { authorization: `Bearer ${hub.token}` } : {}),
    ...extra,
  };
}

/**
 * GET with the hub's headers; a connection failure becomes an unreachable error, an aborted signal `aborted`.
 * The timeout covers the wait for the response headers only: a body is read by the caller.
 */
export async function hubGet(
  url: string,
  hub: HubEndpoint,
  what: string,
  extra: Record<string, string> = {},
): Promise<Response> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error("timed out")), hub.timeoutMs ?? 30_000);
  const onAbort = () => ac.abort(hub.signal?.reason);
  hub.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    return await fetch(url, { headers: headersFor(hub, extra), redirect: "follow", signal: ac.signal });
  } catch (e) {
    if (hub.signal?.aborted) throw new ModelmapError("aborted", `${what}: interrupted`, { cause: e });
    const code = ac.signal.aborted ? "ETIMEDOUT" : errnoOf(e);
    const host = new URL(url).host;
    if (code === undefined || CONNECT_FAILURES.has(code))
      throw unreachableError(`${what}: cannot reach ${host} (${code ?? (e as Error).message})`, { cause: e });
    throw new ModelmapError("network", `${what}: request to ${host} failed (${code})`, { cause: e });
  } finally {
    clearTimeout(timer);
    hub.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * The error for a refused hub request. A 401 or 403 is what a gated (or private) repository answers without an
 * accepted token, and what a missing repository answers to anonymous requests: the message says both.
 */
export async function hubHttpError(
  res: Response,
  what: string,
  hub: HubEndpoint,
  repo: RepoId,
): Promise<ModelmapError> {
  const code = res.headers.get("x-error-code") ?? "";
  const serverMessage = res.headers.get("x-error-message") ?? (await res.text().catch(() => "")).slice(0, 200);
  const detail = serverMessage ? ` (${serverMessage.replace(/\s+/g, " ").trim()})` : "";
  const page = repoPage(hub.endpoint, repo);
  if (res.status === 401 || res.status === 403) {
    const tokenNote = hub.token
      ? "the token in HF_TOKEN was sent but does not grant access"
      : "no token was sent (HF_TOKEN is not set)";
    return new ModelmapError("auth", `${what}: HTTP ${res.status} from the hub${detail}`, {
      hint: `gated: accept the terms on the hub and set HF_TOKEN (${page}; a read token from ${hub.endpoint}/settings/tokens); ${tokenNote}. A private or misspelled repository answers the same way`,
    });
  }
  if (res.status === 404) {
    const which =
      code === "RevisionNotFound"
        ? "revision not found"
        : code === "EntryNotFound"
          ? "file not found"
          : code === "RepoNotFound"
            ? "repository not found"
            : "not found";
    return new ModelmapError("not_found", `${what}: ${which} on the hub (HTTP 404)${detail}`, {
      hint: `check the name and revision at ${page}`,
    });
  }
  if (res.status === 429)
    return new ModelmapError("rate_limited", `${what}: the hub rate-limits these requests (HTTP 429)${detail}`, {
      hint: "wait a minute and run again; a token (HF_TOKEN) raises the limit",
    });
  // A server fault is not the user's to fix (exit 1, not 2); another refusal is reported as a network failure.
  if (res.status >= 500)
    return new ModelmapError("backend", `${what}: the hub failed (HTTP ${res.status})${detail}`, {
      hint: "the hub or a proxy in between had a fault; run again later (what was downloaded is kept)",
    });
  return new ModelmapError("network", `${what}: HTTP ${res.status} from the hub${detail}`);
}

/** GET a JSON document from the hub's API, validated. */
export async function hubJson<T>(
  url: string,
  schema: z.ZodType<T>,
  hub: HubEndpoint,
  repo: RepoId,
  what: string,
): Promise<{ value: T; next: string | undefined }> {
  const res = await hubGet(url, hub, what, { accept: "application/json" });
  if (!res.ok) throw await hubHttpError(res, what, hub, repo);
  let raw: unknown;
  try {
    raw = await res.json();
  } catch (e) {
    throw new ModelmapError("network", `${what}: the hub's answer is not JSON`, { cause: e });
  }
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new ModelmapError(
      "network",
      `${what}: unexpected answer from the hub: ${r.error.issues[0]?.path.join(".")}: ${r.error.issues[0]?.message}`,
    );
  return { value: r.data, next: nextLink(res.headers.get("link"), url) };
}

/** The `rel="next"` URL of a `Link` header (the hub paginates tree listings the way GitHub does). */
export function nextLink(link: string | null, base: string): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return new URL(m[1], base).toString();
  }
  return undefined;
}
