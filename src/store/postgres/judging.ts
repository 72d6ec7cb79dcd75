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
import { chunks, Params, type PgDb, recordset } from "./db.ts";

const SET_COLUMNS = `s.name, s.content_hash AS "contentHash", s.secret, s.canary, s.description, s.origin,
  (SELECT count(*) FROM prompt_items i WHERE i.set_name = s.name) AS items`;

const ANSWER_COLUMNS =
  "key, set_name, prompt_id, model, outputs, params, finish_reasons, error, chars, tokens, headers, lists, bold";
const JUDGMENT_COLUMNS = `key, judge, kind, set_name, prompt_id, category, answer_first, answer_second, model_first,
  model_second, verdict, score, parse_error, raw, reference_guided, judge_prompt_hash`;

/** `a = excluded.a, ...` for an upsert that replaces the whole row, as SQLite's INSERT OR REPLACE does. */
const replaceAll = (columns: string) =>
  columns
    .split(",")
    .map((c) => c.trim())
    .filter((c) => c !== "key")
    .map((c) => `${c} = excluded.${c}`)
    .join(", ");

export class PgJudgingRepo implements JudgingRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  putPromptSet(set: Omit<StoredPromptSet, "items">, items: StoredPromptItem[]): Promise<void> {
    return this.#db.atomic(async () => {
      await this.#db.run("DELETE FROM prompt_items WHERE set_name = $1", [set.name]);
      await this.#db.run(
        `INSERT INTO prompt_sets (name, content_hash, secret, canary, description, origin) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (name) DO UPDATE SET content_hash = excluded.content_hash, secret = excluded.secret,
           canary = excluded.canary, description = excluded.description, origin = excluded.origin,
           updated_at = modelmap_now()`,
        [set.name, set.contentHash, set.secret ? 1 : 0, set.canary, set.description, set.origin],
      );
      const rows = items.map((it, seq) => ({
        id: it.id,
        seq,
        category: it.category,
        turns: JSON.stringify(it.turns),
        reference: it.reference === null ? null : JSON.stringify(it.reference),
        tags: JSON.stringify(it.tags),
      }));
      for (const part of chunks(rows)) {
        await this.#db.run(
          `INSERT INTO prompt_items (set_name, id, seq, category, turns, reference, tags)
           SELECT $2, id, seq, category, turns, reference, tags
           FROM ${recordset({ id: "text", seq: "bigint", category: "text", turns: "text", reference: "text", tags: "text" })}
           ORDER BY ord`,
          [JSON.stringify(part), set.name],
        );
      }
    });
  }

  async getPromptSet(name: string): Promise<StoredPromptSet | undefined> {
    const r = await this.#db.one<SetRow>(`SELECT ${SET_COLUMNS} FROM prompt_sets s WHERE s.name = $1`, [name]);
    return r ? toSet(r) : undefined;
  }

  async listPromptSets(): Promise<StoredPromptSet[]> {
    return (await this.#db.query<SetRow>(`SELECT ${SET_COLUMNS} FROM prompt_sets s ORDER BY s.name`)).map(toSet);
  }

  async promptItems(setName: string): Promise<StoredPromptItem[]> {
    return (
      await this.#db.query<PromptItemRow>("SELECT * FROM prompt_items WHERE set_name = $1 ORDER BY seq", [setName])
    ).map(toPromptItem);
  }

  async promptItem(setName: string, id: string): Promise<StoredPromptItem | undefined> {
    const r = await this.#db.one<PromptItemRow>("SELECT * FROM prompt_items WHERE set_name = $1 AND id = $2", [
      setName,
      id,
    ]);
    return r ? toPromptItem(r) : undefined;
  }

  async getAnswers(keys: string[]): Promise<Map<string, AnswerRecord>> {
    const out = new Map<string, AnswerRecord>();
    for (const part of chunks(keys)) {
      const rows = await this.#db.query<AnswerRow>("SELECT * FROM answers WHERE key = ANY($1::text[])", [part]);
      for (const r of rows) out.set(r.key, toAnswer(r));
    }
    // In the order asked for, as the SQLite store returns them.
    return new Map(keys.filter((k) => out.has(k)).map((k) => [k, out.get(k) as AnswerRecord]));
  }

  async getAnswer(key: string): Promise<AnswerRecord | undefined> {
    const r = await this.#db.one<AnswerRow>("SELECT * FROM answers WHERE key = $1", [key]);
    return r ? toAnswer(r) : undefined;
  }

  async putAnswer(a: Omit<AnswerRecord, "createdAt">): Promise<void> {
    // A replaced answer is a new row (new rowid and time), as with SQLite's INSERT OR REPLACE.
    await this.#db.run(
      `INSERT INTO answers (${ANSWER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (key) DO UPDATE SET ${replaceAll(ANSWER_COLUMNS)}, rowid = DEFAULT, created_at = modelmap_now()`,
      [
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
      ],
    );
  }

  async latestAnswers(setName: string, models: string[]): Promise<AnswerRecord[]> {
    if (models.length === 0) return [];
    const rows = await this.#db.query<AnswerRow>(
      `SELECT DISTINCT ON (prompt_id, model) * FROM answers
       WHERE set_name = $1 AND error IS NULL AND model = ANY($2::text[])
       ORDER BY prompt_id, model, created_at DESC, rowid DESC`,
      [setName, models],
    );
    return rows.map(toAnswer);
  }

  async getJudgments(keys: string[]): Promise<Map<string, JudgmentRecord>> {
    const out = new Map<string, JudgmentRecord>();
    for (const part of chunks(keys)) {
      const rows = await this.#db.query<JudgmentRow>("SELECT * FROM judgments WHERE key = ANY($1::text[])", [part]);
      for (const r of rows) out.set(r.key, toJudgment(r));
    }
    return new Map(keys.filter((k) => out.has(k)).map((k) => [k, out.get(k) as JudgmentRecord]));
  }

  async putJudgment(j: JudgmentRecord): Promise<void> {
    await this.#db.run(
      `INSERT INTO judgments (${JUDGMENT_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (key) DO UPDATE SET ${replaceAll(JUDGMENT_COLUMNS)}, rowid = DEFAULT, created_at = modelmap_now()`,
      [
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
      ],
    );
  }

  async judgments(query: { judge?: string; setName?: string; kind?: JudgmentKind }): Promise<JudgmentRecord[]> {
    const p = new Params();
    const clauses: string[] = [];
    if (query.judge !== undefined) clauses.push(`judge = ${p.add(query.judge)}`);
    if (query.setName !== undefined) clauses.push(`set_name = ${p.add(query.setName)}`);
    if (query.kind !== undefined) clauses.push(`kind = ${p.add(query.kind)}`);
    const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
    return (await this.#db.query<JudgmentRow>(`SELECT * FROM judgments ${where} ORDER BY rowid`, p.values)).map(
      toJudgment,
    );
  }

  async pairVoted(judge: string, answerA: string, answerB: string): Promise<number | undefined> {
    const r = await this.#db.one<{ vote_id: number }>(
      "SELECT vote_id FROM judge_pair_votes WHERE judge = $1 AND answer_a = $2 AND answer_b = $3",
      [judge, answerA, answerB],
    );
    return r?.vote_id;
  }

  async markPairVoted(judge: string, answerA: string, answerB: string, voteId: number): Promise<void> {
    await this.#db.run(
      `INSERT INTO judge_pair_votes (judge, answer_a, answer_b, vote_id) VALUES ($1, $2, $3, $4)
       ON CONFLICT (judge, answer_a, answer_b) DO UPDATE SET vote_id = excluded.vote_id`,
      [judge, answerA, answerB, voteId],
    );
  }
}
