/**
 * Whether a map cell can be trusted for a recommendation. A cell is demoted when a stored check of a task behind
 * it says its score may not measure the skill: a contamination check flagged the task (the model may have seen
 * the test items), or a prompt-sensitivity report found the score moving by more than `HIGH_SPREAD_POINTS`
 * with at least one prompt variant significantly different from the default (which prompt you pick decides the
 * score). Search, the map's ranking, "clear first" and the model verdicts read the demotions from here, so that
 * every view demotes the same cells for the same reasons.
 */
import { contaminationSummary } from "../contamination/summary.ts";
import { pText } from "../core/format.ts";
import { promptSpread } from "../sensitivity/service.ts";
import type { Store } from "../store/store.ts";

/** Stored checks of a model's task that feeds a cell: contamination verdicts and prompt spread. */
export interface CellChecks {
  contamination: Array<{ task: string; flagged: boolean; pValue: number | null; text: string }>;
  /** Prompt-sensitivity spread of the task's score (max - min over variants, the task's own unit). */
  spread: Array<{
    task: string;
    score: number;
    spread: number;
    variants: number;
    significant: number;
    text: string;
  }>;
}

/** A spread (in points of a 0-100 score) above which a significant prompt effect demotes the cell. */
export const HIGH_SPREAD_POINTS = 5;

/** A task's spread in points: scores in [0, 1] (accuracies) are scaled to 100. */
function spreadPoints(s: { score: number; spread: number }): number {
  return Number.isFinite(s.score) && Math.abs(s.score) <= 1 ? 100 * s.spread : s.spread;
}

/**
 * The checks of one model, per category: a stored check of task T lands in the category that the model's
 * own run of T was mapped to (checks of tasks without a run in the map stay on the model page only).
 */
export async function checksByCategory(store: Store, modelId: string): Promise<Map<string, CellChecks>> {
  const out = new Map<string, CellChecks>();
  const contamination = (await contaminationSummary(store, modelId)).filter((c) => !c.task.startsWith("canary:"));
  const spread = await promptSpread(store, modelId);
  if (contamination.length === 0 && spread.length === 0) return out;
  const categoryOf = new Map((await store.capmap.evidence({ modelId })).map((e) => [e.metric, e.category]));
  const slot = (task: string): CellChecks | undefined => {
    const cat = categoryOf.get(task);
    if (cat === undefined) return undefined;
    let c = out.get(cat);
    if (!c) {
      c = { contamination: [], spread: [] };
      out.set(cat, c);
    }
    return c;
  };
  for (const c of contamination)
    slot(c.task)?.contamination.push({ task: c.task, flagged: c.flagged, pValue: c.pValue, text: c.text });
  for (const s of spread)
    slot(s.task)?.spread.push({
      task: s.task,
      score: s.score,
      spread: s.spread,
      variants: s.variants,
      significant: s.significant,
      text: s.text,
    });
  return out;
}

/** Models with a stored check: only they can be demoted (most maps, imported tables, have none). */
async function checkedModels(store: Store): Promise<Set<string>> {
  const models = new Set<string>();
  for (const r of await store.checks.list("contamination")) models.add(r.modelId);
  for (const r of await store.checks.list("sensitivity")) models.add(r.modelId);
  return models;
}

/** Why a cell's score should not be recommended on; empty when nothing stored speaks against it. */
export function demotionReasons(ch: CellChecks | undefined): string[] {
  if (!ch) return [];
  const out: string[] = [];
  for (const c of ch.contamination)
    if (c.flagged)
      out.push(`contamination check flagged ${c.task} (${pText(c.pValue)}): the score may come from seen test items`);
  for (const s of ch.spread) {
    const pts = spreadPoints(s);
    if (s.significant > 0 && pts > HIGH_SPREAD_POINTS)
      out.push(
        `prompt sensitivity on ${s.task}: the score moves ${pts.toFixed(1)} points over ${s.variants} prompt variants (${s.significant} significantly): it depends on the prompt`,
      );
  }
  return out;
}

/**
 * Flagged tasks of every model (model id -> task -> reasons), for tables that show one column per task (the
 * benchmark leaderboard of modelmap's own runs): the same rule as the cells', before tasks are put in categories.
 */
export async function taskFlags(store: Store): Promise<Map<string, Map<string, string[]>>> {
  const out = new Map<string, Map<string, string[]>>();
  const models = await checkedModels(store);
  for (const m of models) {
    const byTask = new Map<string, CellChecks>();
    const slot = (task: string) => {
      let c = byTask.get(task);
      if (!c) {
        c = { contamination: [], spread: [] };
        byTask.set(task, c);
      }
      return c;
    };
    for (const c of await contaminationSummary(store, m))
      if (!c.task.startsWith("canary:"))
        slot(c.task).contamination.push({ task: c.task, flagged: c.flagged, pValue: c.pValue, text: c.text });
    for (const x of await promptSpread(store, m))
      slot(x.task).spread.push({
        task: x.task,
        score: x.score,
        spread: x.spread,
        variants: x.variants,
        significant: x.significant,
        text: x.text,
      });
    for (const [task, ch] of byTask) {
      const reasons = demotionReasons(ch);
      if (reasons.length === 0) continue;
      let t = out.get(m);
      if (!t) {
        t = new Map();
        out.set(m, t);
      }
      t.set(task, reasons);
    }
  }
  return out;
}

/** Demoted cells of every model: model id -> category -> reasons. Empty when no check flags anything. */
export type Demotions = Map<string, Map<string, string[]>>;

export async function demotions(store: Store): Promise<Demotions> {
  const out: Demotions = new Map();
  for (const m of await checkedModels(store)) {
    for (const [category, ch] of await checksByCategory(store, m)) {
      const reasons = demotionReasons(ch);
      if (reasons.length === 0) continue;
      let byCat = out.get(m);
      if (!byCat) {
        byCat = new Map();
        out.set(m, byCat);
      }
      byCat.set(category, reasons);
    }
  }
  return out;
}

export function demotedReasons(d: Demotions, modelId: string, category: string): string[] | undefined {
  return d.get(modelId)?.get(category);
}
