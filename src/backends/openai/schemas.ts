/**
 * zod schemas for what OpenAI-compatible servers send back. Servers differ (vLLM, llama.cpp server, Ollama,
 * TGI, hosted APIs), so the schemas accept the documented shape plus the known variations, and everything the
 * backend reads goes through them: a body that does not fit becomes an error with the zod reason, never a
 * crash deeper down.
 */
import { z } from "zod";

/** Legacy completions logprobs: parallel arrays, the first prompt token's entries null. */
export const legacyLogprobsSchema = z.object({
  tokens: z.array(z.string()),
  token_logprobs: z.array(z.number().nullable()),
  // vLLM and OpenAI: one object {token: logprob} per position; a few servers send [{token, logprob}] lists.
  top_logprobs: z
    .array(
      z
        .union([
          z.record(z.string(), z.number()),
          z.array(z.object({ token: z.string(), logprob: z.number() }).loose()),
        ])
        .nullable(),
    )
    .nullish(),
  text_offset: z.array(z.number().int()).nullish(),
});

/** Chat-style logprobs ({content:[{token, logprob, top_logprobs}]}), which llama.cpp server also uses for completions. */
export const contentLogprobsSchema = z.object({
  content: z
    .array(
      z
        .object({
          token: z.string(),
          logprob: z.number().nullable(),
          top_logprobs: z.array(z.object({ token: z.string(), logprob: z.number() }).loose()).nullish(),
        })
        .loose(),
    )
    .nullable(),
});

/**
 * modelmap never asks for n > 1, so a second choice means the server answered something else than what was asked
 * (a proxy merging requests, a broken n): which choice is ours cannot be known, so none is used.
 */
const ONE_CHOICE = "expected exactly one choice (the request asked for n = 1)";

const usageSchema = z
  .object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() })
  .loose();

export const completionResponseSchema = z
  .object({
    model: z.string().optional(),
    choices: z
      .array(
        z
          .object({
            index: z.number().int().optional(),
            text: z.string(),
            finish_reason: z.string().nullish(),
            logprobs: z.union([legacyLogprobsSchema, contentLogprobsSchema]).nullish(),
          })
          .loose(),
      )
      .min(1)
      .max(1, ONE_CHOICE),
    usage: usageSchema.nullish(),
  })
  .loose();

export const chatResponseSchema = z
  .object({
    model: z.string().optional(),
    choices: z
      .array(
        z
          .object({
            index: z.number().int().optional(),
            message: z.object({ role: z.string().optional(), content: z.string().nullable() }).loose(),
            finish_reason: z.string().nullish(),
          })
          .loose(),
      )
      .min(1)
      .max(1, ONE_CHOICE),
    usage: usageSchema.nullish(),
  })
  .loose();

export const modelsResponseSchema = z.object({ data: z.array(z.object({ id: z.string() }).loose()) }).loose();

/** The error body most servers send: {error: {message}} or {error: "text"} or {detail: ...}. */
export const errorBodySchema = z.union([
  z.object({ error: z.object({ message: z.string() }).loose() }).loose(),
  z.object({ error: z.string() }).loose(),
  z.object({ detail: z.unknown() }).loose(),
  z.object({ message: z.string() }).loose(),
]);

export type CompletionResponse = z.infer<typeof completionResponseSchema>;
export type ChatResponse = z.infer<typeof chatResponseSchema>;
export type LegacyLogprobs = z.infer<typeof legacyLogprobsSchema>;
export type ContentLogprobs = z.infer<typeof contentLogprobsSchema>;

/** Formats the first few zod issues as `field: message` for an error reason. */
export function zodReason(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join(".") : "(root)"}: ${i.message}`)
    .join("; ");
}
