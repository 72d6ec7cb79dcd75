/**
 * A labeling campaign as one server process pictures it: the campaign, its items by model pair, how often each
 * item and pair was assigned and how the pairs' votes stand, and the seeded draws that choose what a labeler sees
 * next. Built from the database when the process first serves the campaign; the database stays the source of
 * truth, and another instance's assignments reach this picture only through the store's refusals.
 */
import { ModelmapError } from "../core/errors.ts";
import { createRng, deriveSeed, type Rng } from "../core/rng.ts";
import type { AssignmentRecord, CampaignItem, CampaignRecord, LabelChoice, LabelerRecord } from "../store/labeling.ts";
import type { Store } from "../store/store.ts";
import { PairLoads } from "./pair-loads.ts";
import { token } from "./tokens.ts";

export interface CampaignState {
  campaign: CampaignRecord;
  items: Map<number, CampaignItem>;
  /** pair key -> item ids of that pair (non-gold). */
  pairItems: Map<string, number[]>;
  gold: number[];
  /** pair key -> its items by times assigned. */
  loads: Map<string, PairLoads>;
  /** pair key -> times assigned, and the model_a-side score of voted ones (wins + ties/2) and votes. */
  pairStats: Map<string, { assigned: number; score: number; voted: number }>;
  turns: Map<string, string[]>;
  rng: Rng;
}

/** One key per unordered model pair. */
export const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);

/** The campaign's picture as the database has it now (a restarted server builds it again). */
export async function loadCampaignState(store: Store, campaignId: string): Promise<CampaignState> {
  const campaign = await store.labeling.campaign(campaignId);
  if (!campaign) throw new ModelmapError("not_found", `no campaign '${campaignId}'`);
  const items = new Map((await store.labeling.items(campaignId)).map((i) => [i.id, i]));
  const pairItems = new Map<string, number[]>();
  const gold: number[] = [];
  for (const it of items.values()) {
    if (it.goldWinner !== null) {
      gold.push(it.id);
      continue;
    }
    const k = pairKey(it.modelA, it.modelB);
    const list = pairItems.get(k) ?? [];
    list.push(it.id);
    pairItems.set(k, list);
  }
  const load = new Map<number, number>();
  const pairStats = new Map<string, { assigned: number; score: number; voted: number }>();
  for (const k of pairItems.keys()) pairStats.set(k, { assigned: 0, score: 0, voted: 0 });
  for (const [itemId, l] of await store.labeling.itemLoad(campaignId)) load.set(itemId, l.assigned);
  for (const it of items.values()) {
    if (it.goldWinner !== null) continue;
    const s = pairStats.get(pairKey(it.modelA, it.modelB));
    if (s) s.assigned += load.get(it.id) ?? 0;
  }
  for (const a of await store.labeling.votedAssignments(campaignId)) {
    const it = items.get(a.itemId);
    if (it && it.goldWinner === null) countVote(pairStats, it, a);
  }
  const prompts = await store.judging.promptItems(campaign.setName);
  const assignments = (await store.labeling.progress(campaignId)).assignments;
  const turns = new Map(prompts.map((p) => [p.id, p.turns]));
  const state: CampaignState = {
    campaign,
    items,
    pairItems,
    gold,
    loads: new Map([...pairItems].map(([k, ids]) => [k, new PairLoads(ids, (id) => load.get(id) ?? 0)])),
    pairStats,
    turns,
    // Seeded from the campaign seed and the number of assignments made so far: reproducible from the
    // database state, while a restarted server does not replay the left/right sequence it already used.
    rng: createRng(deriveSeed(campaign.seed, `${campaign.id}:${assignments}`)),
  };
  return state;
}

/** Counts a vote in its pair's standing (the active sampling's estimate of how close the pair is). */
export function countVote(
  stats: CampaignState["pairStats"],
  it: CampaignItem,
  a: { leftIs: string; choice: LabelChoice | null },
): void {
  const s = stats.get(pairKey(it.modelA, it.modelB));
  if (!s || a.choice === null) return;
  const leftWonFor = a.choice === "left" ? 1 : a.choice === "right" ? 0 : 0.5;
  // score from the side of the alphabetically first model of the pair
  const leftModel = a.leftIs === "model_a" ? it.modelA : it.modelB;
  const first = [it.modelA, it.modelB].sort()[0];
  s.score += leftModel === first ? leftWonFor : 1 - leftWonFor;
  s.voted++;
}

/** Adds to an item's assigned count and its pair's (a proposal counted, or uncounted when refused). */
export function counter(st: CampaignState, itemId: number): (d: number) => void {
  const it = st.items.get(itemId) as CampaignItem;
  const key = pairKey(it.modelA, it.modelB);
  const ps = st.pairStats.get(key);
  const loads = st.loads.get(key);
  return (d) => {
    loads?.add(itemId, d);
    if (ps) ps.assigned += d;
  };
}

/** A new assignment for the labeler whose assignments are `mine`, or undefined when no item is left to show. */
export function pickAssignment(
  st: CampaignState,
  campaignId: string,
  labeler: LabelerRecord,
  mine: AssignmentRecord[],
) {
  const seen = new Set(mine.map((a) => a.itemId));
  const goldLeft = st.gold.filter((id) => !seen.has(id));
  let itemId: number | undefined;
  const wantGold = goldLeft.length > 0 && st.rng.next() < st.campaign.goldRate;
  if (!wantGold) itemId = activeItem(st, seen);
  if (itemId === undefined && goldLeft.length > 0) itemId = goldLeft[st.rng.int(goldLeft.length)];
  if (itemId === undefined) return undefined;
  return {
    id: `a_${token(12)}`,
    campaignId,
    itemId,
    labelerId: labeler.id,
    leftIs: (st.rng.next() < 0.5 ? "model_a" : "model_b") as "model_a" | "model_b",
    seq: mine.length + 1,
  };
}

/**
 * A model pair drawn with probability proportional to how much one more vote shrinks its interval (the Chatbot
 * Arena paper's active sampling), then the least-assigned item of that pair the labeler has not seen.
 */
function activeItem(st: CampaignState, seen: Set<number>): number | undefined {
  const pairs = [...st.pairItems.keys()];
  while (pairs.length > 0) {
    const weights = pairs.map((key) => {
      const s = st.pairStats.get(key) as { assigned: number; score: number; voted: number };
      const p = (s.score + 1) / (s.voted + 2);
      const n = s.assigned + 1;
      const v = p * (1 - p);
      return Math.sqrt(v / n) - Math.sqrt(v / (n + 1));
    });
    const total = weights.reduce((a, b) => a + b, 0);
    let u = st.rng.next() * total;
    let at = pairs.length - 1;
    for (let i = 0; i < pairs.length; i++) {
      u -= weights[i] as number;
      if (u <= 0) {
        at = i;
        break;
      }
    }
    const id = (st.loads.get(pairs[at] as string) as PairLoads).leastLoaded(seen, (n) => st.rng.int(n));
    if (id !== undefined) return id;
    pairs.splice(at, 1); // the labeler has seen every item of this pair
  }
  return undefined;
}
