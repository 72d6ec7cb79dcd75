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
import { labelRating } from "../labeling.ts";
import {
  type AssignmentRow,
  type CampaignRow,
  type LabelItemRow,
  toAssignment,
  toCampaign,
  toLabelItem,
  voteRow,
} from "../rows.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";
import { INSERT_VOTE } from "./votes.ts";

export class SqliteLabelingRepo implements Sync<LabelingRepo> {
  readonly #db: Db;
  // Prepared once: the vote path is the hot path of the load benchmark.
  readonly #assignment;
  readonly #record;
  readonly #insertVote;
  readonly #linkVote;
  readonly #labelerBySession;
  readonly #insertLabeler;
  readonly #assignmentsOf;
  readonly #insertAssignment;
  readonly #insertNextAssignment;

  constructor(db: Db) {
    this.#db = db;
    this.#insertLabeler = db.prepare(
      "INSERT INTO labelers (id, session_hash, csrf_token, language, expertise, region) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.#assignmentsOf = db.prepare(
      "SELECT * FROM label_assignments WHERE campaign_id = ? AND labeler_id = ? ORDER BY rowid",
    );
    this.#insertAssignment = db.prepare(
      `INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (campaign_id, labeler_id, seq) DO NOTHING`,
    );
    this.#insertNextAssignment = db.prepare(
      `INSERT INTO label_assignments (id, campaign_id, item_id, labeler_id, left_is, seq)
       SELECT ?, ?, ?, ?, ?, ?
       FROM (SELECT count(*) AS n, count(choice) AS voted, count(CASE WHEN item_id = ? THEN 1 END) AS seen
             FROM label_assignments WHERE campaign_id = ? AND labeler_id = ?)
       WHERE n = ? - 1 AND voted = n AND seen = 0
       ON CONFLICT (campaign_id, labeler_id, seq) DO NOTHING`,
    );
    this.#assignment = db.prepare("SELECT * FROM label_assignments WHERE id = ?");
    this.#record = db.prepare(
      "UPDATE label_assignments SET choice = ?, reason = ?, voted_at = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE id = ? AND choice IS NULL",
    );
    this.#insertVote = db.prepare(INSERT_VOTE);
    this.#linkVote = db.prepare("UPDATE label_assignments SET vote_id = ? WHERE id = ?");
    this.#labelerBySession = db.prepare(
      "SELECT id, language, expertise, region, csrf_token AS csrfToken, created_at AS createdAt FROM labelers WHERE session_hash = ?",
    );
  }

  createLabeler(l: {
    id: string;
    sessionHash: string;
    csrfToken: string;
    language: string | null;
    expertise: string | null;
    region: string | null;
  }): void {
    this.#insertLabeler.run(l.id, l.sessionHash, l.csrfToken, l.language, l.expertise, l.region);
  }

  labelerBySession(sessionHash: string): LabelerRecord | undefined {
    return this.#labelerBySession.get(sessionHash) as LabelerRecord | undefined;
  }

  labeler(id: string): LabelerRecord | undefined {
    return this.#db
      .prepare(
        "SELECT id, language, expertise, region, csrf_token AS csrfToken, created_at AS createdAt FROM labelers WHERE id = ?",
      )
      .get(id) as LabelerRecord | undefined;
  }

  createCampaign(c: Omit<CampaignRecord, "createdAt">, items: Array<Omit<CampaignItem, "id" | "campaignId">>): void {
    const run = this.#db.transaction(() => {
      this.#db
        .prepare(
          "INSERT INTO label_campaigns (id, name, set_name, models, per_labeler, reveal, gold_rate, seed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .run(c.id, c.name, c.setName, JSON.stringify(c.models), c.perLabeler, c.reveal, c.goldRate, c.seed);
      const ins = this.#db.prepare(
        "INSERT INTO label_items (campaign_id, prompt_id, model_a, model_b, answer_a, answer_b, gold_winner) VALUES (?, ?, ?, ?, ?, ?, ?)",
      );
      for (const it of items) ins.run(c.id, it.promptId, it.modelA, it.modelB, it.answerA, it.answerB, it.goldWinner);
    });
    run.immediate();
  }

  campaign(id: string): CampaignRecord | undefined {
    const r = this.#db.prepare("SELECT * FROM label_campaigns WHERE id = ?").get(id) as CampaignRow | undefined;
    return r ? toCampaign(r) : undefined;
  }

  campaigns(): CampaignRecord[] {
    return (this.#db.prepare("SELECT * FROM label_campaigns ORDER BY created_at, id").all() as CampaignRow[]).map(
      toCampaign,
    );
  }

  items(campaignId: string): CampaignItem[] {
    return (
      this.#db.prepare("SELECT * FROM label_items WHERE campaign_id = ? ORDER BY id").all(campaignId) as LabelItemRow[]
    ).map(toLabelItem);
  }

  item(id: number): CampaignItem | undefined {
    const r = this.#db.prepare("SELECT * FROM label_items WHERE id = ?").get(id) as LabelItemRow | undefined;
    return r ? toLabelItem(r) : undefined;
  }

  assignmentsOf(campaignId: string, labelerId: string): AssignmentRecord[] {
    return (this.#assignmentsOf.all(campaignId, labelerId) as AssignmentRow[]).map(toAssignment);
  }

  assignment(id: string): AssignmentRecord | undefined {
    const r = this.#assignment.get(id) as AssignmentRow | undefined;
    return r ? toAssignment(r) : undefined;
  }

  createAssignment(a: NewAssignment): boolean {
    return this.#insertAssignment.run(a.id, a.campaignId, a.itemId, a.labelerId, a.leftIs, a.seq).changes === 1;
  }

  createNextAssignment(a: NewAssignment): NextAssignmentResult {
    return this.#insertNext(a)
      ? { created: true }
      : { created: false, mine: this.assignmentsOf(a.campaignId, a.labelerId) };
  }

  /** `createNextAssignment`'s insert and its check, without the read of a refused proposal's picture. */
  #insertNext(a: NewAssignment): boolean {
    const { changes } = this.#insertNextAssignment.run(
      a.id,
      a.campaignId,
      a.itemId,
      a.labelerId,
      a.leftIs,
      a.seq,
      a.itemId,
      a.campaignId,
      a.labelerId,
      a.seq,
    );
    return changes === 1;
  }

  voteAs(
    owner: { campaignId: string; labelerId: string },
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: RatingTemplate,
    opts: { mine?: boolean; next?: ProposedAssignment } = {},
  ): VoteAsResult | undefined {
    return this.#db.transaction((): VoteAsResult | undefined => {
      const a = this.assignment(assignmentId);
      if (!a || a.campaignId !== owner.campaignId || a.labelerId !== owner.labelerId) return undefined;
      const it = this.item(a.itemId) as CampaignItem;
      const category = (
        this.#db
          .prepare("SELECT category FROM prompt_items WHERE set_name = ? AND id = ?")
          .get(rating.setName, it.promptId) as { category: string } | undefined
      )?.category;
      const vote =
        it.goldWinner === null ? { source: rating.source, vote: labelRating(rating, it, a.leftIs, category) } : null;
      const r: VoteAsResult = {
        outcome: this.castVote(assignmentId, choice, reason, vote),
        itemId: a.itemId,
        leftIs: a.leftIs,
      };
      const p = opts.next;
      if (!opts.mine && !(p && r.outcome === "recorded")) return r;
      const mine = this.assignmentsOf(owner.campaignId, owner.labelerId);
      if (opts.mine) r.mine = mine;
      if (p && r.outcome === "recorded" && mine.length < p.perLabeler) {
        const n = { id: p.id, campaignId: owner.campaignId, itemId: p.itemId, labelerId: owner.labelerId };
        const seq = mine.length + 1;
        if (this.#insertNext({ ...n, leftIs: p.leftIs, seq }))
          r.next = { ...toAssignment(this.#assignment.get(p.id) as AssignmentRow), seq };
      }
      return r;
    })();
  }

  itemLoad(campaignId: string): Map<number, { assigned: number; voted: number }> {
    const rows = this.#db
      .prepare(
        "SELECT item_id AS itemId, COUNT(*) AS assigned, COUNT(choice) AS voted FROM label_assignments WHERE campaign_id = ? GROUP BY item_id",
      )
      .all(campaignId) as Array<{ itemId: number; assigned: number; voted: number }>;
    return new Map(rows.map((r) => [r.itemId, { assigned: r.assigned, voted: r.voted }]));
  }

  castVote(
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: { source: string; vote: Vote } | null,
  ): "recorded" | "same" | "different" {
    // The claim decides: the row is updated only while it has no vote, so two racing votes record one.
    return this.#db.transaction(() => {
      if (this.#record.run(choice, reason, assignmentId).changes === 1) {
        if (rating) {
          const id = this.#insertVote.run(voteRow(rating.source, null, rating.vote)).lastInsertRowid;
          this.#linkVote.run(Number(id), assignmentId);
        }
        return "recorded" as const;
      }
      const prev = this.#assignment.get(assignmentId) as AssignmentRow | undefined;
      return prev?.choice === choice ? ("same" as const) : ("different" as const);
    })();
  }

  votedAssignments(campaignId: string): AssignmentRecord[] {
    return (
      this.#db
        .prepare("SELECT * FROM label_assignments WHERE campaign_id = ? AND choice IS NOT NULL ORDER BY rowid")
        .all(campaignId) as AssignmentRow[]
    ).map(toAssignment);
  }

  progress(campaignId: string): { items: number; gold: number; assignments: number; voted: number; labelers: number } {
    const items = this.#db
      .prepare("SELECT COUNT(*) AS n, COUNT(gold_winner) AS g FROM label_items WHERE campaign_id = ?")
      .get(campaignId) as { n: number; g: number };
    const a = this.#db
      .prepare(
        "SELECT COUNT(*) AS n, COUNT(choice) AS v, COUNT(DISTINCT labeler_id) AS l FROM label_assignments WHERE campaign_id = ?",
      )
      .get(campaignId) as { n: number; v: number; l: number };
    return { items: items.n, gold: items.g, assignments: a.n, voted: a.v, labelers: a.l };
  }
}
