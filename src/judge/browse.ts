/**
 * Reading stored LLM-judge verdicts back: the judged prompt sets, a page of one set's judgments, and one
 * judgment with the prompt and the answers in the order the judge saw them (the `/judgments` pages and API).
 */
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

/** Prompt sets that have at least one judgment, with their judgment counts. */
export function judgedSets(store: Store): Array<{ set: string; judgments: number }> {
  return store.judging
    .listPromptSets()
    .map((s) => ({ set: s.name, judgments: store.judging.judgments({ setName: s.name }).length }))
    .filter((s) => s.judgments > 0);
}

function requireJudgments(store: Store, setName: string): JudgmentRecord[] {
  const all = store.judging.judgments({ setName });
  if (all.length === 0) throw new ModelmapError("not_found", `no judgments for prompt set '${setName}'`);
  return all;
}

/** One page of a set's judgments (pages count from 1). */
export function listJudgments(
  store: Store,
  setName: string,
  opts: { page?: number | undefined; pageSize?: number | undefined } = {},
): JudgmentsPage {
  const page = Math.max(1, Math.floor(opts.page ?? 1));
  const pageSize = Math.min(500, Math.max(1, Math.floor(opts.pageSize ?? 50)));
  const all = requireJudgments(store, setName);
  return {
    set: setName,
    total: all.length,
    page,
    page_size: pageSize,
    judgments: all.slice((page - 1) * pageSize, page * pageSize),
  };
}

export function judgmentDetail(store: Store, setName: string, key: string): JudgmentDetail {
  const judgment = requireJudgments(store, setName).find((j) => j.key === key);
  if (!judgment) throw new ModelmapError("not_found", `no judgment '${key}' in prompt set '${setName}'`);
  return {
    judgment,
    prompt: store.judging.promptItem(setName, judgment.promptId),
    first: store.judging.getAnswer(judgment.answerFirst),
    second: judgment.answerSecond === null ? undefined : store.judging.getAnswer(judgment.answerSecond),
  };
}
