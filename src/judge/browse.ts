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
export function setVisibility(store: Store, setName: string): SetVisibility {
  return {
    name: setName,
    secret: store.judging.getPromptSet(setName)?.secret ?? false,
    campaigns: store.labeling
      .campaigns()
      .filter((c) => c.setName === setName)
      .map((c) => c.id),
  };
}

/**
 * Prompt sets that have at least one judgment, with their judgment counts; `restricted` when this viewer may not
 * open them (the names and counts are no secret).
 */
export function judgedSets(
  store: Store,
  viewer: Viewer,
): Array<{ set: string; judgments: number; restricted: boolean }> {
  return store.judging
    .listPromptSets()
    .map((s) => ({
      set: s.name,
      judgments: store.judging.judgments({ setName: s.name }).length,
      restricted: setTextsWithheld(viewer, setVisibility(store, s.name)) !== undefined,
    }))
    .filter((s) => s.judgments > 0);
}

function requireJudgments(store: Store, setName: string, viewer: Viewer): JudgmentRecord[] {
  const all = store.judging.judgments({ setName });
  if (all.length === 0) throw new ModelmapError("not_found", `no judgments for prompt set '${setName}'`);
  requireSetTexts(viewer, setVisibility(store, setName));
  return all;
}

/** An answer as shown: an imported one names its file, not the file's place on the server. */
function shownAnswer(a: AnswerRecord | undefined): AnswerRecord | undefined {
  if (!a || typeof a.params !== "object" || a.params === null || !("imported" in a.params)) return a;
  const p = a.params as { imported: unknown };
  return typeof p.imported === "string" ? { ...a, params: { ...p, imported: publicPath(p.imported) } } : a;
}

/** One page of a set's judgments (pages count from 1). */
export function listJudgments(
  store: Store,
  setName: string,
  viewer: Viewer,
  opts: { page?: number | undefined; pageSize?: number | undefined } = {},
): JudgmentsPage {
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(500, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const all = requireJudgments(store, setName, viewer);
  return {
    set: setName,
    total: all.length,
    page,
    page_size: pageSize,
    judgments: all.slice((page - 1) * pageSize, page * pageSize),
  };
}

export function judgmentDetail(store: Store, setName: string, key: string, viewer: Viewer): JudgmentDetail {
  const judgment = requireJudgments(store, setName, viewer).find((j) => j.key === key);
  if (!judgment) throw new ModelmapError("not_found", `no judgment '${key}' in prompt set '${setName}'`);
  return {
    judgment,
    prompt: store.judging.promptItem(setName, judgment.promptId),
    first: shownAnswer(store.judging.getAnswer(judgment.answerFirst)),
    second: judgment.answerSecond === null ? undefined : shownAnswer(store.judging.getAnswer(judgment.answerSecond)),
  };
}
