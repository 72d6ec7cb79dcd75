/**
 * HTTP transport for the openai backend: several base URLs with load balancing, a per-backend adaptive
 * concurrency limit, retries with jittered exponential backoff, Retry-After, per-attempt timeouts and
 * cancellation. It uses node:http with keep-alive agents (http.ts) and knows nothing about completions:
 * it moves validated JSON, and every failure leaves it as a ModelmapError whose message says why.
 */

import { setMaxListeners } from "node:events";
import type { z } from "zod";
import { ModelmapError } from "../../core/errors.ts";
import { createRng, type Rng } from "../../core/rng.ts";
import { type HttpResponse, httpRequest } from "./http.ts";
import { AdaptiveLimiter, abortedError, sleep } from "./limiter.ts";
import { errorBodySchema, zodReason } from "./schemas.ts";

export type BalanceStrategy = "least-outstanding" | "round-robin";

export interface TransportOptions {
  baseUrls: string[];
  apiKey?: string | undefined;
  headers?: Record<string, string> | undefined;
  concurrency: number;
  balance: BalanceStrategy;
  /** Per attempt, headers and body together. */
  timeoutMs: number;
  /** Retries after the first attempt. */
  maxRetries: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** A Retry-After longer than this fails the request at once instead of waiting. */
  maxRetryAfterMs: number;
  /** Seed for the backoff jitter. */
  seed: number;
}

/** An HTTP status the transport will not retry; `status` lets callers react (e.g. fall back on a 400). */
export class HttpStatusError extends ModelmapError {
  readonly status: number;
  readonly serverMessage: string;
  constructor(
    code: ConstructorParameters<typeof ModelmapError>[0],
    status: number,
    message: string,
    serverMessage: string,
  ) {
    super(code, message);
    this.status = status;
    this.serverMessage = serverMessage;
  }
}

interface Endpoint {
  url: string;
  outstanding: number;
  consecutiveFailures: number;
  /** Failing endpoints are skipped until then while a healthy one exists. */
  downUntil: number;
  /** Set by 429/Retry-After: no request goes to this endpoint before then. */
  pausedUntil: number;
}

export interface TransportStats {
  requests: number;
  attempts: number;
  retries: number;
  rateLimited: number;
  failed: number;
}

class RetryableFailure {
  constructor(
    readonly reason: string,
    readonly rateLimited = false,
  ) {}
}

const RETRYABLE_STATUS = new Set([408, 425, 500, 502, 503, 504]);

export class Transport {
  readonly limiter: AdaptiveLimiter;
  readonly stats: TransportStats = { requests: 0, attempts: 0, retries: 0, rateLimited: 0, failed: 0 };
  readonly #opts: TransportOptions;
  readonly #endpoints: Endpoint[];
  readonly #rng: Rng;
  #cursor = 0;

