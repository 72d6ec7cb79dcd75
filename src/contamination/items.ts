/**
 * A task's evaluated items as plain text, the way a training corpus would hold them: the zero-shot prompt
 * followed by the target delimiter and the gold answer (multiple choice: the first gold choice; generation: the
 * target; rolling tasks: the text). No chat template, no few-shot: contamination is about the raw items.
 */
import { ModelmapError } from "../core/errors.ts";
import { readDocs } from "../tasks/dataset.ts";
import { TaskPrompter } from "../tasks/instance.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { evalSplit, filesFor, splitFiles } from "../tasks/splits.ts";

export interface TaskItem {
  docId: number;
  text: string;
}

export async function taskItems(task: LoadedTask, dataDir: string, limit?: number): Promise<TaskItem[]> {
  const prompter = new TaskPrompter(
    task.config,
    { chatTemplate: false, fewshotAsMultiturn: false, numFewshot: 0, seed: 0 },
    [],
    false,
  );
  const out: TaskItem[] = [];
  let docId = 0;
  for (const f of filesFor(task, splitFiles(task, dataDir), evalSplit(task))) {
    for await (const doc of readDocs(f, task.name, task.config.dataset_url)) {
      if (limit !== undefined && docId >= limit) return out;
      const inst = await prompter.instance(doc, docId);
      let text: string;
      const first = inst.requests[0];
      if (first === undefined)
        throw new ModelmapError("internal", `task '${task.name}' document ${docId} has no request`);
      if (first.kind === "rolling") text = first.text;
      else if (first.kind === "generate") text = `${first.prompt}${prompter.targetDelimiter}${String(inst.gold)}`;
      else {
        const g = Array.isArray(inst.gold) ? (inst.gold[0] ?? 0) : 0;
        const req = inst.requests[inst.multiInput ? g : g];
        if (req === undefined || req.kind !== "loglikelihood")
          throw new ModelmapError("input", `task '${task.name}' document ${docId}: gold index ${g} has no choice`);
        text = req.context + req.continuation;
      }
      out.push({ docId, text });
      docId++;
    }
  }
  if (out.length === 0) throw new ModelmapError("input", `task '${task.name}' has no documents in its eval split`);
  return out;
}
