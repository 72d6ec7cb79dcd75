/**
 * A task's evaluated items as plain text, the way a training corpus would hold them: the zero-shot prompt
 * followed by the target delimiter and the gold answer (multiple choice: the first gold choice; generation: the
 * target; rolling tasks: the text). No chat template, no few-shot: contamination is about the raw items.
 */
import { ModelmapError } from "../core/errors.ts";
import { loadDatasetMaps } from "../tasks/dataset-map.ts";
import type { LoadedTask } from "../tasks/loader.ts";
import { type DataContext, openPrompter } from "../tasks/task-data.ts";

export interface TaskItem {
  docId: number;
  text: string;
}

export async function taskItems(task: LoadedTask, data: string | DataContext, limit?: number): Promise<TaskItem[]> {
  const ctx = typeof data === "string" ? { dataDir: data, datasetMap: loadDatasetMaps(data) } : data;
  const opened = await openPrompter(task, ctx, {
    chatTemplate: false,
    fewshotAsMultiturn: false,
    numFewshot: 0,
    seed: 0,
  });
  const prompter = opened.prompter;
  const out: TaskItem[] = [];
  let docId = 0;
  for await (const doc of opened.data.evalDocs()) {
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
  if (out.length === 0) throw new ModelmapError("input", `task '${task.name}' has no documents in its eval split`);
  return out;
}
