import { createRng, deriveSeed, type Rng, shuffleInPlace } from "../core/rng.ts";
import { krippendorffAlphaNominal } from "../stats/krippendorff.ts";
import { binomialTestPValue } from "../stats/proportion.ts";
import { chiSquareSurvivalEven } from "../stats/special.ts";
import type { AssignmentRecord, CampaignItem } from "../store/labeling.ts";
import type { Store } from "../store/store.ts";
import { pairKey } from "./campaign-state.ts";

/**
 * Labeler quality for one campaign: agreement with gold items, inter-annotator agreement (Krippendorff's
 * alpha over items labelled more than once), each labeler's position bias (share of decisive votes for
 * the left answer, with a two-sided binomial test against 1/2), and anomalous voters.
 *
 * Anomalous voters, as the Chatbot Arena paper (Chiang et al. 2024, sec. 5.1, eq. 10) detects them: each
 * of a labeler's votes on a model pair gets a conformal p-value against the history of that pair (the other
 * labelers' votes on it), p_i = (1 + #{h in H : h at least as unusual as the vote}) / (|H| + 1), where an
 * outcome (first model wins, second wins, tie) is as unusual as its rarity in H. The labeler's p-values, in
 * voting order, are combined by Fisher's method, M_j = -2 sum_{i<=j} log p_i, at 5 checkpoints j drawn at
 * random (seeded; all j when there are at most 5 votes), and the labeler is anomalous when some
 * M_j >= chi2_{2j, 1 - alpha/5} (alpha 0.05 by default). Like the paper, each labeler is tested at level
 * alpha; `familywise` divides alpha by the number of labelers (Bonferroni) for a campaign-wide guarantee.
 * Conformal p-values of majority votes sit near 1, so the test is conservative for honest labelers. The
 * reported p-value is min_j P(chi2_{2j} >= M_j) times the number of checkpoints (capped at 1).
 */
export interface LabelerQuality {
  labeler: string;
  votes: number;
  gold: { n: number; agree: number; rate: number };
  position: { decisive: number; left: number; leftRate: number; pValue: number };
  anomaly: {
    /** Votes with a pair history (the p-values combined). */
    n: number;
    /** Fisher's statistic at the checkpoint with the smallest p-value. */
    fisher: number;
    checkpoints: number[];
    pValue: number;
    flagged: boolean;
  };
}

export interface CampaignQuality {
  labelers: LabelerQuality[];
  alpha: number;
  /** Items labelled by two or more labelers. */
  alphaUnits: number;
  goldAgreement: number;
}

/** Outcome of a vote in the item's own frame: 0 = model_a wins, 1 = model_b wins, 2 = tie (either kind). */
function outcome(a: AssignmentRecord): number {
  if (a.choice === "tie" || a.choice === "both_bad") return 2;
  const leftIsA = a.leftIs === "model_a";
  return (a.choice === "left") === leftIsA ? 0 : 1;
}

function goldOutcome(w: string): number {
  return w === "model_a" ? 0 : w === "model_b" ? 1 : 2;
}

/** Checkpoints of the sequential test, as in the paper. */
export const ANOMALY_CHECKPOINTS = 5;

/**
 * Fisher's combination of p-values (in order) at up to 5 random checkpoints j: the smallest
 * P(chi2_{2j} >= M_j), Bonferroni-corrected for the checkpoints.
 */
export function sequentialFisher(ps: number[], rng: Rng): { fisher: number; checkpoints: number[]; pValue: number } {
  if (ps.length === 0) return { fisher: 0, checkpoints: [], pValue: 1 };
  const all = Array.from({ length: ps.length }, (_, i) => i + 1);
  const checkpoints =
    ps.length <= ANOMALY_CHECKPOINTS
      ? all
      : shuffleInPlace(all, rng)
          .slice(0, ANOMALY_CHECKPOINTS)
          .sort((a, b) => a - b);
  let best = { fisher: 0, p: 1 };
  let m = 0;
  let at = 0;
  for (const j of checkpoints) {
    for (; at < j; at++) m += -2 * Math.log(ps[at] as number);
    const p = chiSquareSurvivalEven(m, 2 * j);
    if (p < best.p) best = { fisher: m, p };
  }
  return { fisher: best.fisher, checkpoints, pValue: Math.min(1, best.p * ANOMALY_CHECKPOINTS) };
}

