import { z } from "zod";
import { textDefect } from "../core/text.ts";

/**
 * The prompt-set format. One item is one conversation to answer: one or more user turns, an optional
 * reference answer (one per turn, or one for the whole item) used by reference-guided grading, and tags.
 * Schemas are strict so that a typo in a key is an error, not a silently ignored field.
 */
export const promptIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, "ids use letters, digits and _ . : - and start with a letter or digit");

export const categorySchema = z
  .string()
  .min(1)
  .max(60)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "categories are lowercase kebab-case, e.g. 'closed-qa'");

/** Prompt text: NUL and lone surrogates are refused (SQLite stored the latter as invalid UTF-8). */
const prose = (what: string) =>
  z.string().superRefine((s, ctx) => {
    const why = textDefect(s, { prose: true });
    if (why) ctx.addIssue({ code: "custom", message: `${what} ${why}` });
  });

export const promptItemSchema = z
  .strictObject({
    id: promptIdSchema,
    category: categorySchema,
    turns: z.array(prose("the turn").pipe(z.string().min(1, "a turn must not be empty"))).min(1, "at least one turn"),
    reference: z.union([prose("the reference").pipe(z.string().min(1)), z.array(prose("the reference"))]).optional(),
    tags: z.array(z.string().min(1)).optional(),
  })
  .superRefine((item, ctx) => {
    if (Array.isArray(item.reference) && item.reference.length > item.turns.length)
      ctx.addIssue({
        code: "custom",
        path: ["reference"],
        message: `${item.reference.length} references for ${item.turns.length} turn(s): at most one per turn`,
      });
  });
export type PromptItem = z.infer<typeof promptItemSchema>;

/** Set-level metadata: a YAML file's top-level keys, or a JSONL file's `{"set": {...}}` first line. */
export const setMetaSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  /** A secret set's prompts are served only to admins; everyone else sees aggregate results. */
  secret: z.boolean().optional(),
  /** A unique string embedded in the set so that leakage into a model's training data can be detected. */
  canary: z.string().min(16).optional(),
  version: z.union([z.string(), z.number()]).optional(),
});
export type SetMeta = z.infer<typeof setMetaSchema>;

export const yamlSetFileSchema = setMetaSchema.extend({ prompts: z.array(z.unknown()).min(1) });

export interface PromptSet {
  name: string;
  description?: string;
  secret: boolean;
  canary?: string;
  /** sha256 of the canonical content (items in order + metadata): identifies the exact version. */
  contentHash: string;
  items: PromptItem[];
  /** Where the set was read from (file or folder). */
  origin: string;
}

/** Reference answer for a given turn (0-based), if the item has one. */
export function referenceFor(item: PromptItem, turn: number): string | undefined {
  if (item.reference === undefined) return undefined;
  if (typeof item.reference === "string")
    return turn === item.turns.length - 1 || turn === 0 ? item.reference : undefined;
  const r = item.reference[turn];
  return r === undefined || r === "" ? undefined : r;
}
