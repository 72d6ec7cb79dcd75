import { aggregateVotes, toPairTable } from "../arena/aggregate.ts";
import { createRng } from "../core/rng.ts";
import type { Vote } from "../core/votes.ts";
import { fitBradleyTerry } from "../stats/bradley-terry.ts";
import { krippendorffAlphaNominal } from "../stats/krippendorff.ts";
import { binomialTestPValue } from "../stats/proportion.ts";
import type { AssignmentRecord } from "../store/labeling.ts";
import type { Store } from "../store/store.ts";

/**
 * Labeler quality for one campaign: agreement with gold items, inter-annotator agreement (Krippendorff's
 * alpha over items labelled more than once), each labeler's position bias (share of decisive votes for
 * the left answer, with a two-sided binomial test against 1/2), and anomalous voters.
 *
 * Anomalous voters follow the idea of the Chatbot Arena paper (Chiang et al. 2024, sec. 5): a labeler whose
 * votes are unlikely under the ratings the crowd implies is suspicious. Here: Bradley-Terry is fit to all
 * ordinary votes; a labeler's decisive votes get their log-likelihood under it, and a p-value is the share
 * of seeded simulations of the same comparisons (outcomes drawn from the fit) whose log-likelihood is at
 * least as low. Labelers below alpha / (number of labelers) are flagged (Bonferroni).
 */
export interface LabelerQuality {
  labeler: string;
  votes: number;
  gold: { n: number; agree: number; rate: number };
  position: { decisive: number; left: number; leftRate: number; pValue: number };
  anomaly: { n: number; logLik: number; pValue: number; flagged: boolean };
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

export function campaignQuality(
  store: Store,
  campaignId: string,
  opts: { seed?: number; sims?: number; alpha?: number } = {},
): CampaignQuality {
  const items = new Map(store.labeling.items(campaignId).map((i) => [i.id, i]));
  const voted = store.labeling.votedAssignments(campaignId);
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

  const ordinary: Vote[] = [];
  for (const a of voted) {
    const it = items.get(a.itemId);
    if (!it || it.goldWinner !== null) continue;
    const o = outcome(a);
    ordinary.push({ modelA: it.modelA, modelB: it.modelB, winner: o === 0 ? "model_a" : o === 1 ? "model_b" : "tie" });
  }
  const counts = aggregateVotes(ordinary);
  const index = new Map(counts.models.map((m, i) => [m, i]));
  const theta =
    counts.models.length >= 2 ? fitBradleyTerry(toPairTable(counts), { ridge: 0.01 }).params : new Float64Array(0);
  const pWin = (a: string, b: string) => {
    const ia = index.get(a);
    const ib = index.get(b);
    if (ia === undefined || ib === undefined) return 0.5;
    return 1 / (1 + Math.exp((theta[ib] as number) - (theta[ia] as number)));
  };
  const rng = createRng(opts.seed ?? 0);
  const sims = opts.sims ?? 5000;
  const nLabelers = byLabeler.size;
  const alphaLevel = opts.alpha ?? 0.05;

  let goldN = 0;
  let goldK = 0;
  const labelers: LabelerQuality[] = [];
  for (const [labeler, as] of byLabeler) {
    let gn = 0;
    let gk = 0;
    let decisive = 0;
    let left = 0;
    const probs: number[] = [];
    let ll = 0;
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
        const p = pWin(it.modelA, it.modelB);
        probs.push(p);
        ll += Math.log(o === 0 ? p : 1 - p);
      }
    }
    goldN += gn;
    goldK += gk;
    let pValue = 1;
    if (probs.length > 0) {
      let low = 0;
      for (let s = 0; s < sims; s++) {
        let sl = 0;
        for (const p of probs) sl += Math.log(rng.next() < p ? p : 1 - p);
        if (sl <= ll) low++;
      }
      pValue = (low + 1) / (sims + 1);
    }
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
      anomaly: {
        n: probs.length,
        logLik: ll,
        pValue,
        flagged: probs.length >= 5 && pValue < alphaLevel / Math.max(1, nLabelers),
      },
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
