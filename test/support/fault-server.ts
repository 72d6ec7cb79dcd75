/**
 * A real local OpenAI-compatible HTTP server that misbehaves on purpose, for testing the openai backend:
 * 429 with Retry-After, 5xx, slow or hanging responses (before the headers or in the middle of the body),
 * dropped connections (before or during the body),
 * truncated JSON, JSON of the wrong shape, more choices than asked for, and completions without (prompt) logprobs.
 *
 * Its "model" is a fixed toy scorer (not a language model): the prompt splits into word tokens (each with its
 * leading whitespace), token i's logprob is -(0.1 * its length + 0.01 * i), and a token is the argmax when
 * its length is odd. The first token has no logprob, as real servers send. `expectedLoglikelihood` computes
 * the same numbers independently so tests can compare.
 *
 * Runnable on its own for benchmarks: `tsx test/support/fault-server.ts --service-ms 50` prints its base URL.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type Fault =
  | { kind: "ok"; delayMs?: number }
  | { kind: "status"; status: number; retryAfter?: string; body?: string }
  | { kind: "hang" }
  | { kind: "drop" }
  | { kind: "drop-mid-body" }
  | { kind: "slow-body" }
  | { kind: "truncated-json" }
  | { kind: "wrong-json" }
  | { kind: "extra-choices" }
  | { kind: "no-logprobs" }
  | { kind: "no-echo" }
  | { kind: "reject-max-tokens-0" };

export interface SeenRequest {
  n: number;
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  authorization: string | undefined;
  fault: Fault["kind"];
  at: number;
}

export interface FaultServerOptions {
  /** Which fault request number n (0-based, counted per server) gets; default every request is ok. */
  script?: (n: number, req: SeenRequest) => Fault;
  /** Added before every ok response (fixed service time for benchmarks). */
  serviceTimeMs?: number;
  host?: string;
}

export interface FaultServer {
  /** Base URL ending in /v1. */
  url: string;
  requests: SeenRequest[];
  /** Most requests in flight at once so far. */
  maxInFlight: number;
  setScript(script: (n: number, req: SeenRequest) => Fault): void;
  close(): Promise<void>;
}

export function toyTokens(text: string): string[] {
  return text.match(/\s*\S+|\s+$/gu) ?? [];
}

function cpLen(s: string): number {
  return [...s].length;
}

function toyLogprob(token: string, i: number): number {
  return -(0.1 * cpLen(token) + 0.01 * i);
}

/** The toy scorer's answer for a (context, continuation) pair, computed without the server. */
export function expectedLoglikelihood(
  context: string,
  continuation: string,
): {
  logprob: number;
  isGreedy: boolean;
  tokenCount: number;
} {
  const trimmed = context.replace(/\s+$/u, "");
  const toks = toyTokens(context + continuation);
  let at = 0;
  let logprob = 0;
  let tokenCount = 0;
  let isGreedy = true;
  toks.forEach((t, i) => {
    if (at >= cpLen(trimmed) && i > 0) {
      logprob += toyLogprob(t, i);
      tokenCount++;
      if (cpLen(t) % 2 === 0) isGreedy = false;
    }
    at += cpLen(t);
  });
  return { logprob, isGreedy: tokenCount > 0 && isGreedy, tokenCount };
}

function completionBody(prompt: string, echo: boolean, logprobs: number | undefined, maxTokens: number) {
  const toks = echo ? toyTokens(prompt) : [];
  const generated = maxTokens > 0 ? [" x"] : [];
  const all = [...toks, ...generated];
  let at = 0;
  const offsets = all.map((t) => {
    const o = at;
    at += cpLen(t);
    return o;
  });
  const lps = all.map((t, i) => (i === 0 && echo ? null : toyLogprob(t, i)));
  const tops = all.map((t, i) => {
    if (i === 0 && echo) return null;
    const lp = toyLogprob(t, i);
    // Odd-length tokens are the argmax; even-length ones lose to a made-up alternative.
    return cpLen(t) % 2 === 1 ? { [t]: lp } : { [t]: lp, "<alt>": lp + 0.5 };
  });
  return {
    id: "cmpl-fault",
    object: "text_completion",
    model: "toy",
    choices: [
      {
        index: 0,
        text: (echo ? prompt : "") + generated.join(""),
        finish_reason: "length",
        logprobs:
          logprobs === undefined
            ? null
            : { tokens: all, token_logprobs: lps, top_logprobs: tops, text_offset: offsets },
      },
    ],
    usage: { prompt_tokens: toks.length, completion_tokens: generated.length },
  };
}

