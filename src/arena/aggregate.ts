import { ModelmapError } from "../core/errors.ts";
import type { PairCounts, Vote } from "../core/votes.ts";
import type { PairTable } from "../stats/bradley-terry.ts";

/** Fields `--filter field=value` may name on row votes (and what stored votes support). */
export const FILTER_FIELDS = [
  "judge",
  "category",
  "language",
  "question_id",
  "prompt_id",
  "model",
  "turn",
  "anony",
] as const;

export function applyFilters(votes: Vote[], filters: Array<{ field: string; value: string }>): Vote[] {
  if (filters.length === 0) return votes;
  const tests = filters.map(({ field, value }) => {
    switch (field) {
      case "judge":
        return (v: Vote) => v.judge === value;
      case "category":
        return (v: Vote) => v.category === value;
      case "language":
        return (v: Vote) => v.language === value;
      case "question_id":
      case "prompt_id":
        return (v: Vote) => v.promptId === value;
      case "model":
        return (v: Vote) => v.modelA === value || v.modelB === value;
      case "turn":
        return (v: Vote) => v.turn === Number(value);
      case "anony":
        return (v: Vote) => v.anony === (value === "true" || value === "1");
      default:
        throw new ModelmapError("usage", `cannot filter votes on '${field}'`, {
          hint: `filterable fields: ${FILTER_FIELDS.join(", ")}`,
        });
    }
  });
  return votes.filter((v) => tests.every((t) => t(v)));
}

/** Aggregates row votes into per-pair counts; models are listed in sorted order, pairs with i < j. */
export function aggregateVotes(votes: Iterable<Vote>): PairCounts {
  const names = new Set<string>();
  const list: Vote[] = [];
  for (const v of votes) {
    names.add(v.modelA);
    names.add(v.modelB);
    list.push(v);
  }
  const models = [...names].sort();
  const index = new Map(models.map((m, i) => [m, i]));
  const cells = new Map<
    number,
    { i: number; j: number; winsI: number; winsJ: number; ties: number; tiesBothbad: number }
  >();
  const k = models.length;
  for (const v of list) {
    let a = index.get(v.modelA)!;
    let b = index.get(v.modelB)!;
    let w = v.winner;
    if (a > b) {
      [a, b] = [b, a];
      w = w === "model_a" ? "model_b" : w === "model_b" ? "model_a" : w;
    }
    const key = a * k + b;
    let c = cells.get(key);
    if (!c) {
      c = { i: a, j: b, winsI: 0, winsJ: 0, ties: 0, tiesBothbad: 0 };
      cells.set(key, c);
    }
    if (w === "model_a") c.winsI++;
    else if (w === "model_b") c.winsJ++;
    else if (w === "tie") c.ties++;
    else c.tiesBothbad++;
  }
  const pairs = [...cells.values()].sort((x, y) => x.i - y.i || x.j - y.j);
  return { models, pairs };
}

/** Merges several count sets (e.g. from several files) over the union of their models. */
export function mergeCounts(sets: PairCounts[]): PairCounts {
  if (sets.length === 1) return sets[0]!;
  const models = [...new Set(sets.flatMap((s) => s.models))].sort();
  const index = new Map(models.map((m, i) => [m, i]));
  const pairs: PairCounts["pairs"] = [];
  for (const s of sets) {
    for (const p of s.pairs) {
      const i = index.get(s.models[p.i]!)!;
      const j = index.get(s.models[p.j]!)!;
      pairs.push({ ...p, i, j });
    }
  }
  return { models, pairs };
}

/** Typed-array form for the statistics code; ties of both kinds count as ties. */
export function toPairTable(c: PairCounts): PairTable {
  const m = c.pairs.length;
  const t: PairTable = {
    k: c.models.length,
    i: new Int32Array(m),
    j: new Int32Array(m),
    winI: new Float64Array(m),
    winJ: new Float64Array(m),
    ties: new Float64Array(m),
  };
  c.pairs.forEach((p, r) => {
    t.i[r] = p.i;
    t.j[r] = p.j;
    t.winI[r] = p.winsI;
    t.winJ[r] = p.winsJ;
    t.ties[r] = p.ties + p.tiesBothbad;
  });
  return t;
}

export interface ModelTotals {
  battles: number;
  wins: number;
  losses: number;
  ties: number;
}

export function modelTotals(c: PairCounts): ModelTotals[] {
  const out = c.models.map(() => ({ battles: 0, wins: 0, losses: 0, ties: 0 }));
  for (const p of c.pairs) {
    const a = out[p.i]!;
    const b = out[p.j]!;
    const ties = p.ties + p.tiesBothbad;
    const n = p.winsI + p.winsJ + ties;
    a.battles += n;
    b.battles += n;
    a.wins += p.winsI;
    a.losses += p.winsJ;
    b.wins += p.winsJ;
    b.losses += p.winsI;
    a.ties += ties;
    b.ties += ties;
  }
  return out;
}
