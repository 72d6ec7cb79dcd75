/**
 * Storage contract of blind human labeling (src/labeling): labelers and their sessions, campaigns over a
 * prompt set, the comparison items of a campaign, and assignments (one item shown to one labeler, with the
 * left/right order recorded). A vote is written once per assignment; its rating vote lands in `votes`.
 */

export interface LabelerRecord {
  id: string;
  language: string | null;
  expertise: string | null;
  region: string | null;
  csrfToken: string;
  createdAt: string;
}

export type RevealMode = "after" | "never";

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
  createAssignment(a: {
    id: string;
    campaignId: string;
    itemId: number;
    labelerId: string;
    leftIs: "model_a" | "model_b";
  }): Promise<void>;
  /** Assignment counts per item (all, voted). */
  itemLoad(campaignId: string): Promise<Map<number, { assigned: number; voted: number }>>;
  /**
   * Records the vote of an assignment once: returns "recorded", or "same" when the identical vote was
   * already stored (a retry), or "different" when another choice was stored before.
   */
  recordVote(
    assignmentId: string,
    choice: LabelChoice,
    reason: string | null,
    voteId: number | null,
  ): Promise<"recorded" | "same" | "different">;
  votedAssignments(campaignId: string): Promise<AssignmentRecord[]>;
  progress(
    campaignId: string,
  ): Promise<{ items: number; gold: number; assignments: number; voted: number; labelers: number }>;
}
