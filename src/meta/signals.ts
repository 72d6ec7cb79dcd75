import { AB_SOURCE } from "../ab/service.ts";
import { ModelmapError } from "../core/errors.ts";
import { PythonRandom } from "../core/python-random.ts";
import type { Rng } from "../core/rng.ts";
import type { ScoreInterval } from "../stats/meta-eval.ts";
import type { EvidenceKind } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";

/**
 * A signal is one metric of one source on the map (`open-llm-leaderboard-v2/ifeval`,
 * `arena-leaderboard/arena-elo`, `ab-tests/ab-bt:coding`): a score per model on the map's 0-100 scale with its
 * 95% interval.
 */
export interface SignalRef {
  /** `source/metric`. */
  name: string;
  source: string;
  metric: string;
  category: string;
  kind: EvidenceKind;
  models: number;
}

export async function listSignals(store: Store): Promise<SignalRef[]> {
  return (await store.capmap.metrics()).map((m) => ({
    name: `${m.source}/${m.metric}`,
    source: m.source,
    metric: m.metric,
    category: m.category,
    kind: m.kind,
    models: m.models,
  }));
}

/** Short names: `ab` for the A/B orderings, `arena` for Chatbot Arena ratings (tables and battle files). */
const SHORTHANDS: Record<string, (s: SignalRef) => boolean> = {
  ab: (s) => s.source === AB_SOURCE,
  arena: (s) => (s.source === "arena-leaderboard" ? s.metric === "arena-elo" : s.source.startsWith("arena-battles:")),
};

/**
 * Resolves what the user typed to signals, in this order: `source/metric` exactly, a source (all its metrics),
 * a metric name (that metric in every source), a shorthand (`ab`, `arena`). Unknown names are usage errors that
 * list the closest signals.
 */
export function resolveSignals(all: SignalRef[], specs: string[], what: string): SignalRef[] {
  const out: SignalRef[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    let hit = all.filter((s) => s.name === spec);
    if (hit.length === 0) hit = all.filter((s) => s.source === spec);
    if (hit.length === 0) hit = all.filter((s) => s.metric === spec);
    if (hit.length === 0 && SHORTHANDS[spec]) hit = all.filter(SHORTHANDS[spec]);
    if (hit.length === 0) {
      const near = all.filter((s) => s.name.toLowerCase().includes(spec.toLowerCase())).slice(0, 8);
      throw new ModelmapError("usage", `${what} '${spec}' is not on the map`, {
        hint: near.length
          ? `did you mean: ${near.map((s) => s.name).join(", ")}`
          : all.length
            ? "'modelmap meta --list' lists the signals (source/metric)"
            : "the map is empty: import results first ('modelmap import ...', 'modelmap ab import ...')",
      });
    }
    for (const h of hit) {
      if (seen.has(h.name)) continue;
      seen.add(h.name);
      out.push(h);
    }
  }
  return out;
}

/** A signal's scores per model on the map's scale. */
export async function signalValues(store: Store, s: SignalRef): Promise<Map<string, ScoreInterval>> {
  const out = new Map<string, ScoreInterval>();
  for (const e of await store.capmap.evidence({ source: s.source, metric: s.metric }))
    out.set(e.modelId, { estimate: e.scaled, lower: e.scaledLo, upper: e.scaledHi });
  return out;
}

/**
 * Python's `random.Random(seed)` behind the project's Rng interface: next() is `random()`, so a bootstrap or a
 * subset drawn here can be redrawn by an independent Python script (tools/meta_check.py) number for number.
 */
export function pythonRng(seed: number): Rng {
  const r = new PythonRandom(seed);
  let spare: number | undefined;
  return {
    next: () => r.random(),
    int: (n) => Math.floor(r.random() * n),
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      const u = 1 - r.random();
      const v = r.random();
      const m = Math.sqrt(-2 * Math.log(u));
      spare = m * Math.sin(2 * Math.PI * v);
      return m * Math.cos(2 * Math.PI * v);
    },
  };
}
