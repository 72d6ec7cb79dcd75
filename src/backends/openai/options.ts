/**
 * Options of the openai backend, already resolved (the API key read from the environment variable the config
 * names; the config module does that). The schema is the single source of the type and of the defaults.
 */
import { z } from "zod";

export const openaiBackendOptionsSchema = z
  .object({
    /** The configured model id (modelmap's name for it). */
    id: z.string().min(1),
    /** The name sent as `model` in every request (what the server serves). */
    model: z.string().min(1),
    /** One or more base URLs, each ending in /v1 (e.g. http://gpu1:8000/v1). */
    baseUrls: z.array(z.url()).min(1),
    apiKey: z.string().optional(),
    headers: z.record(z.string(), z.string()).optional(),
    /** Requests in flight at once across all base URLs. */
    concurrency: z.number().int().min(1).max(4096).default(16),
    balance: z.enum(["least-outstanding", "round-robin"]).default("least-outstanding"),
    /** Per attempt. */
    timeoutMs: z.number().int().positive().default(120_000),
    maxRetries: z.number().int().min(0).max(100).default(6),
    backoffBaseMs: z.number().nonnegative().default(500),
    backoffMaxMs: z.number().nonnegative().default(30_000),
    maxRetryAfterMs: z.number().nonnegative().default(120_000),
    /** Top alternatives requested per position for log-likelihood (isGreedy needs at least 1). */
    logprobs: z.number().int().min(1).max(20).default(1),
    /** max_tokens for scoring requests: 0 is exact; some servers need 1; "auto" tries 0 and falls back to 1. */
    scoringMaxTokens: z.union([z.literal(0), z.literal(1), z.literal("auto")]).default("auto"),
    /** Chat messages go to /chat/completions (the server applies the template); false sends nothing there. */
    chat: z.boolean().default(true),
    /** Seed of the retry jitter (all randomness in modelmap is seeded). */
    seed: z.number().int().default(0),
  })
  .strict();

export type OpenAIBackendOptions = z.input<typeof openaiBackendOptionsSchema>;
export type ResolvedOpenAIBackendOptions = z.output<typeof openaiBackendOptionsSchema>;
