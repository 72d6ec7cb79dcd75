import { ModelmapError } from "../../core/errors.ts";
import type { Vote } from "../../core/votes.ts";
import { FILTER_COLUMNS, toStoredVote, type VoteRow, voteRow } from "../rows.ts";
import type { StoredVote, VoteImport, VoteQuery, VoteRepo } from "../store.ts";
import { chunks, Params, type PgDb, recordset } from "./db.ts";

/** Rows per page of `iterate`. */
const PAGE = 2000;

/** The columns of a vote row as `voteRow` (store/rows.ts) names them, with their types. */
export const VOTE_COLUMNS: Record<string, string> = {
  source: "text",
  import_id: "bigint",
  prompt_id: "text",
  model_a: "text",
  model_b: "text",
  winner: "text",
  judge: "text",
  shown_first: "text",
  category: "text",
  language: "text",
  turn: "bigint",
  tstamp: "double precision",
  anony: "bigint",
  rationale: "text",
};
export const VOTE_NAMES = Object.keys(VOTE_COLUMNS).join(", ");

export class PgVoteRepo implements VoteRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  /** One statement per chunk; the ids come back in the order of `votes` (identity values rise in row order). */
  async #insert(source: string, importId: number | null, votes: Vote[]): Promise<number[]> {
    const ids: number[] = [];
    for (const part of chunks(votes)) {
      const rows = await this.#db.query<{ id: number }>(
        `INSERT INTO votes (${VOTE_NAMES}) SELECT ${VOTE_NAMES} FROM ${recordset(VOTE_COLUMNS)} ORDER BY ord RETURNING id`,
        [JSON.stringify(part.map((v) => voteRow(source, importId, v)))],
      );
      ids.push(...rows.map((r) => r.id).sort((a, b) => a - b));
    }
    return ids;
  }

  importBatch(batch: VoteImport): Promise<{ inserted: number; duplicate: boolean }> {
    return this.#db.atomic(async () => {
      // ON CONFLICT rather than a lookup first: two processes importing the same file at once see one import.
      const imp = await this.#db.one<{ id: number }>(
        `INSERT INTO vote_imports (source, file, file_sha256, votes) VALUES ($1, $2, $3, $4)
         ON CONFLICT (source, file_sha256) DO NOTHING RETURNING id`,
        [batch.source, batch.file, batch.fileSha256, batch.votes.length],
      );
      if (!imp) return { inserted: 0, duplicate: true };
      await this.#insert(batch.source, imp.id, batch.votes);
      return { inserted: batch.votes.length, duplicate: false };
    });
  }

  add(source: string, votes: Vote[]): Promise<number[]> {
    if (votes.length === 0) return Promise.resolve([]);
    if (votes.length <= 5000) return this.#insert(source, null, votes);
    return this.#db.atomic(() => this.#insert(source, null, votes));
  }

  #where(query: VoteQuery | undefined, p: Params): string[] {
    const clauses: string[] = [];
    if (query?.sources && query.sources.length > 0) clauses.push(`source IN (${p.list(query.sources)})`);
    for (const f of query?.filters ?? []) {
      if (f.field === "model") {
        const v = p.add(f.value);
        clauses.push(`(model_a = ${v} OR model_b = ${v})`);
        continue;
      }
      const col = FILTER_COLUMNS[f.field];
      if (!col) {
        throw new ModelmapError("usage", `cannot filter stored votes on '${f.field}'`, {
          hint: `filterable fields: ${[...Object.keys(FILTER_COLUMNS), "model"].join(", ")}`,
        });
      }
      const value =
        col === "anony"
          ? f.value === "true" || f.value === "1"
            ? 1
            : 0
          : col === "turn"
            ? // Not a number matches nothing, as in SQLite (which binds NaN as NULL).
              Number.isSafeInteger(Number(f.value))
              ? Number(f.value)
              : null
            : f.value;
      clauses.push(`${col} = ${p.add(value)}`);
    }
    return clauses;
  }

  async *iterate(query?: VoteQuery): AsyncIterableIterator<StoredVote> {
    // Keyset pages by id: a page is one short query, never a cursor held open between two of the caller's steps.
    let after = 0;
    for (;;) {
      const p = new Params();
      const clauses = this.#where(query, p);
      clauses.push(`id > ${p.add(after)}`);
      const page = await this.#db.query<VoteRow>(
        `SELECT * FROM votes WHERE ${clauses.join(" AND ")} ORDER BY id LIMIT ${PAGE}`,
        p.values,
      );
      if (page.length === 0) return;
      after = (page[page.length - 1] as VoteRow).id;
      for (const r of page) yield toStoredVote(r);
    }
  }

  async count(query?: VoteQuery): Promise<number> {
    const p = new Params();
    const clauses = this.#where(query, p);
    const row = await this.#db.one<{ n: number }>(
      `SELECT count(*) AS n FROM votes ${clauses.length ? `WHERE ${clauses.join(" AND ")}` : ""}`,
      p.values,
    );
    return row?.n ?? 0;
  }

  sources(): Promise<Array<{ source: string; votes: number; firstAt: string; lastAt: string }>> {
    return this.#db.query(
      `SELECT source, count(*) AS votes, min(created_at) AS "firstAt", max(created_at) AS "lastAt"
       FROM votes GROUP BY source ORDER BY source`,
    );
  }

  deleteSource(source: string): Promise<number> {
    return this.#db.atomic(async () => {
      const n = await this.#db.run("DELETE FROM votes WHERE source = $1", [source]);
      await this.#db.run("DELETE FROM vote_imports WHERE source = $1", [source]);
      return n;
    });
  }
}
