import { ModelmapError } from "../../core/errors.ts";
import type { Vote, Winner } from "../../core/votes.ts";
import type { StoredVote, VoteImport, VoteQuery, VoteRepo } from "../store.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

interface VoteRow {
  id: number;
  source: string;
  prompt_id: string | null;
  model_a: string;
  model_b: string;
  winner: Winner;
  judge: string | null;
  shown_first: "model_a" | "model_b" | null;
  category: string | null;
  language: string | null;
  turn: number | null;
  tstamp: number | null;
  anony: number | null;
  rationale: string | null;
}

/** Fields a `--filter field=value` may name, mapped to columns (never interpolated from user input). */
const FILTER_COLUMNS: Record<string, string> = {
  judge: "judge",
  category: "category",
  language: "language",
  prompt_id: "prompt_id",
  question_id: "prompt_id",
  source: "source",
  turn: "turn",
  anony: "anony",
};

/** Rows per page of `iterate`. */
const PAGE = 2000;

function toStoredVote(r: VoteRow): StoredVote {
  const v: StoredVote = { id: r.id, source: r.source, modelA: r.model_a, modelB: r.model_b, winner: r.winner };
  if (r.prompt_id !== null) v.promptId = r.prompt_id;
  if (r.judge !== null) v.judge = r.judge;
  if (r.shown_first !== null) v.shownFirst = r.shown_first;
  if (r.category !== null) v.category = r.category;
  if (r.language !== null) v.language = r.language;
  if (r.turn !== null) v.turn = r.turn;
  if (r.tstamp !== null) v.tstamp = r.tstamp;
  if (r.anony !== null) v.anony = r.anony === 1;
  if (r.rationale !== null) v.rationale = r.rationale;
  return v;
}

export class SqliteVoteRepo implements Sync<VoteRepo> {
  readonly #db: Db;
  readonly #insert;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT INTO votes (source, import_id, prompt_id, model_a, model_b, winner, judge, shown_first, category, language, turn, tstamp, anony, rationale)
       VALUES (@source, @import_id, @prompt_id, @model_a, @model_b, @winner, @judge, @shown_first, @category, @language, @turn, @tstamp, @anony, @rationale)`,
    );
  }

  #row(source: string, importId: number | null, v: Vote) {
    return {
      source,
      import_id: importId,
      prompt_id: v.promptId ?? null,
      model_a: v.modelA,
      model_b: v.modelB,
      winner: v.winner,
      judge: v.judge ?? null,
      shown_first: v.shownFirst ?? null,
      category: v.category ?? null,
      language: v.language ?? null,
      turn: v.turn ?? null,
      tstamp: v.tstamp ?? null,
      anony: v.anony === undefined ? null : v.anony ? 1 : 0,
      rationale: v.rationale ?? null,
    };
  }

  importBatch(batch: VoteImport): { inserted: number; duplicate: boolean } {
    const run = this.#db.transaction(() => {
      const existing = this.#db
        .prepare("SELECT id FROM vote_imports WHERE source = ? AND file_sha256 = ?")
        .get(batch.source, batch.fileSha256);
      if (existing) return { inserted: 0, duplicate: true };
      const info = this.#db
        .prepare("INSERT INTO vote_imports (source, file, file_sha256, votes) VALUES (?, ?, ?, ?)")
        .run(batch.source, batch.file, batch.fileSha256, batch.votes.length);
      const importId = Number(info.lastInsertRowid);
      for (const v of batch.votes) this.#insert.run(this.#row(batch.source, importId, v));
      return { inserted: batch.votes.length, duplicate: false };
    });
    return run.immediate();
  }

  add(source: string, votes: Vote[]): number[] {
    const run = this.#db.transaction(() =>
      votes.map((v) => Number(this.#insert.run(this.#row(source, null, v)).lastInsertRowid)),
    );
    return run.immediate();
  }

  #where(query: VoteQuery | undefined): { sql: string; params: unknown[] } {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (query?.sources && query.sources.length > 0) {
      clauses.push(`source IN (${query.sources.map(() => "?").join(",")})`);
      params.push(...query.sources);
    }
    for (const f of query?.filters ?? []) {
      if (f.field === "model") {
        clauses.push("(model_a = ? OR model_b = ?)");
        params.push(f.value, f.value);
        continue;
      }
      const col = FILTER_COLUMNS[f.field];
      if (!col) {
        throw new ModelmapError("usage", `cannot filter stored votes on '${f.field}'`, {
          hint: `filterable fields: ${[...Object.keys(FILTER_COLUMNS), "model"].join(", ")}`,
        });
      }
      clauses.push(`${col} = ?`);
      params.push(
        col === "anony" ? (f.value === "true" || f.value === "1" ? 1 : 0) : col === "turn" ? Number(f.value) : f.value,
      );
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
  }

  *iterate(query?: VoteQuery): IterableIterator<StoredVote> {
    const w = this.#where(query);
    // Pages by id, never an open cursor: other statements run on the connection between two pages.
    const stmt = this.#db.prepare(
      `SELECT * FROM votes ${w.sql ? `${w.sql} AND` : "WHERE"} id > ? ORDER BY id LIMIT ${PAGE}`,
    );
    let after = 0;
    for (;;) {
      const page = stmt.all(...w.params, after) as VoteRow[];
      if (page.length === 0) return;
      after = (page[page.length - 1] as VoteRow).id;
      for (const r of page) yield toStoredVote(r);
    }
  }

  count(query?: VoteQuery): number {
    const w = this.#where(query);
    const row = this.#db.prepare(`SELECT COUNT(*) AS n FROM votes ${w.sql}`).get(...w.params) as { n: number };
    return row.n;
  }

  sources(): Array<{ source: string; votes: number; firstAt: string; lastAt: string }> {
    return this.#db
      .prepare(
        "SELECT source, COUNT(*) AS votes, MIN(created_at) AS firstAt, MAX(created_at) AS lastAt FROM votes GROUP BY source ORDER BY source",
      )
      .all() as Array<{ source: string; votes: number; firstAt: string; lastAt: string }>;
  }

  deleteSource(source: string): number {
    const run = this.#db.transaction(() => {
      const n = this.#db.prepare("DELETE FROM votes WHERE source = ?").run(source).changes;
      this.#db.prepare("DELETE FROM vote_imports WHERE source = ?").run(source);
      return n;
    });
    return run.immediate();
  }
}
