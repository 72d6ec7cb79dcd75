import { ModelmapError } from "../../core/errors.ts";
import type { Vote } from "../../core/votes.ts";
import { FILTER_COLUMNS, toStoredVote, type VoteRow, voteRow } from "../rows.ts";
import type { StoredVote, VoteImport, VoteQuery, VoteRepo } from "../store.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

/** Rows per page of `iterate`. */
const PAGE = 2000;

/** One vote, its values named as `voteRow` (store/rows.ts) names them; the labeling repository inserts with it too. */
export const INSERT_VOTE = `INSERT INTO votes (source, import_id, prompt_id, model_a, model_b, winner, judge, shown_first, category, language, turn, tstamp, anony, rationale)
       VALUES (@source, @import_id, @prompt_id, @model_a, @model_b, @winner, @judge, @shown_first, @category, @language, @turn, @tstamp, @anony, @rationale)`;

export class SqliteVoteRepo implements Sync<VoteRepo> {
  readonly #db: Db;
  readonly #insert;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare(INSERT_VOTE);
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
      for (const v of batch.votes) this.#insert.run(voteRow(batch.source, importId, v));
      return { inserted: batch.votes.length, duplicate: false };
    });
    return run.immediate();
  }

  add(source: string, votes: Vote[]): number[] {
    const run = this.#db.transaction(() =>
      votes.map((v) => Number(this.#insert.run(voteRow(source, null, v)).lastInsertRowid)),
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
