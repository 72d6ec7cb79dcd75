/**
 * Storage contract of prompt sets, model answers and LLM judgments (src/judge). Answers are keyed by a
 * content hash of everything that changes them, so a rerun finds finished work and resumes.
 */

export interface StoredPromptSet {
  name: string;
  contentHash: string;
  secret: boolean;
  canary: string | null;
  description: string | null;
  origin: string | null;
  items: number;
}

export interface StoredPromptItem {
  setName: string;
  id: string;
  category: string;
  turns: string[];
  reference: string | string[] | null;
  tags: string[];
}

/** Style features of an answer (its last turn), the covariates of style control. */
export interface AnswerStyle {
  chars: number;
  tokens: number;
  headers: number;
  lists: number;
  bold: number;
}

export interface AnswerRecord extends AnswerStyle {
  key: string;
  setName: string;
  promptId: string;
  model: string;
  /** One output per user turn. */
  outputs: string[];
  params: unknown;
  finishReasons: string[];
  error: string | null;
  createdAt: string;
}

export type JudgmentKind = "pairwise" | "single";

export interface JudgmentRecord {
  key: string;
  judge: string;
  kind: JudgmentKind;
  setName: string;
  promptId: string;
  category: string;
  /** Answer shown first (pairwise) or graded (single). */
  answerFirst: string;
  answerSecond: string | null;
  modelFirst: string;
  modelSecond: string | null;
  /** Pairwise: first | second | tie | both_bad; null when unparseable. */
  verdict: string | null;
  /** Single: the 1-10 grade; null when unparseable. */
  score: number | null;
  parseError: string | null;
  raw: string;
  referenceGuided: boolean;
  judgePromptHash: string;
}

export interface JudgingRepo {
  /** Stores (replaces) a prompt set and its items. */
  putPromptSet(set: Omit<StoredPromptSet, "items">, items: StoredPromptItem[]): Promise<void>;
  getPromptSet(name: string): Promise<StoredPromptSet | undefined>;
  listPromptSets(): Promise<StoredPromptSet[]>;
  promptItems(setName: string): Promise<StoredPromptItem[]>;
  promptItem(setName: string, id: string): Promise<StoredPromptItem | undefined>;

  getAnswers(keys: string[]): Promise<Map<string, AnswerRecord>>;
  putAnswer(a: Omit<AnswerRecord, "createdAt">): Promise<void>;
  /** The latest successful answer of each (prompt, model) in a set, for the given models. */
  latestAnswers(setName: string, models: string[]): Promise<AnswerRecord[]>;
  getAnswer(key: string): Promise<AnswerRecord | undefined>;

  getJudgments(keys: string[]): Promise<Map<string, JudgmentRecord>>;
  putJudgment(j: JudgmentRecord): Promise<void>;
  judgments(query: { judge?: string; setName?: string; kind?: JudgmentKind }): Promise<JudgmentRecord[]>;
  /** Marks a judged pair as turned into a vote (so a rerun never votes twice). */
  pairVoted(judge: string, answerA: string, answerB: string): Promise<number | undefined>;
  markPairVoted(judge: string, answerA: string, answerB: string, voteId: number): Promise<void>;
}
