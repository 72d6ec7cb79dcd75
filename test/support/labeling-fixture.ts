import type { Store } from "../../src/store/store.ts";

/**
 * Puts a prompt set and answers for the given models straight into a store, as `modelmap generate`
 * would have left them, so labeling tests do not need a model. `answer(model, promptIndex)` gives the
 * text of each answer.
 */
export async function seedAnswers(
  store: Store,
  opts: {
    set: string;
    prompts: number;
    models: string[];
    secret?: boolean;
    category?: string;
    answer?: (model: string, i: number) => string;
    prompt?: (i: number) => string;
  },
): Promise<void> {
  const items = Array.from({ length: opts.prompts }, (_, i) => ({
    setName: opts.set,
    id: `q${i}`,
    category: opts.category ?? "chat",
    turns: [opts.prompt ? opts.prompt(i) : `Question number ${i}?`],
    reference: null,
    tags: [],
  }));
  await store.judging.putPromptSet(
    {
      name: opts.set,
      contentHash: `h-${opts.set}`,
      secret: opts.secret ?? false,
      canary: null,
      description: null,
      origin: null,
    },
    items,
  );
  for (const it of items) {
    const i = Number(it.id.slice(1));
    for (const m of opts.models) {
      const text = opts.answer ? opts.answer(m, i) : `Answer ${i} with **some** detail.`;
      await store.judging.putAnswer({
        key: `${opts.set}-${it.id}-${m}`,
        setName: opts.set,
        promptId: it.id,
        model: m,
        outputs: [text],
        params: {},
        finishReasons: ["stop"],
        error: null,
        chars: text.length,
        tokens: text.split(/\s+/).length,
        headers: 0,
        lists: 0,
        bold: 0,
      });
    }
  }
}
