import type {
  AnswerRecord,
  JudgingRepo,
  JudgmentKind,
  JudgmentRecord,
  StoredPromptItem,
  StoredPromptSet,
} from "../judging.ts";
import {
  type AnswerRow,
  type JudgmentRow,
  type PromptItemRow,
  type SetRow,
  toAnswer,
  toJudgment,
  toPromptItem,
  toSet,
} from "../rows.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

const SET_COLUMNS = `s.name, s.content_hash AS contentHash, s.secret, s.canary, s.description, s.origin,
  (SELECT COUNT(*) FROM prompt_items i WHERE i.set_name = s.name) AS items`;

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
      this.#db.prepare("SELECT * FROM prompt_items WHERE set_name = ? ORDER BY seq").all(setName) as PromptItemRow[]
    ).map(toPromptItem);
  }

  promptItem(setName: string, id: string): StoredPromptItem | undefined {
    const r = this.#db.prepare("SELECT * FROM prompt_items WHERE set_name = ? AND id = ?").get(setName, id) as
      | PromptItemRow
      | undefined;
    return r ? toPromptItem(r) : undefined;
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
