import type {
  AnswerRecord,
  JudgingRepo,
  JudgmentKind,
  JudgmentRecord,
  StoredPromptItem,
  StoredPromptSet,
} from "../judging.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

interface AnswerRow {
  key: string;
  set_name: string;
  prompt_id: string;
  model: string;
  outputs: string;
  params: string;
  finish_reasons: string;
  error: string | null;
  chars: number;
  tokens: number;
  headers: number;
  lists: number;
  bold: number;
  created_at: string;
}

interface JudgmentRow {
  key: string;
  judge: string;
  kind: JudgmentKind;
  set_name: string;
  prompt_id: string;
  category: string;
  answer_first: string;
  answer_second: string | null;
  model_first: string;
  model_second: string | null;
  verdict: string | null;
  score: number | null;
  parse_error: string | null;
  raw: string;
  reference_guided: number;
  judge_prompt_hash: string;
}

interface ItemRow {
  set_name: string;
  id: string;
  category: string;
  turns: string;
  reference: string | null;
  tags: string;
}

function toAnswer(r: AnswerRow): AnswerRecord {
  return {
    key: r.key,
    setName: r.set_name,
    promptId: r.prompt_id,
    model: r.model,
    outputs: JSON.parse(r.outputs) as string[],
    params: JSON.parse(r.params) as unknown,
    finishReasons: JSON.parse(r.finish_reasons) as string[],
    error: r.error,
    chars: r.chars,
    tokens: r.tokens,
    headers: r.headers,
    lists: r.lists,
    bold: r.bold,
    createdAt: r.created_at,
  };
}

function toJudgment(r: JudgmentRow): JudgmentRecord {
  return {
    key: r.key,
    judge: r.judge,
    kind: r.kind,
    setName: r.set_name,
    promptId: r.prompt_id,
    category: r.category,
    answerFirst: r.answer_first,
    answerSecond: r.answer_second,
    modelFirst: r.model_first,
    modelSecond: r.model_second,
    verdict: r.verdict,
    score: r.score,
    parseError: r.parse_error,
    raw: r.raw,
    referenceGuided: r.reference_guided === 1,
    judgePromptHash: r.judge_prompt_hash,
  };
}

function toItem(r: ItemRow): StoredPromptItem {
  return {
    setName: r.set_name,
    id: r.id,
    category: r.category,
    turns: JSON.parse(r.turns) as string[],
    reference: r.reference === null ? null : (JSON.parse(r.reference) as string | string[]),
    tags: JSON.parse(r.tags) as string[],
  };
}

const SET_COLUMNS = `s.name, s.content_hash AS contentHash, s.secret, s.canary, s.description, s.origin,
  (SELECT COUNT(*) FROM prompt_items i WHERE i.set_name = s.name) AS items`;

type SetRow = Omit<StoredPromptSet, "secret"> & { secret: number };
const toSet = (r: SetRow): StoredPromptSet => ({ ...r, secret: r.secret === 1 });

