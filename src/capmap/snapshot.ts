/**
 * An in-memory index of the map, rebuilt when the store's data version changes (after an import or a sync,
 * from this process or another). Search, the heatmap, profiles and leaderboards read it instead of scanning
 * tens of thousands of rows per request.
 */
import type { CapModel, MetricInfo } from "../store/capmap.ts";
import type { Store } from "../store/store.ts";

export interface LiteCell {
  modelId: string;
  category: string;
  estimate: number;
  lo: number;
  hi: number;
  n: number;
  evidence: number;
  sourcesJson: string;
  model: CapModel;
}

export interface Snapshot {
  version: string;
  models: Map<string, CapModel>;
  /** Cells per category, best first. */
  byCategory: Map<string, LiteCell[]>;
  /** Cells per model. */
  byModel: Map<string, LiteCell[]>;
  /** Models by mean estimate over their cells, best first. */
  ranking: Array<{ modelId: string; mean: number; categories: number }>;
  metrics: MetricInfo[];
  /** Lazily built per-view caches (leaderboards), dropped with the snapshot. */
  memo: Map<string, unknown>;
}

/** The snapshot of each store, by data version; a build in progress is shared by the requests that wait for it. */
const cache = new WeakMap<Store, { version: string; snap: Promise<Snapshot> }>();

export async function snapshot(store: Store): Promise<Snapshot> {
  const version = await store.capmap.version();
  const hit = cache.get(store);
  if (hit && hit.version === version) return hit.snap;
  const snap = build(store, version);
  cache.set(store, { version, snap });
  // A failed build is not kept: the next call tries again.
  snap.catch(() => {
    if (cache.get(store)?.snap === snap) cache.delete(store);
  });
  return snap;
}

async function build(store: Store, version: string): Promise<Snapshot> {
  const models = await store.capmap.allModels();
  const byCategory = new Map<string, LiteCell[]>();
  const byModel = new Map<string, LiteCell[]>();
  for (const [modelId, category, estimate, lo, hi, n, evidence, sourcesJson] of await store.capmap.allCells()) {
    const cell: LiteCell = {
      modelId,
      category,
      estimate,
      lo,
      hi,
      n,
      evidence,
      sourcesJson,
      model: models.get(modelId) ?? { id: modelId },
    };
    const c = byCategory.get(category);
    if (c) c.push(cell);
    else byCategory.set(category, [cell]);
    const m = byModel.get(modelId);
    if (m) m.push(cell);
    else byModel.set(modelId, [cell]);
  }
  for (const cells of byCategory.values()) {
    cells.sort((a, b) => b.estimate - a.estimate || (a.modelId < b.modelId ? -1 : 1));
  }
  const ranking = [...byModel].map(([modelId, cells]) => ({
    modelId,
    mean: cells.reduce((s, c) => s + c.estimate, 0) / cells.length,
    categories: cells.length,
  }));
  ranking.sort((a, b) => b.mean - a.mean || (a.modelId < b.modelId ? -1 : 1));
  return {
    version,
    models,
    byCategory,
    byModel,
    ranking,
    metrics: await store.capmap.metrics(),
    memo: new Map(),
  };
}

export interface ModelFilter {
  maxParams?: number | undefined;
  minParams?: number | undefined;
  license?: string | undefined;
  excludeFlagged?: boolean | undefined;
  excludeMerged?: boolean | undefined;
  q?: string | undefined;
}

/** A predicate over models for the filters shared by search, the map and the leaderboards. */
export function modelFilter(f: ModelFilter): (m: CapModel) => boolean {
  const lic = f.license?.trim().toLowerCase() || undefined;
  const q = f.q?.trim().toLowerCase() || undefined;
  return (m) => {
    if (f.maxParams !== undefined && !(m.paramsB !== undefined && m.paramsB <= f.maxParams)) return false;
    if (f.minParams !== undefined && !(m.paramsB !== undefined && m.paramsB >= f.minParams)) return false;
    if (lic !== undefined && (m.license ?? "").toLowerCase() !== lic) return false;
    if (f.excludeFlagged && m.flagged) return false;
    if (f.excludeMerged && m.merged) return false;
    if (q !== undefined && !m.id.toLowerCase().includes(q)) return false;
    return true;
  };
}
