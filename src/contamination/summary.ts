/**
 * The hook for model cards and the map: per stored contamination report of a model, the verdict and the
 * evidence in one line. The capmap/card code calls this; it reads only stored reports, never a model.
 */
import type { Store } from "../store/store.ts";
import type { CanaryReport } from "./canary.ts";
import type { ContaminationReport } from "./service.ts";

export interface ContaminationSummary {
  task: string;
  flagged: boolean;
  pValue: number | null;
  minKpp: number | null;
  flaggedItems: number;
  text: string;
}

export async function contaminationSummary(store: Store, modelId: string): Promise<ContaminationSummary[]> {
  return (await store.checks.list("contamination", modelId)).map((rec) => {
    if (rec.task.startsWith("canary:")) {
      const c = rec.report as CanaryReport;
      return {
        task: rec.task,
        flagged: c.flagged,
        pValue: c.pValue,
        minKpp: null,
        flaggedItems: 0,
        text: `${c.flagged ? "canary of" : "no sign of"} prompt set '${c.set}'${c.flagged ? " reproduced" : ""} (p=${c.pValue.toFixed(3)})`,
      };
    }
    const r = rec.report as ContaminationReport;
    const p = r.exchangeability.pValue;
    return {
      task: rec.task,
      flagged: r.flagged,
      pValue: Number.isFinite(p) ? p : null,
      minKpp: r.methods.min_k_plus_plus?.score ?? null,
      flaggedItems: r.flaggedItems.length,
      text: `${r.flagged ? "possible contamination" : "no contamination found"} (exchangeability p=${Number.isFinite(p) ? p.toPrecision(2) : "-"}${r.flaggedItems.length ? `, ${r.flaggedItems.length} items overlap the corpus` : ""})`,
    };
  });
}
