/**
 * `modelmap serve-model`: an OpenAI-compatible HTTP API over an in-process backend (llama-cpp). It serves
 * GET /v1/models, POST /v1/chat/completions and POST /v1/completions, including what most servers lack:
 * `echo` + `logprobs` with `max_tokens: 0`, returning every prompt token's logprob with `text_offset` and
 * `top_logprobs`, so that log-likelihood evaluation works over HTTP (and the openai backend is tested end to
 * end against a real engine).
 */
import { Hono } from "hono";
import type { Backend, GenerationParams, PromptTokenScore } from "../backends/types.ts";
import { httpStatusFor, ModelmapError } from "../core/errors.ts";
import { bodyLimit } from "../http/guards.ts";
import { json } from "../http/validate.ts";
import { type ChatRequest, type CompletionRequest, chatRequestSchema, completionRequestSchema } from "./schemas.ts";
import { streamGeneration } from "./stream.ts";

/** The extra a backend needs for prompt logprobs (the llama-cpp backend has it). */
export type PromptScoringBackend = Backend & Required<Pick<Backend, "promptLogprobs">>;

export interface ServeModelOptions {
  /** The name listed by /v1/models and echoed in responses. */
  modelName: string;
  /** Default max_tokens when a request gives none (OpenAI's completions default is 16). */
  defaultMaxTokens?: number;
  /** Request-body limit in bytes (default `SERVE_MODEL_MAX_BODY_BYTES`). */
  maxBodyBytes?: number;
  /**
   * A fixed service time in ms: model requests are served one at a time, each taking at least this long, as a
   * saturated GPU server would. For benchmarks of what sits in front of the server (queues, workers), so that
   * several endpoints on one small machine behave like several machines.
   */
  serviceTimeMs?: number;
}

/**
 * Bodies hold prompts: a batch of log-likelihood requests over a long context is a few megabytes at most. The
 * same limit middleware as `modelmap serve`'s, with room for that.
 */
export const SERVE_MODEL_MAX_BODY_BYTES = 16 * 1024 * 1024;

export function createServeModelApp(backend: PromptScoringBackend, opts: ServeModelOptions): Hono {
  const app = new Hono();
  const created = Math.floor(Date.now() / 1000);
  let counter = 0;
  const nextId = (prefix: string) => `${prefix}-${created.toString(36)}${(counter++).toString(36)}`;
  app.use("*", bodyLimit(opts.maxBodyBytes ?? SERVE_MODEL_MAX_BODY_BYTES));
  const serviceTime = opts.serviceTimeMs ?? 0;
  if (serviceTime > 0) {
    let busy: Promise<void> = Promise.resolve();
    app.use("/v1/*", async (c, next) => {
      if (c.req.method !== "POST") return next();
      const turn = busy;
      let release = () => {};
      busy = new Promise<void>((r) => {
        release = r;
      });
      await turn;
      const started = Date.now();
      try {
        await next();
        const rest = serviceTime - (Date.now() - started);
        if (rest > 0) await new Promise((r) => setTimeout(r, rest));
      } finally {
        release();
      }
    });
  }

  app.get("/v1/models", (c) =>
    c.json({ object: "list", data: [{ id: opts.modelName, object: "model", created, owned_by: "modelmap" }] }),
  );
  app.get("/health", (c) => c.json({ status: "ok" }));

  app.post("/v1/completions", json(completionRequestSchema), async (c) => {
    const req = c.req.valid("json");
    const prompts = typeof req.prompt === "string" ? [req.prompt] : req.prompt;
    if (req.stream) {
      if (prompts.length !== 1 || req.echo || (req.logprobs !== undefined && req.logprobs !== null)) {
        throw new ModelmapError("unsupported", "stream: true takes one prompt, without echo or logprobs");
      }
      const id = nextId("cmpl");
      const now = Math.floor(Date.now() / 1000);
      return streamGeneration(
        c,
        backend,
        prompts[0] as string,
        generationParams(req, req.max_tokens ?? opts.defaultMaxTokens ?? 16),
        {
          chunk: (text, finish) => ({
            id,
            object: "text_completion",
            created: now,
            model: opts.modelName,
            choices: [{ index: 0, text, finish_reason: finish, logprobs: null }],
          }),
        },
      );
    }
    const signal = c.req.raw.signal;
    const choices = [];
    let promptTokens = 0;
    let completionTokens = 0;
    for (const [index, prompt] of prompts.entries()) {
      const out = await completeOne(backend, prompt, req, opts, signal);
      promptTokens += out.promptTokens;
      completionTokens += out.completionTokens;
      choices.push({ index, text: out.text, finish_reason: out.finishReason, logprobs: out.logprobs });
    }
    return c.json({
      id: nextId("cmpl"),
      object: "text_completion",
      created: Math.floor(Date.now() / 1000),
      model: opts.modelName,
      choices,
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
      },
    });
  });

  app.post("/v1/chat/completions", json(chatRequestSchema), async (c) => {
    const req = c.req.valid("json");
    if (req.logprobs)
      throw new ModelmapError("unsupported", "chat logprobs are not supported; use /v1/completions with echo");
    const params = generationParams(req, req.max_completion_tokens ?? req.max_tokens ?? undefined);
    const messages = req.messages.map((m) => ({ role: m.role, content: m.content }));
    if (req.stream) {
      const id = nextId("chatcmpl");
      const now = Math.floor(Date.now() / 1000);
      return streamGeneration(c, backend, messages, params, {
        chunk: (content, finish, first) => ({
          id,
          object: "chat.completion.chunk",
          created: now,
          model: opts.modelName,
          choices: [
            {
              index: 0,
              delta: first ? { role: "assistant", content: "" } : finish ? {} : { content },
              finish_reason: finish,
            },
          ],
        }),
      });
    }
    const out = await backend.generate(messages, params, { signal: c.req.raw.signal });
    return c.json({
      id: nextId("chatcmpl"),
      object: "chat.completion",
      created: Math.floor(Date.now() / 1000),
      model: opts.modelName,
      choices: [
        { index: 0, message: { role: "assistant", content: out.text }, finish_reason: finishReason(out.finishReason) },
      ],
      usage: {
        prompt_tokens: out.usage.promptTokens,
        completion_tokens: out.usage.completionTokens,
        total_tokens: out.usage.promptTokens + out.usage.completionTokens,
      },
    });
  });

  app.onError((err, c) => {
    const status = httpStatusFor(err);
    const code = err instanceof ModelmapError ? err.code : "internal";
    const type = status < 500 ? "invalid_request_error" : "server_error";
    return c.json({ error: { message: err.message, type, code } }, status as 400);
  });
  app.notFound((c) =>
    c.json(
      {
        error: {
          message: `no route for ${c.req.method} ${c.req.path}`,
          type: "invalid_request_error",
          code: "not_found",
        },
      },
      404,
    ),
  );
  return app;
}

