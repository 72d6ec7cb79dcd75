import type { Vote } from "../../core/votes.ts";
import type {
  AssignmentRecord,
  CampaignItem,
  CampaignRecord,
  LabelChoice,
  LabelerRecord,
  LabelingRepo,
  RatingTemplate,
} from "../labeling.ts";
import {
  type AssignmentRow,
  type CampaignRow,
  type LabelItemRow,
  toAssignment,
  toCampaign,
  toLabelItem,
  voteRow,
} from "../rows.ts";
import { chunks, type PgDb, recordset } from "./db.ts";
import { VOTE_COLUMNS, VOTE_NAMES } from "./votes.ts";

const LABELER_COLUMNS = `id, language, expertise, region, csrf_token AS "csrfToken", created_at AS "createdAt"`;

export class PgLabelingRepo implements LabelingRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async createLabeler(l: {
    id: string;
    sessionHash: string;
    csrfToken: string;
    language: string | null;
    expertise: string | null;
    region: string | null;
  }): Promise<void> {
    await this.#db.run(
      "INSERT INTO labelers (id, session_hash, csrf_token, language, expertise, region) VALUES ($1, $2, $3, $4, $5, $6)",
      [l.id, l.sessionHash, l.csrfToken, l.language, l.expertise, l.region],
    );
  }

  labelerBySession(sessionHash: string): Promise<LabelerRecord | undefined> {
    return this.#db.one<LabelerRecord>(`SELECT ${LABELER_COLUMNS} FROM labelers WHERE session_hash = $1`, [
      sessionHash,
    ]);
  }

  labeler(id: string): Promise<LabelerRecord | undefined> {
    return this.#db.one<LabelerRecord>(`SELECT ${LABELER_COLUMNS} FROM labelers WHERE id = $1`, [id]);
  }

  createCampaign(
    c: Omit<CampaignRecord, "createdAt">,
    items: Array<Omit<CampaignItem, "id" | "campaignId">>,
  ): Promise<void> {
    return this.#db.atomic(async () => {
      await this.#db.run(
        "INSERT INTO label_campaigns (id, name, set_name, models, per_labeler, reveal, gold_rate, seed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        [c.id, c.name, c.setName, JSON.stringify(c.models), c.perLabeler, c.reveal, c.goldRate, c.seed],
      );
      const rows = items.map((it) => ({
        prompt_id: it.promptId,
        model_a: it.modelA,
        model_b: it.modelB,
        answer_a: it.answerA,
        answer_b: it.answerB,
        gold_winner: it.goldWinner,
      }));
      // Item ids rise in the order given, as SQLite's rowids do.
      for (const part of chunks(rows)) {
        await this.#db.run(
          `INSERT INTO label_items (campaign_id, prompt_id, model_a, model_b, answer_a, answer_b, gold_winner)
           SELECT $2, prompt_id, model_a, model_b, answer_a, answer_b, gold_winner
           FROM ${recordset({ prompt_id: "text", model_a: "text", model_b: "text", answer_a: "text", answer_b: "text", gold_winner: "text" })}
           ORDER BY ord`,
          [JSON.stringify(part), c.id],
        );
      }
    });
  }

  async campaign(id: string): Promise<CampaignRecord | undefined> {
    const r = await this.#db.one<CampaignRow>("SELECT * FROM label_campaigns WHERE id = $1", [id]);
    return r ? toCampaign(r) : undefined;
  }

  async campaigns(): Promise<CampaignRecord[]> {
    return (await this.#db.query<CampaignRow>("SELECT * FROM label_campaigns ORDER BY created_at, id")).map(toCampaign);
  }

  async items(campaignId: string): Promise<CampaignItem[]> {
    return (
      await this.#db.query<LabelItemRow>("SELECT * FROM label_items WHERE campaign_id = $1 ORDER BY id", [campaignId])
    ).map(toLabelItem);
  }

  async item(id: number): Promise<CampaignItem | undefined> {
    const r = await this.#db.one<LabelItemRow>("SELECT * FROM label_items WHERE id = $1", [id]);
    return r ? toLabelItem(r) : undefined;
  }

  async assignmentsOf(campaignId: string, labelerId: string): Promise<AssignmentRecord[]> {
    return (
      await this.#db.query<AssignmentRow>(
        {
          name: "modelmap_assignments_of",
          text: "SELECT * FROM label_assignments WHERE campaign_id = $1 AND labeler_id = $2 ORDER BY rowid",
        },
        [campaignId, labelerId],
      )
    ).map(toAssignment);
  }

  async assignment(id: string): Promise<AssignmentRecord | undefined> {
    const r = await this.#db.one<AssignmentRow>(
      { name: "modelmap_assignment", text: "SELECT * FROM label_assignments WHERE id = $1" },
      [id],
    );
    return r ? toAssignment(r) : undefined;
  }

  async createAssignment(a: {
    id: string;
    campaignId: string;
    itemId: number;
    labelerId: string;
    leftIs: "model_a" | "model_b";
    seq: number;
  }): Promise<boolean> {
    // A racing insert of the same seq (another server) is waited for: DO NOTHING once it commits, or this row
    // goes in if it rolls back. No error, so the caller's transaction goes on.
    const n = await this.#db.run(
      `INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (campaign_id, labeler_id, seq) DO NOTHING`,
      [a.id, a.campaignId, a.itemId, a.labelerId, a.leftIs, a.seq],
    );
    return n === 1;
  }

  async createNextAssignment(a: {
    id: string;
    campaignId: string;
    itemId: number;
    labelerId: string;
    leftIs: "model_a" | "model_b";
    seq: number;
  }): Promise<{ created: true } | { created: false; mine: AssignmentRecord[] }> {
    // The check, the insert and, when refused, the labeler's assignments are one statement: one round trip, no
    // BEGIN/COMMIT. Two racing statements can both count seq - 1; the second's insert then waits for the first's
    // seq and does nothing (its picture, taken before, may miss that row: the caller's next try sees it).
    const r = await this.#db.one<{ created: number; mine: AssignmentRow[] | null }>(
      {
        name: "modelmap_next_assignment",
        text: `WITH mine AS (
         SELECT * FROM label_assignments WHERE campaign_id = $2::text AND labeler_id = $4::text
       ), ins AS (
         INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq)
         SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text, $6::bigint
         FROM (SELECT count(*) AS n, count(choice) AS voted, count(*) FILTER (WHERE item_id = $3::bigint) AS seen
               FROM mine) m
         WHERE m.n = $6::bigint - 1 AND m.voted = m.n AND m.seen = 0
         ON CONFLICT (campaign_id, labeler_id, seq) DO NOTHING
         RETURNING 1
       )
       SELECT (SELECT count(*) FROM ins) AS created,
              CASE WHEN NOT EXISTS (SELECT 1 FROM ins) THEN (SELECT json_agg(mine ORDER BY rowid) FROM mine) END AS mine`,
      },
      [a.id, a.campaignId, a.itemId, a.labelerId, a.leftIs, a.seq],
    );
    if (r?.created === 1) return { created: true };
    return { created: false, mine: (r?.mine ?? []).map(toAssignment) };
  }

  async itemLoad(campaignId: string): Promise<Map<number, { assigned: number; voted: number }>> {
    const rows = await this.#db.query<{ itemId: number; assigned: number; voted: number }>(
      `SELECT item_id AS "itemId", count(*) AS assigned, count(choice) AS voted FROM label_assignments
       WHERE campaign_id = $1 GROUP BY item_id`,
      [campaignId],
    );
    return new Map(rows.map((r) => [r.itemId, { assigned: r.assigned, voted: r.voted }]));
  }

  async castVote(
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: { source: string; vote: Vote } | null,
  ): Promise<"recorded" | "same" | "different"> {
    // One statement, atomic by itself and one round trip: the claim (updated only while the assignment has no
    // vote, so of two racing votes one records, the other waiting for it and then finding the row taken) takes
    // the rating vote's id from the votes' sequence, and the rating row goes in with that id.
    const defs = Object.entries(VOTE_COLUMNS)
      .map(([name, type]) => `${name} ${type}`)
      .join(", ");
    const r = await this.#db.one<{ n: number }>(
      {
        name: "modelmap_cast_vote",
        text: `WITH claim AS (
         UPDATE label_assignments
         SET choice = $2, reason = $3, voted_at = modelmap_now(),
             vote_id = CASE WHEN $4::json IS NULL THEN NULL ELSE nextval(pg_get_serial_sequence('votes', 'id')) END
         WHERE id = $1 AND choice IS NULL
         RETURNING vote_id
       ), rating AS (
         INSERT INTO votes (id, ${VOTE_NAMES})
         SELECT claim.vote_id, ${VOTE_NAMES} FROM claim, json_to_record($4::json) AS r(${defs})
         WHERE claim.vote_id IS NOT NULL
       )
       SELECT count(*) AS n FROM claim`,
      },
      [assignmentId, choice, reason, rating ? JSON.stringify(voteRow(rating.source, null, rating.vote)) : null],
    );
    if (r?.n === 1) return "recorded";
    const prev = await this.#db.one<{ choice: LabelChoice | null }>(
      "SELECT choice FROM label_assignments WHERE id = $1",
      [assignmentId],
    );
    return prev?.choice === choice ? "same" : "different";
  }

  async voteAs(
    owner: { campaignId: string; labelerId: string },
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: RatingTemplate,
  ): Promise<
    { outcome: "recorded" | "same" | "different"; itemId: number; leftIs: "model_a" | "model_b" } | undefined
  > {
    // castVote's claim, on the assignment found with its owner and item, and the rating row that labelRating
    // (store/labeling.ts) builds, here in SQL: one statement, one round trip. `a` sees the row as the statement
    // began; when the claim finds it taken by a vote that committed meanwhile, its choice is read again.
    const r = await this.#db.one<{
      itemId: number;
      leftIs: "model_a" | "model_b";
      claimed: number;
      prev: LabelChoice | null;
    }>(
      {
        name: "modelmap_vote_as",
        text: `WITH a AS (
         SELECT la.id, la.item_id, la.left_is, la.choice, i.prompt_id, i.model_a, i.model_b, i.gold_winner
         FROM label_assignments la JOIN label_items i ON i.id = la.item_id
         WHERE la.id = $1::text AND la.campaign_id = $2::text AND la.labeler_id = $3::text
       ), claim AS (
         UPDATE label_assignments la
         SET choice = $4::text, reason = $5::text, voted_at = modelmap_now(),
             vote_id = CASE WHEN a.gold_winner IS NULL THEN nextval(pg_get_serial_sequence('votes', 'id')) END
         FROM a WHERE la.id = a.id AND la.choice IS NULL
         RETURNING la.vote_id
       ), rating AS (
         INSERT INTO votes (id, source, import_id, prompt_id, model_a, model_b, winner, judge, shown_first, category,
                            language, turn, tstamp, anony, rationale)
         SELECT claim.vote_id, r.source, NULL, r.set_name || '/' || a.prompt_id,
                CASE WHEN a.left_is = 'model_a' THEN a.model_a ELSE a.model_b END,
                CASE WHEN a.left_is = 'model_a' THEN a.model_b ELSE a.model_a END,
                r.winner, r.judge, 'model_a',
                (SELECT p.category FROM prompt_items p WHERE p.set_name = r.set_name AND p.id = a.prompt_id),
                r.language, 1, r.tstamp, 1, r.rationale
         FROM claim, a, json_to_record($6::json)
           AS r(source text, set_name text, winner text, judge text, language text, tstamp double precision, rationale text)
         WHERE claim.vote_id IS NOT NULL
       )
       SELECT a.item_id AS "itemId", a.left_is AS "leftIs", (SELECT count(*) FROM claim) AS claimed, a.choice AS prev
       FROM a`,
      },
      [
        assignmentId,
        owner.campaignId,
        owner.labelerId,
        choice,
        reason,
        JSON.stringify({
          source: rating.source,
          set_name: rating.setName,
          winner: rating.winner,
          judge: rating.judge,
          language: rating.language,
          tstamp: rating.tstamp,
          rationale: rating.rationale,
        }),
      ],
    );
    if (!r) return undefined;
    const found = { itemId: r.itemId, leftIs: r.leftIs };
    if (r.claimed === 1) return { outcome: "recorded", ...found };
    const prev =
      r.prev ??
      (
        await this.#db.one<{ choice: LabelChoice | null }>("SELECT choice FROM label_assignments WHERE id = $1", [
          assignmentId,
        ])
      )?.choice;
    return { outcome: prev === choice ? "same" : "different", ...found };
  }

  async votedAssignments(campaignId: string): Promise<AssignmentRecord[]> {
    return (
      await this.#db.query<AssignmentRow>(
        "SELECT * FROM label_assignments WHERE campaign_id = $1 AND choice IS NOT NULL ORDER BY rowid",
        [campaignId],
      )
    ).map(toAssignment);
  }

  async progress(
    campaignId: string,
  ): Promise<{ items: number; gold: number; assignments: number; voted: number; labelers: number }> {
    const r = await this.#db.one<{ items: number; gold: number; assignments: number; voted: number; labelers: number }>(
      `SELECT i.n AS items, i.g AS gold, a.n AS assignments, a.v AS voted, a.l AS labelers
       FROM (SELECT count(*) AS n, count(gold_winner) AS g FROM label_items WHERE campaign_id = $1) i,
            (SELECT count(*) AS n, count(choice) AS v, count(DISTINCT labeler_id) AS l FROM label_assignments
             WHERE campaign_id = $1) a`,
      [campaignId],
    );
    return r as { items: number; gold: number; assignments: number; voted: number; labelers: number };
  }
}
