/**
 * Storage contract of blind human labeling (src/labeling): labelers and their sessions, campaigns over a
 * prompt set, the comparison items of a campaign, and assignments (one item shown to one labeler, with the
 * left/right order recorded). A vote is written once per assignment; its rating vote lands in `votes`.
 */
import type { Vote, Winner } from "../core/votes.ts";

export interface LabelerRecord {
  id: string;
  language: string | null;
  expertise: string | null;
  region: string | null;
  csrfToken: string;
  createdAt: string;
}

export type RevealMode = "after" | "never";

/**
 * What a labeler's vote puts in its rating row, less what comes from the assignment's item (`labelRating`): the
 * winner from the left side's point of view, as the rating's model_a is the left model.
 */
export interface RatingTemplate {
  source: string;
  setName: string;
  winner: Winner;
  judge: string;
  language: string | null;
  tstamp: number;
  rationale: string | null;
}

/**
 * A labeler's rating vote: the template with the item's prompt and models in the order shown (left first) and
 * the prompt's category. The PostgreSQL store builds the same row in SQL (`PgLabelingRepo.voteAs`).
 */
export function labelRating(
  t: RatingTemplate,
  item: { promptId: string; modelA: string; modelB: string },
  leftIs: "model_a" | "model_b",
  category: string | undefined,
): Vote {
  const [left, right] = leftIs === "model_a" ? [item.modelA, item.modelB] : [item.modelB, item.modelA];
  return {
    promptId: `${t.setName}/${item.promptId}`,
    modelA: left,
    modelB: right,
    winner: t.winner,
    judge: t.judge,
    shownFirst: "model_a",
    category,
    language: t.language ?? undefined,
    turn: 1,
    tstamp: t.tstamp,
    anony: true,
    rationale: t.rationale ?? undefined,
  };
}

export interface CampaignRecord {
  id: string;
  name: string;
  setName: string;
  models: string[];
  /** At most this many items per labeler. */
  perLabeler: number;
  reveal: RevealMode;
  /** Share of assignments drawn from gold items. */
  goldRate: number;
  seed: number;
  createdAt: string;
}

export interface CampaignItem {
  id: number;
  campaignId: string;
  promptId: string;
  modelA: string;
  modelB: string;
  answerA: string;
  answerB: string;
  /** Known answer of a gold item (model_a | model_b | tie | tie_bothbad), null for ordinary items. */
  goldWinner: string | null;
}

export type LabelChoice = "left" | "right" | "tie" | "both_bad";

export interface AssignmentRecord {
  id: string;
  campaignId: string;
  itemId: number;
  labelerId: string;
  /** Which of the item's models is shown on the left. */
  leftIs: "model_a" | "model_b";
  choice: LabelChoice | null;
  reason: string | null;
  voteId: number | null;
  createdAt: string;
  votedAt: string | null;
}

/** A labeler's `seq`-th assignment of a campaign, as `createAssignment` and `createNextAssignment` store it. */
export interface NewAssignment {
  id: string;
  campaignId: string;
  itemId: number;
  labelerId: string;
  leftIs: "model_a" | "model_b";
  seq: number;
}

/** `createNextAssignment`'s answer: stored, or refused with the labeler's assignments as the store found them. */
export type NextAssignmentResult = { created: true } | { created: false; mine: AssignmentRecord[] };

/**
 * The labeler's next assignment proposed with a vote (`voteAs`'s `opts.next`), picked by the caller from whatever
 * picture of the labeler it has: the store gives it the seq and decides whether it stands.
 */
export interface ProposedAssignment {
  id: string;
  itemId: number;
  leftIs: "model_a" | "model_b";
  /** The campaign's K: no proposal is stored for a labeler who then has K assignments. */
  perLabeler: number;
}

export interface VoteAsResult {
  outcome: "recorded" | "same" | "different";
  itemId: number;
  leftIs: "model_a" | "model_b";
  /** Only when asked for (`voteAs`'s `opts.mine`). */
  mine?: AssignmentRecord[];
  /** The proposed assignment (`opts.next`) as stored, with its seq; absent when the store refused it. */
  next?: AssignmentRecord & { seq: number };
}

