import type { Vote } from "../../core/votes.ts";
import type {
  AssignmentRecord,
  CampaignItem,
  CampaignRecord,
  LabelChoice,
  LabelerRecord,
  LabelingRepo,
  NewAssignment,
  NextAssignmentResult,
  ProposedAssignment,
  RatingTemplate,
  VoteAsResult,
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
import { Batcher } from "./batch.ts";
import { chunks, type PgDb, recordset } from "./db.ts";
import { VOTE_COLUMNS, VOTE_NAMES } from "./votes.ts";

const LABELER_COLUMNS = `id, language, expertise, region, csrf_token AS "csrfToken", created_at AS "createdAt"`;

/**
 * The next-assignment check's counts of input row x's labeler in its campaign (a LATERAL subquery): n assignments,
 * of which `voted` voted and `seen` of the item in `itemColumn`.
 */
const labelerCounts = (itemColumn: string) => `(
           SELECT count(*) AS n, count(la.choice) AS voted, count(*) FILTER (WHERE la.item_id = ${itemColumn}) AS seen
           FROM label_assignments la WHERE la.campaign_id = x.campaign_id AND la.labeler_id = x.labeler_id
         )`;
/** Input row x's labeler's assignments in its campaign, oldest first, as JSON rows (a scalar subquery). */
const LABELER_ASSIGNMENTS = `(SELECT json_agg(la ORDER BY la.rowid) FROM label_assignments la
                 WHERE la.campaign_id = x.campaign_id AND la.labeler_id = x.labeler_id)`;

/**
 * The hot paths' statement texts, built once: a text built at each call cost a template of some 3 kB and the pg
 * client's comparison of it with the prepared statement's, and its helper's object literal was a place where V8
 * threw away the vote path's optimized code.
 */
const VOTE_DEFS = Object.entries(VOTE_COLUMNS)
  .map(([name, type]) => `${name} ${type}`)
  .join(", ");

/** See #nextAssignments. */
const NEXT_ASSIGNMENTS_SQL = `WITH x AS (
         SELECT * FROM ${recordset({ id: "text", campaign_id: "text", item_id: "bigint", labeler_id: "text", left_is: "text", seq: "bigint" })}
       ), m AS (
         SELECT x.ord, c.n, c.voted, c.seen
         FROM x CROSS JOIN LATERAL ${labelerCounts("x.item_id")} c
       ), ins AS (
         INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq)
         SELECT x.id, x.campaign_id, x.item_id, x.labeler_id, x.left_is, x.seq
         FROM x JOIN m ON m.ord = x.ord
         WHERE m.n = x.seq - 1 AND m.voted = m.n AND m.seen = 0
         ORDER BY x.ord
         ON CONFLICT DO NOTHING
         RETURNING id
       )
       SELECT ins.id IS NOT NULL AS created,
              CASE WHEN ins.id IS NULL THEN ${LABELER_ASSIGNMENTS} END AS mine
       FROM x LEFT JOIN ins ON ins.id = x.id
       ORDER BY x.ord`;

/** See #votes. */
const VOTES_AS_SQL = `WITH x AS (
         SELECT * FROM ${recordset({
           aid: "text",
           campaign_id: "text",
           labeler_id: "text",
           choice: "text",
           reason: "text",
           source: "text",
           set_name: "text",
           winner: "text",
           judge: "text",
           language: "text",
           tstamp: "double precision",
           rationale: "text",
           want_mine: "boolean",
           p_id: "text",
           p_item_id: "bigint",
           p_left_is: "text",
           p_k: "bigint",
         })}
       ), a AS (
         SELECT x.ord, x.choice AS new_choice, x.reason AS new_reason, la.id, la.item_id, la.left_is, la.choice,
                i.prompt_id, i.model_a, i.model_b, i.gold_winner
         FROM x
         CROSS JOIN LATERAL (
           SELECT * FROM label_assignments la
           WHERE la.id = x.aid AND la.campaign_id = x.campaign_id AND la.labeler_id = x.labeler_id LIMIT 1
         ) la
         CROSS JOIN LATERAL (SELECT * FROM label_items i WHERE i.id = la.item_id LIMIT 1) i
       ), claim AS (
         UPDATE label_assignments la
         SET choice = a.new_choice, reason = a.new_reason, voted_at = modelmap_now(),
             vote_id = CASE WHEN a.gold_winner IS NULL THEN nextval(pg_get_serial_sequence('votes', 'id')) END
         FROM a WHERE la.id = ANY($2::text[]) AND la.id = a.id AND la.choice IS NULL
         RETURNING la.id, la.vote_id
       ), rating AS (
         INSERT INTO votes (id, source, import_id, prompt_id, model_a, model_b, winner, judge, shown_first, category,
                            language, turn, tstamp, anony, rationale)
         SELECT claim.vote_id, x.source, NULL, x.set_name || '/' || a.prompt_id,
                CASE WHEN a.left_is = 'model_a' THEN a.model_a ELSE a.model_b END,
                CASE WHEN a.left_is = 'model_a' THEN a.model_b ELSE a.model_a END,
                x.winner, x.judge, 'model_a',
                (SELECT p.category FROM prompt_items p WHERE p.set_name = x.set_name AND p.id = a.prompt_id),
                x.language, 1, x.tstamp, 1, x.rationale
         FROM claim JOIN a ON a.id = claim.id JOIN x ON x.ord = a.ord
         WHERE claim.vote_id IS NOT NULL
         ORDER BY a.ord
       ), cnt AS (
         SELECT x.ord, c.n, c.voted, c.seen
         FROM x JOIN a ON a.ord = x.ord JOIN claim ON claim.id = a.id
         CROSS JOIN LATERAL ${labelerCounts("x.p_item_id")} c
         WHERE x.p_id IS NOT NULL
       ), ins AS (
         INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq)
         SELECT x.p_id, x.campaign_id, x.p_item_id, x.labeler_id, x.p_left_is, cnt.n + 1
         FROM x JOIN cnt ON cnt.ord = x.ord
         WHERE cnt.voted + 1 = cnt.n AND cnt.seen = 0 AND cnt.n < x.p_k
         ORDER BY x.ord
         ON CONFLICT DO NOTHING
         RETURNING id, seq, created_at
       )
       SELECT a.id IS NOT NULL AS found, a.item_id AS "itemId", a.left_is AS "leftIs", claim.id IS NOT NULL AS claimed,
              a.choice AS prev,
              CASE WHEN x.want_mine AND a.id IS NOT NULL THEN ${LABELER_ASSIGNMENTS} END AS mine,
              ins.seq AS "nextSeq", ins.created_at AS "nextCreatedAt"
       FROM x LEFT JOIN a ON a.ord = x.ord LEFT JOIN claim ON claim.id = a.id LEFT JOIN ins ON ins.id = x.p_id
       ORDER BY x.ord`;

/** See castVote. */
const CAST_VOTE_SQL = `WITH claim AS (
         UPDATE label_assignments
         SET choice = $2, reason = $3, voted_at = modelmap_now(),
             vote_id = CASE WHEN $4::json IS NULL THEN NULL ELSE nextval(pg_get_serial_sequence('votes', 'id')) END
         WHERE id = $1 AND choice IS NULL
         RETURNING vote_id
       ), rating AS (
         INSERT INTO votes (id, ${VOTE_NAMES})
         SELECT claim.vote_id, ${VOTE_NAMES} FROM claim, json_to_record($4::json) AS r(${VOTE_DEFS})
         WHERE claim.vote_id IS NOT NULL
       )
       SELECT count(*) AS n FROM claim`;

/** How long a vote waits for others to share its statement (see the constructor). */
const VOTE_LINGER_MS = 2;

interface VoteCall {
  owner: { campaignId: string; labelerId: string };
  assignmentId: string;
  choice: LabelChoice;
  reason: string | null;
  rating: RatingTemplate;
  mine: boolean;
  next: ProposedAssignment | undefined;
}

export class PgLabelingRepo implements LabelingRepo {
  readonly #db: PgDb;
  /** The labeling hot paths, calls made at once sent as one statement (batch.ts). */
  readonly #nexts: Batcher<NewAssignment, NextAssignmentResult>;
  readonly #voteBatch: Batcher<VoteCall, VoteAsResult | undefined>;

  constructor(db: PgDb) {
    this.#db = db;
    this.#nexts = new Batcher(
      (b) => this.#nextAssignments(b),
      (a) => `${a.campaignId}\u0000${a.labelerId}`,
    );
    // A vote waits VOTE_LINGER_MS for others to share its statement (a group commit): on this 2-core machine at
    // 1,000 votes/s over two instances, batches grew from 1.2 votes to about 2, and PostgreSQL's CPU per vote fell
    // by about a sixth (bench/label-load, decision 0010), for 2-3 ms more per vote.
    this.#voteBatch = new Batcher(
      (b) => this.#votes(b),
      (c) => `${c.owner.campaignId}\u0000${c.owner.labelerId}`,
      { lingerMs: VOTE_LINGER_MS },
    );
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
    // Named: every server instance asks it once per labeler it has not served yet (a labeling hot path when a
    // campaign opens), and an unnamed statement is planned at each call.
    return this.#db.one<LabelerRecord>(
      {
        name: "modelmap_labeler_by_session",
        text: `SELECT ${LABELER_COLUMNS} FROM labelers WHERE session_hash = $1`,
      },
      [sessionHash],
    );
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

  async createAssignment(a: NewAssignment): Promise<boolean> {
    // A racing insert of the same seq (another server) is waited for: DO NOTHING once it commits, or this row
    // goes in if it rolls back. No error, so the caller's transaction goes on.
    const n = await this.#db.run(
      `INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (campaign_id, labeler_id, seq) DO NOTHING`,
      [a.id, a.campaignId, a.itemId, a.labelerId, a.leftIs, a.seq],
    );
    return n === 1;
  }

  createNextAssignment(a: NewAssignment): Promise<NextAssignmentResult> {
    // In a transaction the statement must run on its connection, alone; elsewhere calls made at once share one.
    return this.#db.inTransaction()
      ? this.#nextAssignments([a]).then((r) => r[0] as NextAssignmentResult)
      : this.#nexts.add(a);
  }

  /**
   * The proposals of `createNextAssignment` as one statement (one round trip, no BEGIN/COMMIT), one answer per
   * proposal in their order. Per proposal: the check, the insert and, when refused, the labeler's assignments. Two
   * racing statements can both count seq - 1; the second's insert then waits for the first's row and does nothing
   * (its picture, taken before, may miss that row: the caller's next try sees it). `ON CONFLICT` names no index:
   * two instances often propose the same item for the same seq, and a conflict on an index other than the one
   * named (here the labeler's item, UNIQUE (labeler_id, item_id)) is an error, not a refusal, when PostgreSQL
   * checks that index first (test/labeling-instances failed so once). The check above already refuses an item
   * the labeler had, so any conflict here is a race lost. A batch holds one proposal per
   * labeler (the Batcher's key), so the counts of one statement never miss a row of the same statement.
   */
  async #nextAssignments(batch: NewAssignment[]): Promise<NextAssignmentResult[]> {
    const rows = await this.#db.query<{ created: boolean; mine: AssignmentRow[] | null }>(
      {
        name: "modelmap_next_assignments",
        text: NEXT_ASSIGNMENTS_SQL,
      },
      [
        JSON.stringify(
          batch.map((a) => ({
            id: a.id,
            campaign_id: a.campaignId,
            item_id: a.itemId,
            labeler_id: a.labelerId,
            left_is: a.leftIs,
            seq: a.seq,
          })),
        ),
      ],
    );
    return rows.map((r) =>
      r.created ? { created: true } : { created: false, mine: (r.mine ?? []).map(toAssignment) },
    );
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
    const r = await this.#db.one<{ n: number }>(
      {
        name: "modelmap_cast_vote",
        text: CAST_VOTE_SQL,
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

  voteAs(
    owner: { campaignId: string; labelerId: string },
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: RatingTemplate,
    opts: { mine?: boolean; next?: ProposedAssignment } = {},
  ): Promise<VoteAsResult | undefined> {
    const call: VoteCall = { owner, assignmentId, choice, reason, rating, mine: opts.mine === true, next: opts.next };
    return this.#db.inTransaction() ? this.#votes([call]).then((r) => r[0]) : this.#voteBatch.add(call);
  }

  /**
   * The calls of `voteAs` as one statement, one answer per call in their order: castVote's claim, on the
   * assignment found with its owner and item, and the rating row that labelRating (store/labeling.ts) builds, here
   * in SQL. `a` sees the row as the statement began; when the claim finds it taken by a vote that committed
   * meanwhile, its choice is read again. A batch holds one call per labeler (the Batcher's key), so one per
   * assignment: an UPDATE joined to two rows of its input would write the row once, with either's values.
   *
   * A proposed next assignment goes in as `createNextAssignment`'s does, with the seq counted here. The counts
   * come from the statement's snapshot, which does not see its own claim: a claim that succeeded found the row
   * open (a vote committed meanwhile makes the claim fail), so "all voted" after it is voted + 1 = n.
   */
  async #votes(batch: VoteCall[]): Promise<Array<VoteAsResult | undefined>> {
    const rows = await this.#db.query<{
      found: boolean;
      itemId: number;
      leftIs: "model_a" | "model_b";
      claimed: boolean;
      prev: LabelChoice | null;
      mine: AssignmentRow[] | null;
      nextSeq: number | null;
      nextCreatedAt: string | null;
    }>(
      {
        name: "modelmap_votes_as",
        text: VOTES_AS_SQL,
      },
      [
        JSON.stringify(
          batch.map((c) => ({
            aid: c.assignmentId,
            campaign_id: c.owner.campaignId,
            labeler_id: c.owner.labelerId,
            choice: c.choice,
            reason: c.reason,
            source: c.rating.source,
            set_name: c.rating.setName,
            winner: c.rating.winner,
            judge: c.rating.judge,
            language: c.rating.language,
            tstamp: c.rating.tstamp,
            rationale: c.rating.rationale,
            want_mine: c.mine,
            p_id: c.next?.id ?? null,
            p_item_id: c.next?.itemId ?? null,
            p_left_is: c.next?.leftIs ?? null,
            p_k: c.next?.perLabeler ?? null,
          })),
        ),
        // The ids again, as an array: the UPDATE finds its rows by the primary key whatever the join's estimates.
        batch.map((c) => c.assignmentId),
      ],
    );
    const out: Array<VoteAsResult | undefined> = [];
    for (const [i, r] of rows.entries()) {
      const c = batch[i] as VoteCall;
      if (!r.found) {
        out.push(undefined);
        continue;
      }
      let outcome: VoteAsResult["outcome"] = "recorded";
      if (!r.claimed) {
        const prev =
          r.prev ??
          (
            await this.#db.one<{ choice: LabelChoice | null }>("SELECT choice FROM label_assignments WHERE id = $1", [
              c.assignmentId,
            ])
          )?.choice;
        outcome = prev === c.choice ? "same" : "different";
      }
      const result: VoteAsResult = { outcome, itemId: r.itemId, leftIs: r.leftIs };
      // `mine` is read as the statement began: this vote's row is patched in, as the claim wrote it. One loop:
      // chained maps over an array that is sometimes empty were another place where V8 dropped this code.
      if (c.mine) {
        const mine: AssignmentRecord[] = [];
        for (const row of r.mine ?? []) {
          const x = toAssignment(row);
          mine.push(
            x.id === c.assignmentId && outcome !== "different" && x.choice === null
              ? { ...x, choice: c.choice, reason: c.reason }
              : x,
          );
        }
        result.mine = mine;
      }
      if (c.next && r.nextSeq !== null)
        result.next = {
          id: c.next.id,
          campaignId: c.owner.campaignId,
          itemId: c.next.itemId,
          labelerId: c.owner.labelerId,
          leftIs: c.next.leftIs,
          choice: null,
          reason: null,
          voteId: null,
          createdAt: r.nextCreatedAt as string,
          votedAt: null,
          seq: r.nextSeq,
        };
      out.push(result);
    }
    return out;
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
