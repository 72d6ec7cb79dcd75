/**
 * The `openai` backend: any OpenAI-compatible server (vLLM, llama.cpp server, Ollama, TGI, SGLang, LM Studio,
 * hosted APIs). Generation through /chat/completions and /completions; log-likelihood through /completions
 * with echo + logprobs, where the server returns prompt log-probabilities.
 */
import { setMaxListeners } from "node:events";
import { ModelmapError } from "../../core/errors.ts";
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BackendCapabilities,
  BatchFailure,
  type CallOptions,
  type ChatMessage,
  type FinishReason,
  type GenerateResult,
  type GenerationParams,
  type LoglikelihoodRequest,
  type LoglikelihoodResult,
  type ModelIdentity,
  type RollingResult,
  type Settled,
} from "../types.ts";
import { abortedError } from "./limiter.ts";
import {
  codePointLength,
  promptTokens,
  scoreContinuation,
  scoreRolling,
  splitRequest,
  UNSUPPORTED_HINT,
} from "./logprobs.ts";
import { type OpenAIBackendOptions, openaiBackendOptionsSchema, type ResolvedOpenAIBackendOptions } from "./options.ts";
import { chatResponseSchema, completionResponseSchema, modelsResponseSchema } from "./schemas.ts";
import { HttpStatusError, Transport } from "./transport.ts";

export class OpenAIBackend implements Backend {
  readonly specVersion = BACKEND_SPEC_VERSION;
  readonly identity: ModelIdentity;
  readonly capabilities: BackendCapabilities;
  readonly options: ResolvedOpenAIBackendOptions;
  readonly transport: Transport;
  /** Learned on the first scoring request when scoringMaxTokens is "auto". */
  #scoringMaxTokens: 0 | 1 | undefined;

