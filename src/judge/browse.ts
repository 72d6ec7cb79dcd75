/**
 * Reading stored LLM-judge verdicts back: the judged prompt sets, a page of one set's judgments, and one
 * judgment with the prompt and the answers in the order the judge saw them (the `/judgments` pages and API).
 * Every read takes the viewer and applies the one access rule (`core/access.ts`): a secret set's texts, and a
 * set under a blind labeling campaign, are an admin's; no answer shows where its file was on the server.
 */
import { publicPath, requireSetTexts, type SetVisibility, setTextsWithheld, type Viewer } from "../core/access.ts";
import { ModelmapError } from "../core/errors.ts";
import type { AnswerRecord, JudgmentRecord, StoredPromptItem } from "../store/judging.ts";
import type { Store } from "../store/store.ts";

export interface JudgmentsPage {
  set: string;
  total: number;
  page: number;
  page_size: number;
  judgments: JudgmentRecord[];
}

export interface JudgmentDetail {
  judgment: JudgmentRecord;
  prompt: StoredPromptItem | undefined;
  /** The answer shown first (or the only one, for a single grade). */
  first: AnswerRecord | undefined;
  second: AnswerRecord | undefined;
}

/** Who may read a stored set's texts: its secret flag and the campaigns labeling its answers. */
export async function setVisibility(store: Store, setName: string): Promise<SetVisibility> {
  return {
    name: setName,
    secret: (await store.judging.getPromptSet(setName))?.secret ?? false,
    campaigns: (await store.labeling.campaigns()).filter((c) => c.setName === setName).map((c) => c.id),
  };
}

/**
 * Prompt sets that have at least one judgment, with their judgment counts; `restricted` when this viewer may not
 * open them (the names and counts are no secret).
 */
export async function judgedSets(
  store: Store,
  viewer: Viewer,
): Promise<Array<{ set: string; judgments: number; restricted: boolean }>> {
  const out: Array<{ set: string; judgments: number; restricted: boolean }> = [];
  for (const s of await store.judging.listPromptSets()) {
    const judgments = (await store.judging.judgments({ setName: s.name })).length;
    if (judgments === 0) continue;
    const restricted = setTextsWithheld(viewer, await setVisibility(store, s.name)) !== undefined;
    out.push({ set: s.name, judgments, restricted });
  }
  return out;
}

async function requireJudgments(store: Store, setName: string, viewer: Viewer): Promise<JudgmentRecord[]> {
  const all = await store.judging.judgments({ setName });
  if (all.length === 0) throw new ModelmapError("not_found", `no judgments for prompt set '${setName}'`);
  requireSetTexts(viewer, await setVisibility(store, setName));
  return all;
}

/** An answer as shown: an imported one names its file, not the file's place on the server. */
function shownAnswer(a: AnswerRecord | undefined): AnswerRecord | undefined {
  if (!a || typeof a.params !== "object" || a.params === null || !("imported" in a.params)) return a;
  const p = a.params as { imported: unknown };
  return typeof p.imported === "string" ? { ...a, params: { ...p, imported: publicPath(p.imported) } } : a;
}

/** One page of a set's judgments (pages count from 1). */
export async function listJudgments(
  store: Store,
  setName: string,
  viewer: Viewer,
  opts: { page?: number | undefined; pageSize?: number | undefined } = {},
): Promise<JudgmentsPage> {
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(500, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const all = await requireJudgments(store, setName, viewer);
  return {
    set: setName,
    total: all.length,
    page,
    page_size: pageSize,
    judgments: all.slice((page - 1) * pageSize, page * pageSize),
  };
}

export async function judgmentDetail(
  store: Store,
  setName: string,
  key: string,
  viewer: Viewer,
): Promise<JudgmentDetail> {
  const judgment = (await requireJudgments(store, setName, viewer)).find((j) => j.key === key);
  if (!judgment) throw new ModelmapError("not_found", `no judgment '${key}' in prompt set '${setName}'`);
  return {
    judgment,
    prompt: await store.judging.promptItem(setName, judgment.promptId),
    first: shownAnswer(await store.judging.getAnswer(judgment.answerFirst)),
    second:
      judgment.answerSecond === null ? undefined : shownAnswer(await store.judging.getAnswer(judgment.answerSecond)),
  };
}