export class SqliteJudgingRepo implements Sync<JudgingRepo> {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  putPromptSet(set: Omit<StoredPromptSet, "items">, items: StoredPromptItem[]): void {
    const run = this.#db.transaction(() => {
      this.#db.prepare("DELETE FROM prompt_items WHERE set_name = ?").run(set.name);
      this.#db
        .prepare(
          `INSERT INTO prompt_sets (name, content_hash, secret, canary, description, origin) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(name) DO UPDATE SET content_hash = excluded.content_hash, secret = excluded.secret,
             canary = excluded.canary, description = excluded.description, origin = excluded.origin,
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
        )
        .run(set.name, set.contentHash, set.secret ? 1 : 0, set.canary, set.description, set.origin);
      const ins = this.#db.prepare(
        "INSERT INTO prompt_items (set_name, id, seq, category, turns, reference, tags) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      items.forEach((it, seq) => {
        ins.run(
          set.name,
          it.id,
          seq,
          it.category,
          JSON.stringify(it.turns),
          it.reference === null ? null : JSON.stringify(it.reference),
          JSON.stringify(it.tags),
        );
      });
    });
    run.immediate();
  }

  getPromptSet(name: string): StoredPromptSet | undefined {
    const r = this.#db.prepare(`SELECT ${SET_COLUMNS} FROM prompt_sets s WHERE s.name = ?`).get(name) as
      | SetRow
      | undefined;
    return r ? toSet(r) : undefined;
  }

  listPromptSets(): StoredPromptSet[] {
    return (this.#db.prepare(`SELECT ${SET_COLUMNS} FROM prompt_sets s ORDER BY s.name`).all() as SetRow[]).map(toSet);
  }

  promptItems(setName: string): StoredPromptItem[] {
    return (
      this.#db.prepare("SELECT * FROM prompt_items WHERE set_name = ? ORDER BY seq").all(setName) as ItemRow[]
    ).map(toItem);
  }

  promptItem(setName: string, id: string): StoredPromptItem | undefined {
    const r = this.#db.prepare("SELECT * FROM prompt_items WHERE set_name = ? AND id = ?").get(setName, id) as
      | ItemRow
      | undefined;
    return r ? toItem(r) : undefined;
  }

  getAnswers(keys: string[]): Map<string, AnswerRecord> {
    const out = new Map<string, AnswerRecord>();
    const stmt = this.#db.prepare("SELECT * FROM answers WHERE key = ?");
    for (const k of keys) {
      const r = stmt.get(k) as AnswerRow | undefined;
      if (r) out.set(k, toAnswer(r));
    }
    return out;
  }

  getAnswer(key: string): AnswerRecord | undefined {
    const r = this.#db.prepare("SELECT * FROM answers WHERE key = ?").get(key) as AnswerRow | undefined;
    return r ? toAnswer(r) : undefined;
  }

  putAnswer(a: Omit<AnswerRecord, "createdAt">): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO answers (key, set_name, prompt_id, model, outputs, params, finish_reasons, error, chars, tokens, headers, lists, bold)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        a.key,
        a.setName,
        a.promptId,
        a.model,
        JSON.stringify(a.outputs),
        JSON.stringify(a.params),
        JSON.stringify(a.finishReasons),
        a.error,
        a.chars,
        a.tokens,
        a.headers,
        a.lists,
        a.bold,
      );
  }

  latestAnswers(setName: string, models: string[]): AnswerRecord[] {
    if (models.length === 0) return [];
    const rows = this.#db
      .prepare(
        `SELECT * FROM answers a WHERE a.set_name = ? AND a.error IS NULL AND a.model IN (${models.map(() => "?").join(",")})
           AND a.rowid = (SELECT b.rowid FROM answers b WHERE b.set_name = a.set_name AND b.model = a.model
                          AND b.prompt_id = a.prompt_id AND b.error IS NULL ORDER BY b.created_at DESC, b.rowid DESC LIMIT 1)
         ORDER BY a.prompt_id, a.model`,
      )
      .all(setName, ...models) as AnswerRow[];
    return rows.map(toAnswer);
  }

  getJudgments(keys: string[]): Map<string, JudgmentRecord> {
    const out = new Map<string, JudgmentRecord>();
    const stmt = this.#db.prepare("SELECT * FROM judgments WHERE key = ?");
    for (const k of keys) {
      const r = stmt.get(k) as JudgmentRow | undefined;
      if (r) out.set(k, toJudgment(r));
    }
    return out;
  }

  putJudgment(j: JudgmentRecord): void {
    this.#db
      .prepare(
        `INSERT OR REPLACE INTO judgments (key, judge, kind, set_name, prompt_id, category, answer_first, answer_second,
           model_first, model_second, verdict, score, parse_error, raw, reference_guided, judge_prompt_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        j.key,
        j.judge,
        j.kind,
        j.setName,
        j.promptId,
        j.category,
        j.answerFirst,
        j.answerSecond,
        j.modelFirst,
        j.modelSecond,
        j.verdict,
        j.score,
        j.parseError,
        j.raw,
        j.referenceGuided ? 1 : 0,
        j.judgePromptHash,
      );
  }

  judgments(query: { judge?: string; setName?: string; kind?: JudgmentKind }): JudgmentRecord[] {
    const clauses: string[] = [];
    const params: string[] = [];
    if (query.judge !== undefined) {
      clauses.push("judge = ?");
      params.push(query.judge);
    }
    if (query.setName !== undefined) {
      clauses.push("set_name = ?");
      params.push(query.setName);
    }
    if (query.kind !== undefined) {
      clauses.push("kind = ?");
      params.push(query.kind);
    }
    const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
    return (this.#db.prepare(`SELECT * FROM judgments ${where} ORDER BY rowid`).all(...params) as JudgmentRow[]).map(
      toJudgment,
    );
  }

  pairVoted(judge: string, answerA: string, answerB: string): number | undefined {
    const r = this.#db
      .prepare("SELECT vote_id FROM judge_pair_votes WHERE judge = ? AND answer_a = ? AND answer_b = ?")
      .get(judge, answerA, answerB) as { vote_id: number } | undefined;
    return r?.vote_id;
  }

  markPairVoted(judge: string, answerA: string, answerB: string, voteId: number): void {
    this.#db
      .prepare("INSERT OR REPLACE INTO judge_pair_votes (judge, answer_a, answer_b, vote_id) VALUES (?, ?, ?, ?)")
      .run(judge, answerA, answerB, voteId);
  }
}
