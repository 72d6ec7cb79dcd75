/**
 * Storage contract for contamination checks and prompt-sensitivity reports (src/contamination,
 * src/sensitivity). A report is one JSON document per (model, task, kind); a newer report replaces the older one
 * so cards and the map always show the latest, and the per-item flags live inside the report.
 */

export type CheckKind = "contamination" | "sensitivity";

export interface CheckReportRecord {
  kind: CheckKind;
  modelId: string;
  task: string;
  /** The report as the service produced it (JSON-able). */
  report: unknown;
  createdAt: string;
}

export interface CheckRepo {
  /** Stores (replaces) the report of this kind for this model and task, in one transaction. */
  put(kind: CheckKind, modelId: string, task: string, report: unknown): Promise<void>;
  get(kind: CheckKind, modelId: string, task: string): Promise<CheckReportRecord | undefined>;
  /** All reports of a kind, optionally for one model. */
  list(kind: CheckKind, modelId?: string): Promise<CheckReportRecord[]>;
}
