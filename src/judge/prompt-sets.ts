import { existsSync } from "node:fs";
import { ModelmapError } from "../core/errors.ts";
import { loadPromptSet } from "../prompts/load.ts";
import type { PromptSet } from "../prompts/schema.ts";
import type { StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";

/**
 * Resolves `--prompts SET`: an existing path to a set file or folder is loaded and stored (replacing an
 * older version under the same name); otherwise SET names a set already stored. Returns the stored name and items.
 */
export async function resolvePromptSet(
  store: Store,
  ref: string,
  opts: { loadPath?: (p: string) => PromptSet } = {},
): Promise<{
  name: string;
  secret: boolean;
  items: StoredPromptItem[];
}> {
  const stored = await store.judging.getPromptSet(ref);
  if (!existsSync(ref)) {
    if (stored)
      return { name: stored.name, secret: stored.secret, items: await store.judging.promptItems(stored.name) };
    const known = (await store.judging.listPromptSets()).map((s) => s.name);
    throw new ModelmapError("not_found", `no prompt set named or found at '${ref}'`, {
      hint: known.length ? `stored sets: ${known.join(", ")}` : "pass a path such as prompts/heldout",
    });
  }
  const set = (opts.loadPath ?? loadPromptSet)(ref);
  return storePromptSet(store, set);
}

export async function storePromptSet(
  store: Store,
  set: PromptSet,
): Promise<{ name: string; secret: boolean; items: StoredPromptItem[] }> {
  const items: StoredPromptItem[] = set.items.map((i) => ({
    setName: set.name,
    id: i.id,
    category: i.category,
    turns: i.turns,
    reference: i.reference ?? null,
    tags: i.tags ?? [],
  }));
  const existing = await store.judging.getPromptSet(set.name);
  if (!existing || existing.contentHash !== set.contentHash) {
    await store.judging.putPromptSet(
      {
        name: set.name,
        contentHash: set.contentHash,
        secret: set.secret,
        canary: set.canary ?? null,
        description: set.description ?? null,
        origin: set.origin,
      },
      items,
    );
  }
  return { name: set.name, secret: set.secret, items };
}
