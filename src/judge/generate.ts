import type { Backend, ChatMessage, GenerateResult, GenerationParams } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { hashOf } from "../core/hash.ts";
import { deriveSeed } from "../core/rng.ts";
import type { AnswerRecord, StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";
import { mapPool, samplingFor } from "./sampling.ts";
import { styleOf } from "./style.ts";

export interface GenerateOptions {
  store: Store;
  setName: string;
  items: StoredPromptItem[];
  /** Model id -> backend. */
  backends: Map<string, Backend>;
  seed?: number;
  maxTokens?: number;
  /** Overrides the per-category settings (e.g. `--temperature`). */
  override?: Partial<GenerationParams>;
  systemPrompt?: string;
  signal?: AbortSignal;
  /** After each call: calls done, calls in all, calls failed so far. */
  onProgress?: (done: number, total: number, failed: number) => void;
}

export interface GenerateSummary {
  total: number;
  generated: number;
  resumed: number;
  failed: number;
  failures: Array<{ model: string; promptId: string; error: string }>;
}

/** The content key of one answer: everything that changes it. A rerun with the same key resumes. */
export function answerKey(
  backend: Backend,
  setName: string,
  item: StoredPromptItem,
  params: GenerationParams,
  systemPrompt: string | undefined,
): string {
  const id = backend.identity;
  return hashOf({
    v: 1,
    set: setName,
    prompt: item.id,
    turns: item.turns,
    model: { id: id.id, backend: id.backend, name: id.name, file: id.fileSha256 },
    params,
    system: systemPrompt,
  });
}

/**
 * Answers every prompt of a set with every model: multi-turn (each turn sees the model's own earlier
 * answers), per-category sampling, each request cached in the harness's request cache and each finished
 * answer stored under its content key, so an interrupted run resumes where it stopped. A failed answer is
 * stored with its error and retried on the next run.
 */
export async function generateAnswers(o: GenerateOptions): Promise<GenerateSummary> {
  const seed = o.seed ?? 0;
  const maxTokens = o.maxTokens ?? 1024;
  const total = o.backends.size * o.items.length;
  const summary: GenerateSummary = { total, generated: 0, resumed: 0, failed: 0, failures: [] };
  let done = 0;
  // One pool per model, each as wide as its backend allows; the models run side by side.
  await Promise.all(
    [...o.backends].map(([model, backend]) =>
      mapPool(o.items, backend.capabilities.concurrency, async (item) => {
        if (o.signal?.aborted) throw new ModelmapError("aborted", "interrupted");
        const params: GenerationParams = {
          ...samplingFor(item.category, { maxTokens, seed: deriveSeed(seed, item.id) }),
          ...o.override,
        };
        const key = answerKey(backend, o.setName, item, params, o.systemPrompt);
        const existing = await o.store.judging.getAnswer(key);
        if (existing && existing.error === null) {
          summary.resumed++;
        } else {
          const rec = await answerItem(o, backend, model, item, params, key);
          await o.store.judging.putAnswer(rec);
          if (rec.error === null) summary.generated++;
          else {
            summary.failed++;
            summary.failures.push({ model, promptId: item.id, error: rec.error });
          }
        }
        o.onProgress?.(++done, total, summary.failed);
      }),
    ),
  );
  return summary;
}

async function answerItem(
  o: GenerateOptions,
  backend: Backend,
  model: string,
  item: StoredPromptItem,
  params: GenerationParams,
  key: string,
): Promise<Omit<AnswerRecord, "createdAt">> {
  const messages: ChatMessage[] = o.systemPrompt ? [{ role: "system", content: o.systemPrompt }] : [];
  const outputs: string[] = [];
  const finishReasons: string[] = [];
  let tokens = 0;
  let error: string | null = null;
  for (const turn of item.turns) {
    messages.push({ role: "user", content: turn });
    let res: GenerateResult;
    try {
      res = await cachedGenerate(o, backend, messages, params);
    } catch (e) {
      if (e instanceof ModelmapError && e.code === "aborted") throw e;
      error = (e as Error).message;
      break;
    }
    if (res.finishReason === "error" || res.finishReason === "abort") {
      error = `generation ended with '${res.finishReason}'`;
      break;
    }
    outputs.push(res.text);
    finishReasons.push(res.finishReason);
    tokens += res.usage.completionTokens;
    messages.push({ role: "assistant", content: res.text });
  }
  const style = styleOf(outputs.join("\n\n"), tokens > 0 ? tokens : undefined);
  return { key, setName: o.setName, promptId: item.id, model, outputs, params, finishReasons, error, ...style };
}

async function cachedGenerate(
  o: GenerateOptions,
  backend: Backend,
  messages: ChatMessage[],
  params: GenerationParams,
): Promise<GenerateResult> {
  const id = backend.identity;
  const cacheKey = hashOf({
    kind: "generate",
    model: { backend: id.backend, name: id.name, file: id.fileSha256, endpoint: id.endpoint },
    messages,
    params,
  });
  const hit = (await o.store.evals.cacheGet([cacheKey])).get(cacheKey);
  if (hit !== undefined) return JSON.parse(hit) as GenerateResult;
  const res = await backend.generate(messages, params, o.signal ? { signal: o.signal } : {});
  // Only finished generations are cached: an error or abort must be retried next time.
  if (res.finishReason === "stop" || res.finishReason === "length") {
    await o.store.evals.cachePut(`generate:${o.setName}`, [{ key: cacheKey, value: JSON.stringify(res) }]);
  }
  return res;
}
