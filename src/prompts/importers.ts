import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import type { PromptItem } from "./schema.ts";

/**
 * Importers for public question files, converted to prompt items on read (the public data is never copied
 * into the repository). Formats: MT-bench and Vicuna-bench `question.jsonl` (FastChat's llm_judge layout,
 * with the GPT-4 reference answers joined from the sibling `reference_answer_gpt-4.jsonl` when present) and
 * Arena-Hard v0.1 / v2.0 `question.jsonl`.
 */
export type ImportFormat = "native" | "mt-bench" | "arena-hard";
export const IMPORT_FORMATS: ImportFormat[] = ["native", "mt-bench", "arena-hard"];

const mtBenchRow = z.object({
  question_id: z.union([z.number().int(), z.string().min(1)]),
  category: z.string().min(1),
  turns: z.array(z.string().min(1)).min(1),
  reference: z.array(z.string()).optional(),
});

const mtBenchReferenceRow = z.object({
  question_id: z.union([z.number().int(), z.string().min(1)]),
  choices: z.array(z.object({ turns: z.array(z.union([z.string(), z.object({ content: z.string() })])) })).min(1),
});

const arenaHardRow = z.object({
  uid: z.string().min(1),
  category: z.string().min(1),
  cluster: z.string().optional(),
  subcategory: z.string().optional(),
  prompt: z.string().min(1),
});

export function detectImportFormat(file: string, text: string): ImportFormat {
  const firstLine = text.split(/\r?\n/).find((l) => l.trim() !== "");
  if (!firstLine) return "native";
  let row: unknown;
  try {
    row = JSON.parse(firstLine);
  } catch {
    return "native"; // the native parser reports the error with its line
  }
  if (!row || typeof row !== "object") return "native";
  if ("question_id" in row && "turns" in row) return "mt-bench";
  if ("uid" in row && "prompt" in row) return "arena-hard";
  void file;
  return "native";
}

/** kebab-cases a public category name so that it passes the category schema. */
export function kebab(s: string): string {
  return (
    s
      .trim()
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "uncategorized"
  );
}

function parseLines<T>(file: string, text: string, schema: z.ZodType<T>): Array<{ row: T; line: number }> {
  const out: Array<{ row: T; line: number }> = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (e) {
      throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, { location: { file, line: i + 1 } });
    }
    const r = schema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ModelmapError("input", issue?.message ?? "invalid row", {
        location: { file, line: i + 1, field: issue ? fieldPath(issue.path) : "" },
      });
    }
    out.push({ row: r.data, line: i + 1 });
  });
  return out;
}

/** A readable default name for an imported public set. */
export function importedSetName(format: Exclude<ImportFormat, "native">, file: string): string {
  const name = basename(file).replace(/\.jsonl?$/i, "");
  if (format === "arena-hard") return name.replace(/_question$/, "");
  return /vicuna/i.test(name) ? "vicuna-bench" : "mt-bench";
}

/** The sibling reference file FastChat writes next to a question file, if it exists. */
export function mtBenchReferenceFile(questionFile: string): string | undefined {
  const name = basename(questionFile);
  const candidates = [name.replace(/question\.jsonl$/, "reference_answer_gpt-4.jsonl"), "reference_answer_gpt-4.jsonl"];
  for (const c of candidates) {
    if (c === name) continue;
    const p = join(dirname(questionFile), c);
    if (existsSync(p)) return p;
  }
  return undefined;
}

export function importRows(
  format: Exclude<ImportFormat, "native">,
  file: string,
  text: string,
): Array<{ item: PromptItem; file: string; line: number }> {
  if (format === "arena-hard") {
    return parseLines(file, text, arenaHardRow).map(({ row, line }) => {
      const tags = [row.category, ...(row.cluster ? [row.cluster] : [])];
      const item: PromptItem = {
        id: row.uid,
        category: kebab(row.subcategory ?? "hard-prompt"),
        turns: [row.prompt],
        tags,
      };
      return { item, file, line };
    });
  }
  const prefix = /vicuna/i.test(basename(file)) ? "vicuna" : "mtbench";
  const refs = new Map<string, string[]>();
  const refFile = mtBenchReferenceFile(file);
  if (refFile) {
    for (const { row } of parseLines(refFile, readFileSync(refFile, "utf8"), mtBenchReferenceRow)) {
      const turns = (row.choices[0]?.turns ?? []).map((t) => (typeof t === "string" ? t : t.content));
      refs.set(String(row.question_id), turns);
    }
  }
  return parseLines(file, text, mtBenchRow).map(({ row, line }) => {
    const item: PromptItem = {
      id: `${prefix}-${row.question_id}`,
      category: kebab(row.category),
      turns: row.turns,
      tags: [prefix],
    };
    // An inline reference (a few MT-bench questions carry one) wins over the GPT-4 reference file.
    const ref = row.reference ?? refs.get(String(row.question_id));
    if (ref?.some((r) => r.trim() !== "")) item.reference = ref;
    return { item, file, line };
  });
}
