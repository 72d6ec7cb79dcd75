import type { GenerationParams } from "../backends/types.ts";

/**
 * Per-category sampling settings for answer generation. Tasks with one right answer are decoded greedily
 * so that a model is judged on its best guess; open-ended and creative tasks are sampled, because greedy
 * decoding makes such answers repetitive and unrepresentative of how the model is used.
 */
const GREEDY = new Set([
  "math",
  "coding",
  "reasoning",
  "extraction",
  "classification",
  "closed-qa",
  "fermi",
  "common-sense",
]);
const LOW = new Set(["knowledge", "stem", "humanities", "summarization", "rewriting", "open-qa", "generic"]);

export function samplingFor(category: string, base: { maxTokens: number; seed: number }): GenerationParams {
  if (GREEDY.has(category)) return { maxTokens: base.maxTokens, temperature: 0, seed: base.seed };
  if (LOW.has(category)) return { maxTokens: base.maxTokens, temperature: 0.3, topP: 0.95, seed: base.seed };
  return { maxTokens: base.maxTokens, temperature: 0.7, topP: 0.95, seed: base.seed };
}

/** Categories whose prompts get reference-guided grading when the item carries a reference. */
export const REFERENCE_GUIDED = new Set([
  "math",
  "coding",
  "reasoning",
  "fermi",
  "common-sense",
  "closed-qa",
  "extraction",
  "classification",
]);

/** Runs `fn` over items with at most `limit` in flight, preserving order of results. */
export async function mapPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}