export async function campaignQuality(
  store: Store,
  campaignId: string,
  opts: { seed?: number; alpha?: number; familywise?: boolean } = {},
): Promise<CampaignQuality> {
  const items = new Map((await store.labeling.items(campaignId)).map((i) => [i.id, i]));
  const voted = await store.labeling.votedAssignments(campaignId);
  const byLabeler = new Map<string, AssignmentRecord[]>();
  const byItem = new Map<number, number[]>();
  for (const a of voted) {
    const l = byLabeler.get(a.labelerId) ?? [];
    l.push(a);
    byLabeler.set(a.labelerId, l);
    const it = items.get(a.itemId);
    if (it && it.goldWinner === null) {
      const u = byItem.get(a.itemId) ?? [];
      u.push(outcome(a));
      byItem.set(a.itemId, u);
    }
  }
  const units = [...byItem.values()].filter((u) => u.length >= 2);

  // Pair histories in the pair's own frame (models sorted): outcome counts per labeler, to leave one out.
  const pairOutcome = (it: CampaignItem, o: number) => (o === 2 || it.modelA < it.modelB ? o : 1 - o);
  const history = new Map<string, { total: number[]; byLabeler: Map<string, number[]> }>();
  for (const a of voted) {
    const it = items.get(a.itemId);
    if (!it || it.goldWinner !== null) continue;
    const key = pairKey(it.modelA, it.modelB);
    const h = history.get(key) ?? { total: [0, 0, 0], byLabeler: new Map<string, number[]>() };
    const o = pairOutcome(it, outcome(a));
    (h.total[o] as number)++;
    const mine = h.byLabeler.get(a.labelerId) ?? [0, 0, 0];
    (mine[o] as number)++;
    h.byLabeler.set(a.labelerId, mine);
    history.set(key, h);
  }
  /** Eq. 10 with "at least as unusual" = an outcome no more frequent in the history than the vote's. */
  const conformalP = (it: CampaignItem, o: number, labeler: string): number | undefined => {
    const h = history.get(pairKey(it.modelA, it.modelB));
    if (!h) return undefined;
    const mine = h.byLabeler.get(labeler) ?? [0, 0, 0];
    const counts = h.total.map((n, k) => n - (mine[k] as number));
    const n = counts.reduce((x, y) => x + y, 0);
    if (n === 0) return undefined;
    const c = counts[pairOutcome(it, o)] as number;
    const asRare = counts.reduce((acc, ck) => acc + (ck <= c ? ck : 0), 0);
    return (1 + asRare) / (n + 1);
  };
  const nLabelers = byLabeler.size;
  const alphaLevel = opts.alpha ?? 0.05;
  const level = opts.familywise ? alphaLevel / Math.max(1, nLabelers) : alphaLevel;

  let goldN = 0;
  let goldK = 0;
  const labelers: LabelerQuality[] = [];
  for (const [labeler, as] of byLabeler) {
    let gn = 0;
    let gk = 0;
    let decisive = 0;
    let left = 0;
    const ps: number[] = [];
    for (const a of as) {
      const it = items.get(a.itemId);
      if (!it) continue;
      const o = outcome(a);
      if (it.goldWinner !== null) {
        gn++;
        if (goldOutcome(it.goldWinner) === o) gk++;
        continue;
      }
      if (a.choice === "left" || a.choice === "right") {
        decisive++;
        if (a.choice === "left") left++;
      }
      const p = conformalP(it, o, labeler);
      if (p !== undefined) ps.push(p);
    }
    goldN += gn;
    goldK += gk;
    const rng = createRng(deriveSeed(opts.seed ?? 0, `anomaly:${labeler}`));
    const anomaly = sequentialFisher(ps, rng);
    labelers.push({
      labeler,
      votes: as.length,
      gold: { n: gn, agree: gk, rate: gn ? gk / gn : Number.NaN },
      position: {
        decisive,
        left,
        leftRate: decisive ? left / decisive : Number.NaN,
        pValue: decisive ? binomialTestPValue(left, decisive, 0.5) : 1,
      },
      anomaly: { n: ps.length, ...anomaly, flagged: anomaly.pValue < level },
    });
  }
  labelers.sort((a, b) => a.anomaly.pValue - b.anomaly.pValue);
  return {
    labelers,
    alpha: krippendorffAlphaNominal(units, 3),
    alphaUnits: units.length,
    goldAgreement: goldN ? goldK / goldN : Number.NaN,
  };
}