  constructor(opts: TransportOptions) {
    if (opts.baseUrls.length === 0) throw new ModelmapError("config", "the openai backend needs at least one base URL");
    this.#opts = opts;
    this.#endpoints = opts.baseUrls.map((u) => ({
      url: u.replace(/\/+$/, ""),
      outstanding: 0,
      consecutiveFailures: 0,
      downUntil: 0,
      pausedUntil: 0,
    }));
    this.limiter = new AdaptiveLimiter(opts.concurrency);
    this.#rng = createRng(opts.seed);
  }

  get endpoints(): ReadonlyArray<Readonly<Endpoint>> {
    return this.#endpoints;
  }

  /** POSTs JSON to `path` (relative to a base URL, e.g. `/completions`) and validates the answer. */
  post<S extends z.ZodType>(path: string, body: unknown, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    return this.#request("POST", path, JSON.stringify(body), schema, signal);
  }

  get<S extends z.ZodType>(path: string, schema: S, signal?: AbortSignal): Promise<z.infer<S>> {
    return this.#request("GET", path, undefined, schema, signal);
  }

  async #request<S extends z.ZodType>(
    method: string,
    path: string,
    body: string | undefined,
    schema: S,
    signal: AbortSignal | undefined,
  ): Promise<z.infer<S>> {
    this.stats.requests++;
    // Callers share one signal across many concurrent requests (a run's Ctrl-C); each adds a listener.
    if (signal) setMaxListeners(0, signal);
    let lastReason = "";
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      // Slot first, endpoint second: the least-outstanding choice is made when the request can really go.
      const release = await this.limiter.acquire(signal);
      let ep: Endpoint;
      try {
        ep = await this.#pickEndpoint(signal);
      } catch (e) {
        release();
        throw e;
      }
      ep.outstanding++;
      this.stats.attempts++;
      let outcome: z.infer<S> | RetryableFailure;
      try {
        outcome = await this.#attempt(ep, method, path, body, schema, signal, attempt);
      } catch (e) {
        this.stats.failed++;
        throw e;
      } finally {
        ep.outstanding--;
        release();
      }
      if (!(outcome instanceof RetryableFailure)) {
        ep.consecutiveFailures = 0;
        ep.downUntil = 0;
        this.limiter.onSuccess();
        return outcome;
      }
      lastReason = outcome.reason;
      if (attempt >= this.#opts.maxRetries) {
        this.stats.failed++;
        throw new ModelmapError(
          outcome.rateLimited ? "rate_limited" : "backend",
          `${lastReason} (gave up after ${attempt + 1} attempt${attempt ? "s" : ""})`,
          { hint: "check that the server is up and not overloaded, or raise maxRetries/timeoutMs" },
        );
      }
      // A 429 paused its endpoint already (#pickEndpoint waits for that); other failures back off here.
      if (!outcome.rateLimited) await sleep(this.backoffMs(attempt), signal);
    }
  }

  /** Equal jitter: half the exponential step fixed, half random, so retries spread out but never bunch at 0. */
  backoffMs(attempt: number): number {
    const step = Math.min(this.#opts.backoffMaxMs, this.#opts.backoffBaseMs * 2 ** attempt);
    return step / 2 + (this.#rng.next() * step) / 2;
  }

  async #attempt<S extends z.ZodType>(
    ep: Endpoint,
    method: string,
    path: string,
    body: string | undefined,
    schema: S,
    signal: AbortSignal | undefined,
    attempt: number,
  ): Promise<z.infer<S> | RetryableFailure> {
    // One controller, one timer and one listener per attempt: cheaper than AbortSignal.timeout + any, which
    // showed up in the client's CPU per request (bench/openai-throughput.ts).
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error(`timed out after ${this.#opts.timeoutMs} ms`));
    }, this.#opts.timeoutMs);
    const onAbort = () => ctrl.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    const url = `${ep.url}${path}`;
    const headers: Record<string, string> = { accept: "application/json", ...this.#opts.headers };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.#opts.apiKey) headers.authorization = `Bearer ${this.#opts.apiKey}`;
    let res: HttpResponse;
    let text: string;
    try {
      res = await httpRequest(url, { method, headers, body, signal: ctrl.signal });
      text = res.text;
    } catch (e) {
      if (signal?.aborted) throw abortedError(signal);
      if (timedOut) return this.#fail(ep, `${url} timed out after ${this.#opts.timeoutMs} ms`);
      return this.#fail(ep, `${url}: connection failed: ${describeNetworkError(e)}`);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
    if (res.ok) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        // A cut-off body is what a dropped connection or a crashing proxy leaves: worth another try.
        return this.#fail(
          ep,
          `${url}: HTTP ${res.status} with invalid JSON (${(e as Error).message}; ${text.length} bytes: ${snippet(text)})`,
        );
      }
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        throw new ModelmapError(
          "backend",
          `${url}: unexpected response shape: ${zodReason(parsed.error)} (body: ${snippet(text)})`,
          {
            hint: "the server does not speak the OpenAI API as modelmap expects; check the base URL (it usually ends in /v1)",
          },
        );
      }
      return parsed.data;
    }
    const serverMessage = errorMessageOf(text);
    const what = `${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}${serverMessage ? ` (${serverMessage})` : ""}`;
    if (res.status === 429) {
      this.stats.rateLimited++;
      const retryAfter = parseRetryAfter(res.headers, Date.now());
      if (retryAfter !== undefined && retryAfter > this.#opts.maxRetryAfterMs) {
        throw new HttpStatusError(
          "rate_limited",
          429,
          `${what}: server asks to wait ${Math.ceil(retryAfter / 1000)} s, more than the ${Math.ceil(this.#opts.maxRetryAfterMs / 1000)} s allowed`,
          serverMessage,
        );
      }
      this.limiter.onRateLimited();
      ep.pausedUntil = Math.max(ep.pausedUntil, Date.now() + (retryAfter ?? this.backoffMs(attempt)));
      return new RetryableFailure(what, true);
    }
    if (RETRYABLE_STATUS.has(res.status) || res.status >= 500) {
      const retryAfter = parseRetryAfter(res.headers, Date.now());
      if (retryAfter !== undefined && retryAfter <= this.#opts.maxRetryAfterMs)
        ep.pausedUntil = Math.max(ep.pausedUntil, Date.now() + retryAfter);
      return this.#fail(ep, what);
    }
    const code = res.status === 401 || res.status === 403 ? "auth" : res.status === 404 ? "not_found" : "backend";
    throw new HttpStatusError(code, res.status, what, serverMessage);
  }

  #fail(ep: Endpoint, reason: string): RetryableFailure {
    ep.consecutiveFailures++;
    // Circuit breaker: skip an endpoint after a failure, for longer the more it keeps failing.
    const cool = Math.min(30_000, this.#opts.backoffBaseMs * 2 ** Math.min(ep.consecutiveFailures, 16));
    ep.downUntil = Date.now() + cool;
    return new RetryableFailure(reason);
  }

  /** Chooses an endpoint: never a paused one, a healthy one when any is, then by the balance strategy. */
  async #pickEndpoint(signal: AbortSignal | undefined): Promise<Endpoint> {
    for (;;) {
      if (signal?.aborted) throw abortedError(signal);
      const now = Date.now();
      const open = this.#endpoints.filter((e) => e.pausedUntil <= now);
      if (open.length === 0) {
        const wake = Math.min(...this.#endpoints.map((e) => e.pausedUntil));
        await sleep(wake - now, signal);
        continue;
      }
      const healthy = open.filter((e) => e.downUntil <= now);
      const pool = healthy.length > 0 ? healthy : open;
      const n = this.#endpoints.length;
      const start = this.#cursor++ % n;
      let best: Endpoint | undefined;
      for (let k = 0; k < n; k++) {
        const e = this.#endpoints[(start + k) % n] as Endpoint;
        if (!pool.includes(e)) continue;
        if (this.#opts.balance === "round-robin") return e;
        if (!best || e.outstanding < best.outstanding) best = e;
      }
      return best as Endpoint;
    }
  }
}

/** Retry-After in ms: delta-seconds or an HTTP date; OpenAI's retry-after-ms first. Undefined if absent or bad. */
export function parseRetryAfter(headers: Headers, now: number): number | undefined {
  const ms = headers.get("retry-after-ms");
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Number(ms);
  const v = headers.get("retry-after");
  if (v === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

function describeNetworkError(e: unknown): string {
  const err = e as { message?: string; code?: string; cause?: { code?: string; message?: string } };
  const cause = err.code ?? err.cause?.code ?? err.cause?.message;
  return `${err.message ?? String(e)}${cause ? ` (${cause})` : ""}`;
}

function errorMessageOf(text: string): string {
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const b = parsed.data as { error?: unknown; detail?: unknown; message?: unknown };
      if (typeof b.error === "string") return snippet(b.error);
      if (b.error && typeof b.error === "object" && "message" in b.error) return snippet(String(b.error.message));
      if (b.detail !== undefined) return snippet(typeof b.detail === "string" ? b.detail : JSON.stringify(b.detail));
      if (typeof b.message === "string") return snippet(b.message);
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return snippet(text.trim());
}

function snippet(s: string, n = 200): string {
  return s.length > n ? `${s.slice(0, n)}...` : s;
}
