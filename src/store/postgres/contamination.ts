import type { CheckKind, CheckRepo, CheckReportRecord } from "../contamination.ts";
import { type CheckRow, toCheckReport } from "../rows.ts";
import type { PgDb } from "./db.ts";

export class PgCheckRepo implements CheckRepo {
  readonly #db: PgDb;

  constructor(db: PgDb) {
    this.#db = db;
  }

  async put(kind: CheckKind, modelId: string, task: string, report: unknown): Promise<void> {
    await this.#db.run(
      `INSERT INTO check_reports (kind, model_id, task, report_json) VALUES ($1, $2, $3, $4)
       ON CONFLICT (kind, model_id, task) DO UPDATE SET report_json = excluded.report_json, created_at = modelmap_now()`,
      [kind, modelId, task, JSON.stringify(report)],
    );
  }

  async get(kind: CheckKind, modelId: string, task: string): Promise<CheckReportRecord | undefined> {
    const r = await this.#db.one<CheckRow>(
      "SELECT * FROM check_reports WHERE kind = $1 AND model_id = $2 AND task = $3",
      [kind, modelId, task],
    );
    return r ? toCheckReport(r) : undefined;
  }

  async list(kind: CheckKind, modelId?: string): Promise<CheckReportRecord[]> {
    const rows =
      modelId === undefined
        ? await this.#db.query<CheckRow>("SELECT * FROM check_reports WHERE kind = $1 ORDER BY model_id, task", [kind])
        : await this.#db.query<CheckRow>(
            "SELECT * FROM check_reports WHERE kind = $1 AND model_id = $2 ORDER BY task",
            [kind, modelId],
          );
    return rows.map(toCheckReport);
  }
}