export interface LabelingRepo {
  createLabeler(l: {
    id: string;
    sessionHash: string;
    csrfToken: string;
    language: string | null;
    expertise: string | null;
    region: string | null;
  }): Promise<void>;
  labelerBySession(sessionHash: string): Promise<LabelerRecord | undefined>;
  labeler(id: string): Promise<LabelerRecord | undefined>;

  createCampaign(
    c: Omit<CampaignRecord, "createdAt">,
    items: Array<Omit<CampaignItem, "id" | "campaignId">>,
  ): Promise<void>;
  campaign(id: string): Promise<CampaignRecord | undefined>;
  campaigns(): Promise<CampaignRecord[]>;
  items(campaignId: string): Promise<CampaignItem[]>;
  item(id: number): Promise<CampaignItem | undefined>;

  /** The labeler's assignments in a campaign, oldest first. */
  assignmentsOf(campaignId: string, labelerId: string): Promise<AssignmentRecord[]>;
  assignment(id: string): Promise<AssignmentRecord | undefined>;
  /**
   * Stores the labeler's `seq`-th assignment of the campaign (1, 2, ...) and returns true, or returns false and
   * stores nothing when that labeler already has a `seq`-th one: another request (of this process or another one
   * on the same database) created it first. The same item twice to one labeler is an error.
   */
  createAssignment(a: NewAssignment): Promise<boolean>;
  /**
   * Stores `a` as the labeler's `seq`-th assignment only while the labeler has exactly `seq - 1` assignments of
   * the campaign, every one voted and none of `a`'s item. Else stores nothing and returns the labeler's
   * assignments as the store found them (another request went first, or the caller's picture of the labeler was
   * stale). One statement, atomic by itself, and on PostgreSQL one round trip either way: the caller may pick the
   * item from a cached picture and needs no transaction around the call. A racing insert of the same `seq` is
   * waited for, as in `createAssignment`.
   */
  createNextAssignment(a: NewAssignment): Promise<NextAssignmentResult>;
  /**
   * A labeler's vote on their assignment, for a caller that has not read the assignment: as `castVote`, with the
   * rating row (none for a gold item) built by `labelRating` from `rating` and the assignment's item. Returns
   * undefined, writing nothing, when the assignment is not this labeler's in this campaign; else the outcome and
   * the assignment's item and left side. On PostgreSQL one statement and one round trip. With `opts.mine` the
   * answer also holds the labeler's assignments of the campaign, oldest first, this one with the choice stored
   * (unless the outcome is "different"): the picture `createNextAssignment` wants, in the same round trip.
   *
   * With `opts.next`, atomically with the vote, the proposal is stored as the labeler's (n+1)-th assignment when
   * this call recorded the vote (outcome "recorded") and the labeler then has n assignments, all voted, n below
   * `perLabeler`, none of the proposal's item; a racing insert of the same seq is waited for and wins. Else
   * nothing more is stored (`next` absent) and the caller goes on as after a refused `createNextAssignment`.
   * On PostgreSQL still one statement: the web page's vote and next pair cost one commit.
   */
  voteAs(
    owner: { campaignId: string; labelerId: string },
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: RatingTemplate,
    opts?: { mine?: boolean; next?: ProposedAssignment },
  ): Promise<VoteAsResult | undefined>;
  /** Assignment counts per item (all, voted). */
  itemLoad(campaignId: string): Promise<Map<number, { assigned: number; voted: number }>>;
  /**
   * Records the vote of an assignment once, atomically with its rating vote when one is given (stored under
   * `rating.source` and linked as the assignment's `voteId`): returns "recorded", or "same" when the identical
   * choice was already stored (a retry; nothing is written), or "different" when another choice was stored before.
   * Of two racing calls (two servers), one records.
   */
  castVote(
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    rating: { source: string; vote: Vote } | null,
  ): Promise<"recorded" | "same" | "different">;
  votedAssignments(campaignId: string): Promise<AssignmentRecord[]>;
  progress(
    campaignId: string,
  ): Promise<{ items: number; gold: number; assignments: number; voted: number; labelers: number }>;
}
