/** Request bodies the OpenAI-compatible server accepts, validated before anything reaches the engine. */
import { z } from "zod";

const stop = z
  .union([z.string(), z.array(z.string()).max(16)])
  .nullish()
  .transform((s) => (s == null ? undefined : typeof s === "string" ? [s] : s));

const sampling = {
  model: z.string().optional(),
  max_tokens: z.number().int().min(0).nullish(),
  temperature: z.number().min(0).max(5).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  min_p: z.number().min(0).max(1).nullish(),
  repetition_penalty: z.number().positive().nullish(),
  repeat_penalty: z.number().positive().nullish(),
  seed: z.number().int().nullish(),
  stop,
  n: z.literal(1).nullish(),
  stream: z.boolean().nullish(),
  user: z.string().nullish(),
};

export const completionRequestSchema = z
  .object({
    ...sampling,
    prompt: z.union([z.string(), z.array(z.string()).min(1).max(64)]),
    echo: z.boolean().nullish(),
    logprobs: z.number().int().min(0).max(20).nullish(),
    frequency_penalty: z.number().nullish(),
    presence_penalty: z.number().nullish(),
  })
  .loose();

export const chatRequestSchema = z
  .object({
    ...sampling,
    messages: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() }).loose()).min(1),
    max_completion_tokens: z.number().int().min(0).nullish(),
    logprobs: z.boolean().nullish(),
    frequency_penalty: z.number().nullish(),
    presence_penalty: z.number().nullish(),
  })
  .loose();

export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type ChatRequest = z.infer<typeof chatRequestSchema>;