  constructor(options: OpenAIBackendOptions) {
    const parsed = openaiBackendOptionsSchema.safeParse(options);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ModelmapError("config", `openai backend options: ${issue?.message ?? "invalid"}`, {
        location: { field: issue?.path.map(String).join(".") ?? "" },
      });
    }
    this.options = parsed.data;
    const o = this.options;
    this.transport = new Transport({
      baseUrls: o.baseUrls,
      apiKey: o.apiKey,
      headers: o.headers,
      concurrency: o.concurrency,
      balance: o.balance,
      timeoutMs: o.timeoutMs,
      maxRetries: o.maxRetries,
      backoffBaseMs: o.backoffBaseMs,
      backoffMaxMs: o.backoffMaxMs,
      maxRetryAfterMs: o.maxRetryAfterMs,
      seed: o.seed,
    });
    this.#scoringMaxTokens = o.scoringMaxTokens === "auto" ? undefined : o.scoringMaxTokens;
    this.identity = { id: o.id, backend: "openai", name: o.model, endpoint: o.baseUrls.join(",") };
    // Log-likelihood support is only known once a server answers; `probe()` or the first call tells.
    this.capabilities = {
      chat: o.chat,
      completion: true,
      loglikelihood: true,
      loglikelihoodRolling: true,
      tokenize: false,
      tokenStats: false,
      concurrency: o.concurrency,
    };
  }

  /** The model names the server lists (GET /models); useful for `models check`. */
  async listModels(opts: CallOptions = {}): Promise<string[]> {
    const res = await this.transport.get("/models", modelsResponseSchema, opts.signal);
    return res.data.map((m) => m.id);
  }

  /**
   * Whether the server returns prompt logprobs (for `models check`): scores a short text once. Other failures
   * (server down, auth) are thrown, since they say nothing about support.
   */
  async probeLoglikelihood(opts: CallOptions = {}): Promise<{ supported: boolean; reason?: string }> {
    try {
      await this.loglikelihoodRolling(["The quick brown fox"], opts);
      return { supported: true };
    } catch (e) {
      if (e instanceof ModelmapError && e.code === "unsupported") return { supported: false, reason: e.message };
      throw e;
    }
  }

  async generate(
    input: ChatMessage[] | string,
    params: GenerationParams,
    opts: CallOptions = {},
  ): Promise<GenerateResult> {
    const sampling = samplingBody(params);
    if (typeof input === "string") {
      const res = await this.transport.post(
        "/completions",
        { model: this.options.model, prompt: input, ...sampling },
        completionResponseSchema,
        opts.signal,
      );
      const choice = res.choices[0] as (typeof res.choices)[number];
      opts.onText?.(choice.text);
      return {
        text: choice.text,
        finishReason: finishReason(choice.finish_reason),
        usage: usageOf(res.usage),
        promptAsSent: input,
      };
    }
    if (!this.options.chat) {
      throw new ModelmapError("unsupported", `model '${this.identity.id}' is configured without chat (chat: false)`, {
        hint: "render the messages with a template and send a prompt string instead",
      });
    }
    const res = await this.transport.post(
      "/chat/completions",
      { model: this.options.model, messages: input, ...sampling },
      chatResponseSchema,
      opts.signal,
    );
    const choice = res.choices[0] as (typeof res.choices)[number];
    // Requests are not streamed (a retry could not take back streamed text): the whole text is one piece.
    opts.onText?.(choice.message.content ?? "");
    return {
      text: choice.message.content ?? "",
      finishReason: finishReason(choice.finish_reason),
      usage: usageOf(res.usage),
    };
  }

  async loglikelihood(requests: LoglikelihoodRequest[], opts: CallOptions = {}): Promise<LoglikelihoodResult[]> {
    return this.#all(requests, opts, async (r, signal) => {
      const { prompt, boundary } = splitRequest(r.context, r.continuation);
      const tokens = await this.#scorePrompt(prompt, signal);
      return scoreContinuation(tokens, boundary, codePointLength(prompt), this.#server());
    });
  }

  async loglikelihoodRolling(texts: string[], opts: CallOptions = {}): Promise<RollingResult[]> {
    return this.#all(texts, opts, async (text, signal) => {
      const tokens = await this.#scorePrompt(text, signal);
      return scoreRolling(tokens, codePointLength(text));
    });
  }

  async close(): Promise<void> {
    // fetch's keep-alive sockets belong to the global dispatcher and close on their own when idle.
  }

  /**
   * Runs one request per item concurrently (the transport's limiter bounds them), each with the transport's
   * retries and no more. A request that fails does not cancel the others: every request ends once, as a result
   * or a final error, and failures come back together as a BatchFailure so that nobody retries them again (a
   * retried batch used to cost 2 x (1 + maxRetries) attempts per request against a failing server).
   */
  async #all<T, R>(items: T[], opts: CallOptions, fn: (item: T, signal?: AbortSignal) => Promise<R>): Promise<R[]> {
    if (items.length === 1) return [await fn(items[0] as T, opts.signal)];
    const signal = opts.signal;
    // Every request of a large batch listens on this one signal; that is by design, not a leak.
    if (signal) setMaxListeners(0, signal);
    const settled = await Promise.all(
      items.map((item) =>
        fn(item, signal).then(
          (value): Settled<R> => ({ ok: true, value }),
          (e: unknown): Settled<R> => ({ ok: false, error: e instanceof Error ? e : new Error(String(e)) }),
        ),
      ),
    );
    if (signal?.aborted) throw abortedError(signal);
    if (settled.every((s) => s.ok)) return settled.map((s) => (s as { value: R }).value);
    throw new BatchFailure(settled);
  }

  async #scorePrompt(prompt: string, signal: AbortSignal | undefined) {
    const body = (maxTokens: 0 | 1) => ({
      model: this.options.model,
      prompt,
      max_tokens: maxTokens,
      echo: true,
      logprobs: this.options.logprobs,
      temperature: 0,
    });
    let maxTokens = this.#scoringMaxTokens ?? 0;
    let res: Awaited<ReturnType<typeof this.transport.post<typeof completionResponseSchema>>>;
    try {
      res = await this.transport.post("/completions", body(maxTokens), completionResponseSchema, signal);
    } catch (e) {
      if (!(e instanceof HttpStatusError) || e.status !== 400) throw e;
      if (this.#scoringMaxTokens === undefined) {
        // Many servers reject max_tokens 0; one generated token is then ignored by the offsets.
        maxTokens = 1;
        try {
          res = await this.transport.post("/completions", body(1), completionResponseSchema, signal);
        } catch (e2) {
          throw rejectedScoring(e2, this.#server());
        }
      } else {
        throw rejectedScoring(e, this.#server());
      }
    }
    this.#scoringMaxTokens = maxTokens;
    return promptTokens(res, prompt, this.#server());
  }

  #server(): string {
    return `openai server for '${this.identity.id}'`;
  }
}

function rejectedScoring(e: unknown, server: string): unknown {
  if (!(e instanceof HttpStatusError) || e.status !== 400) return e;
  return new ModelmapError(
    "unsupported",
    `${server} rejected a prompt-scoring request (echo + logprobs): ${e.serverMessage || e.message}`,
    { hint: UNSUPPORTED_HINT, cause: e },
  );
}

function samplingBody(p: GenerationParams): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (p.maxTokens !== undefined) body.max_tokens = p.maxTokens;
  if (p.temperature !== undefined) body.temperature = p.temperature;
  if (p.topP !== undefined) body.top_p = p.topP;
  // Not in OpenAI's API but accepted by vLLM, llama.cpp server, SGLang and others; sent only when set.
  if (p.topK !== undefined) body.top_k = p.topK;
  if (p.minP !== undefined) body.min_p = p.minP;
  if (p.repeatPenalty !== undefined) body.repetition_penalty = p.repeatPenalty;
  if (p.seed !== undefined) body.seed = p.seed;
  if (p.stop !== undefined && p.stop.length > 0) body.stop = p.stop;
  return body;
}

function finishReason(r: string | null | undefined): FinishReason {
  if (r === "length") return "length";
  return "stop";
}

function usageOf(u: { prompt_tokens: number; completion_tokens: number } | null | undefined) {
  return { promptTokens: u?.prompt_tokens ?? 0, completionTokens: u?.completion_tokens ?? 0 };
}