interface CompletionOutcome {
  text: string;
  finishReason: "stop" | "length";
  promptTokens: number;
  completionTokens: number;
  logprobs: LegacyLogprobs | null;
}

interface LegacyLogprobs {
  tokens: string[];
  token_logprobs: Array<number | null>;
  top_logprobs: Array<Record<string, number> | null>;
  text_offset: number[];
}

async function completeOne(
  backend: PromptScoringBackend,
  prompt: string,
  req: CompletionRequest,
  opts: ServeModelOptions,
  signal: AbortSignal,
): Promise<CompletionOutcome> {
  const maxTokens = req.max_tokens ?? opts.defaultMaxTokens ?? 16;
  const wantLogprobs = req.logprobs !== undefined && req.logprobs !== null;
  const topK = Math.max(1, req.logprobs ?? 1);
  let generated = "";
  let finish: "stop" | "length" = "length";
  let completionTokens = 0;
  let usedPromptTokens: number | undefined;
  if (maxTokens > 0) {
    const out = await backend.generate(prompt, generationParams(req, maxTokens), { signal });
    generated = out.text;
    finish = finishReason(out.finishReason);
    completionTokens = out.usage.completionTokens;
    usedPromptTokens = out.usage.promptTokens;
  }
  const echo = req.echo === true;
  const text = (echo ? prompt : "") + generated;
  if (!wantLogprobs) {
    const promptTokens =
      usedPromptTokens ?? (backend.tokenize ? (await backend.tokenize(prompt, { signal })).length : 0);
    return { text, finishReason: finish, promptTokens, completionTokens, logprobs: null };
  }
  // Prompt tokens are scored alone, so echo logprobs are the same whatever max_tokens is. Generated tokens'
  // logprobs come from scoring prompt + generated text: exact where the tokenizer splits that text at the same
  // place (otherwise the tokens after the prompt's end are listed, as the tokenizer splits them).
  const scored = await backend.promptLogprobs(prompt, { topK, signal });
  const promptLen = codePoints(prompt);
  const listed: Array<{ t: PromptTokenScore; offset: number }> = [];
  let at = 0;
  for (const t of scored) {
    listed.push({ t, offset: at });
    at += codePoints(t.text);
  }
  const promptTokens = scored.length;
  if (generated !== "") {
    const all = await backend.promptLogprobs(prompt + generated, { topK, signal });
    const samePrefix = scored.every((t, i) => all[i]?.id === t.id);
    let pos = 0;
    for (const [i, t] of all.entries()) {
      const offset = pos;
      pos += codePoints(t.text);
      if (samePrefix ? i >= scored.length : offset >= promptLen) listed.push({ t, offset });
    }
  }
  const lp: LegacyLogprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
  for (const [i, { t, offset }] of listed.entries()) {
    // Echo decides whether prompt tokens are listed; generated ones always are.
    if (i < promptTokens && !echo) continue;
    lp.tokens.push(t.text);
    lp.token_logprobs.push(t.logprob);
    lp.top_logprobs.push(t.logprob === null ? null : topObject(t.top.slice(0, topK), t.text, t.logprob));
    lp.text_offset.push(echo ? offset : offset - promptLen);
  }
  return { text, finishReason: finish, promptTokens, completionTokens, logprobs: lp };
}

/** OpenAI's top_logprobs is an object keyed by token text; the sampled token is always included. */
function topObject(
  top: Array<{ text: string; logprob: number }>,
  text: string,
  logprob: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of top) if (!(t.text in out)) out[t.text] = t.logprob;
  if (!(text in out)) out[text] = logprob;
  return out;
}

function generationParams(req: CompletionRequest | ChatRequest, maxTokens: number | undefined): GenerationParams {
  const p: GenerationParams = {};
  if (maxTokens !== undefined) p.maxTokens = maxTokens;
  if (req.temperature != null) p.temperature = req.temperature;
  if (req.top_p != null) p.topP = req.top_p;
  if (req.top_k != null) p.topK = req.top_k;
  if (req.min_p != null) p.minP = req.min_p;
  const rp = req.repetition_penalty ?? req.repeat_penalty;
  if (rp != null) p.repeatPenalty = rp;
  if (req.seed != null) p.seed = req.seed;
  if (req.stop !== undefined) p.stop = req.stop;
  return p;
}

function finishReason(r: string): "stop" | "length" {
  return r === "length" ? "length" : "stop";
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