export async function startFaultServer(opts: FaultServerOptions = {}): Promise<FaultServer> {
  let script = opts.script ?? (() => ({ kind: "ok" }) as Fault);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let n = 0;
  const state = { maxInFlight: 0 };

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.once("close", () => inFlight--);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    let body: Record<string, unknown> | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined;
    }
    const seen: SeenRequest = {
      n: n++,
      method: req.method ?? "",
      path: req.url ?? "",
      body,
      authorization: req.headers.authorization,
      fault: "ok",
      at: Date.now(),
    };
    const fault = script(seen.n, seen);
    seen.fault = fault.kind;
    requests.push(seen);
    const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      const text = JSON.stringify(value);
      res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        ...headers,
      });
      res.end(text);
    };
    const okBody = (): unknown => {
      if (seen.path === "/v1/models") return { object: "list", data: [{ id: "toy", object: "model" }] };
      if (seen.path === "/v1/chat/completions") {
        const msgs = (body?.messages as Array<{ content: string }> | undefined) ?? [];
        return {
          choices: [
            {
              index: 0,
              message: { role: "assistant", content: `echo: ${msgs.at(-1)?.content ?? ""}` },
              finish_reason: "stop",
            },
          ],
          usage: { prompt_tokens: 3, completion_tokens: 2 },
        };
      }
      const prompt = typeof body?.prompt === "string" ? body.prompt : "";
      const maxTokens = typeof body?.max_tokens === "number" ? body.max_tokens : 16;
      const logprobs = typeof body?.logprobs === "number" ? body.logprobs : undefined;
      return completionBody(prompt, body?.echo === true, logprobs, maxTokens);
    };
    const respondOk = (extraDelay = 0) => later((opts.serviceTimeMs ?? 0) + extraDelay, () => json(200, okBody()));
    switch (fault.kind) {
      case "ok":
        return respondOk(fault.delayMs ?? 0);
      case "status": {
        const headers: Record<string, string> = {};
        if (fault.retryAfter !== undefined) headers["retry-after"] = fault.retryAfter;
        const text = fault.body ?? JSON.stringify({ error: { message: `fault ${fault.status}` } });
        res.writeHead(fault.status, { "content-type": "application/json", ...headers });
        res.end(text);
        return;
      }
      case "hang":
        return; // never answers; close() destroys the socket
      case "drop":
        req.socket.destroy();
        return;
      case "drop-mid-body": {
        const text = JSON.stringify(okBody());
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.write(text.slice(0, Math.floor(text.length / 2)));
        later(5, () => req.socket.destroy());
        return;
      }
      case "slow-body": {
        // Headers and half the body at once, the rest never: only a timeout that covers the body ends it.
        const text = JSON.stringify(okBody());
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
        res.write(text.slice(0, Math.floor(text.length / 2)));
        return;
      }
      case "truncated-json": {
        const text = JSON.stringify(okBody());
        const cut = text.slice(0, Math.floor(text.length / 2));
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(cut) });
        res.end(cut);
        return;
      }
      case "wrong-json":
        return json(200, { choices: [{ message: 42 }], unexpected: true });
      case "extra-choices": {
        // A second choice the client never asked for (n = 1), put first with the wrong text.
        const b = okBody() as { choices: Array<Record<string, unknown>> };
        const first = b.choices[0] ?? {};
        const wrong = "message" in first ? { message: { role: "assistant", content: "WRONG" } } : { text: "WRONG" };
        b.choices = [
          { ...first, ...wrong, index: 0 },
          { ...first, index: 1 },
        ];
        return json(200, b);
      }
      case "no-logprobs": {
        const b = okBody() as { choices: Array<{ logprobs: unknown }> };
        for (const c of b.choices) c.logprobs = null;
        return json(200, b);
      }
      case "no-echo": {
        const prompt = typeof body?.prompt === "string" ? body.prompt : "";
        return json(200, completionBody(prompt, false, 1, 1));
      }
      case "reject-max-tokens-0":
        if (body?.max_tokens === 0) return json(400, { error: { message: "max_tokens must be at least 1" } });
        return respondOk();
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 30_000;
  server.on("connection", (s) => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
  });
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host}:${port}/v1`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    setScript(s) {
      script = s;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ""))) {
  const i = process.argv.indexOf("--service-ms");
  const serviceTimeMs = i > 0 ? Number(process.argv[i + 1]) : 0;
  const s = await startFaultServer({ serviceTimeMs });
  process.stdout.write(`${s.url}\n`);
  process.on("SIGTERM", () => void s.close().then(() => process.exit(0)));
}
