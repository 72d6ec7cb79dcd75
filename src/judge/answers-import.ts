import { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { hashOf, sha256 } from "../core/hash.ts";
import { textDefect } from "../core/text.ts";
import type { Store } from "../store/store.ts";
import { styleOf } from "./style.ts";

/**
 * Imports answers written elsewhere in FastChat's `model_answer` JSONL layout (MT-bench, Vicuna-bench,
 * Arena-Hard baseline answers): {question_id, model_id, choices: [{turns: [text | {content}]}]}. Each row is
 * matched to a prompt of a stored set by its id (as is, or with the mtbench-/vicuna- prefix the question
 * importers give), and stored as that model's answer, so it can be judged and labelled like generated ones.
 */
const row = z.looseObject({
  question_id: z.union([z.string().min(1), z.number().int()]),
  model_id: z
    .string()
    .min(1)
    .superRefine((s, ctx) => {
      const why = textDefect(s);
      if (why) ctx.addIssue({ code: "custom", message: `the model name ${why}` });
    })
    .optional(),
  choices: z
    .array(z.looseObject({ turns: z.array(z.union([z.string(), z.looseObject({ content: z.string() })])).min(1) }))
    .min(1),
});

export async function importAnswers(
  store: Store,
  opts: { file: string; setName: string; model?: string },
): Promise<{ imported: number; unmatched: string[]; model: string }> {
  const set = await store.judging.getPromptSet(opts.setName);
  if (!set)
    throw new ModelmapError("not_found", `no stored prompt set '${opts.setName}'`, {
      hint: "modelmap prompts import first",
    });
  const ids = new Set((await store.judging.promptItems(opts.setName)).map((p) => p.id));
  const text = readUserText(opts.file, "answers file");
  const fileHash = sha256(text);
  const unmatched: string[] = [];
  let imported = 0;
  let model = opts.model;
  const rows: Array<{ promptId: string; outputs: string[]; model: string }> = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch (e) {
      throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, {
        location: { file: opts.file, line: i + 1 },
      });
    }
    const r = row.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ModelmapError("input", issue?.message ?? "invalid answer row", {
        location: { file: opts.file, line: i + 1, field: issue ? fieldPath(issue.path) : "" },
        hint: "expected FastChat model_answer rows: {question_id, model_id, choices: [{turns: [...]}]}",
      });
    }
    const m = opts.model ?? r.data.model_id;
    if (!m) {
      throw new ModelmapError("input", "row has no model_id; pass --model", {
        location: { file: opts.file, line: i + 1 },
      });
    }
    model ??= m;
    const qid = String(r.data.question_id);
    const promptId = [qid, `mtbench-${qid}`, `vicuna-${qid}`].find((c) => ids.has(c));
    if (!promptId) {
      unmatched.push(qid);
      return;
    }
    const turns = (r.data.choices[0]?.turns ?? []).map((t) => (typeof t === "string" ? t : t.content));
    rows.push({ promptId, outputs: turns, model: m });
  });
  if (rows.length === 0 && unmatched.length > 0)
    throw new ModelmapError(
      "input",
      `no answer matches a prompt of set '${opts.setName}' (question ids ${unmatched.slice(0, 5).join(", ")}${unmatched.length > 5 ? ", ..." : ""})`,
      { location: { file: opts.file }, hint: "is --prompts the set these answers were made for?" },
    );
  await store.transaction(async () => {
    for (const r of rows) {
      await store.judging.putAnswer({
        key: hashOf({ imported: fileHash, set: opts.setName, prompt: r.promptId, model: r.model }),
        setName: opts.setName,
        promptId: r.promptId,
        model: r.model,
        outputs: r.outputs,
        params: { imported: opts.file, sha256: fileHash },
        finishReasons: r.outputs.map(() => "stop"),
        error: null,
        ...styleOf(r.outputs.join("\n\n")),
      });
      imported++;
    }
  });
  return { imported, unmatched, model: model ?? "" };
}
