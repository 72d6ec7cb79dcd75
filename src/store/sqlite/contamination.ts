import type { CheckKind, CheckRepo, CheckReportRecord } from "../contamination.ts";
import { type CheckRow, toCheckReport } from "../rows.ts";
import type { Sync } from "./async.ts";
import type { Db } from "./db.ts";

export class SqliteCheckRepo implements Sync<CheckRepo> {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  put(kind: CheckKind, modelId: string, task: string, report: unknown): void {
    this.#db
      .prepare(
        `INSERT INTO check_reports (kind, model_id, task, report_json) VALUES (?, ?, ?, ?)
         ON CONFLICT (kind, model_id, task) DO UPDATE SET report_json = excluded.report_json,
           created_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')`,
      )
      .run(kind, modelId, task, JSON.stringify(report));
  }

  get(kind: CheckKind, modelId: string, task: string): CheckReportRecord | undefined {
    const r = this.#db
      .prepare("SELECT * FROM check_reports WHERE kind = ? AND model_id = ? AND task = ?")
      .get(kind, modelId, task) as CheckRow | undefined;
    return r ? toCheckReport(r) : undefined;
  }

  list(kind: CheckKind, modelId?: string): CheckReportRecord[] {
    const rows = (
      modelId === undefined
        ? this.#db.prepare("SELECT * FROM check_reports WHERE kind = ? ORDER BY model_id, task").all(kind)
        : this.#db
            .prepare("SELECT * FROM check_reports WHERE kind = ? AND model_id = ? ORDER BY task")
            .all(kind, modelId)
    ) as CheckRow[];
    return rows.map(toCheckReport);
  }
}
