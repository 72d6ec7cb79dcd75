import { ModelmapError } from "../core/errors.ts";

/** One parsed CSV record with the (1-based) line it starts on, for error messages. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. A BOM is dropped. An unterminated
 * quote is an input error naming the file and the line where the field began.
 */
export function parseCsv(text: string, file: string): CsvRecord[] {
  const out: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let fields: string[] = [];
  let field = "";
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let any = false;
  const end = text.length;
  while (i < end) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        continue;
      }
      if (ch === "\n") line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === "") {
      quoted = true;
      quoteLine = line;
      any = true;
      i++;
    } else if (ch === ",") {
      fields.push(field);
      field = "";
      any = true;
      i++;
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      i++;
      if (any || field !== "") {
        fields.push(field);
        out.push({ line: recordLine, fields });
      }
      fields = [];
      field = "";
      any = false;
      line++;
      recordLine = line;
    } else {
      field += ch;
      any = true;
      i++;
    }
  }
  if (quoted) throw new ModelmapError("input", "unterminated quoted field", { location: { file, line: quoteLine } });
  if (any || field !== "") {
    fields.push(field);
    out.push({ line: recordLine, fields });
  }
  return out;
}

/** A CSV table addressed by column name. */
export class CsvTable {
  readonly header: string[];
  readonly rows: CsvRecord[];
  readonly file: string;
  readonly #index: Map<string, number>;

  constructor(text: string, file: string) {
    const records = parseCsv(text, file);
    const head = records[0];
    if (!head)
      throw new ModelmapError("input", "empty CSV file: expected a header row", { location: { file, line: 1 } });
    this.header = head.fields.map((h) => h.trim());
    this.rows = records.slice(1);
    this.file = file;
    this.#index = new Map(this.header.map((h, i) => [h, i]));
  }

  has(col: string): boolean {
    return this.#index.has(col);
  }

  /** The first of `names` that is a column, if any. */
  pick(...names: string[]): string | undefined {
    return names.find((n) => this.#index.has(n));
  }

  get(row: CsvRecord, col: string): string | undefined {
    const i = this.#index.get(col);
    if (i === undefined) return undefined;
    const v = row.fields[i];
    return v === undefined ? undefined : v.trim();
  }

  requireColumns(cols: string[], what: string): void {
    const missing = cols.filter((c) => !this.#index.has(c));
    if (missing.length > 0) {
      throw new ModelmapError("input", `not ${what}: missing column(s) ${missing.join(", ")}`, {
        location: { file: this.file, line: 1 },
        hint: `expected columns: ${cols.join(", ")}`,
      });
    }
  }
}

/** A number cell: undefined when empty or NA; a string saying what is wrong when it is not a number. */
export function numberCell(v: string | undefined): number | undefined | string {
  if (v === undefined || v === "" || /^(na|nan|null|none|-)$/i.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : `expected a number, got '${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
}

export function boolCell(v: string | undefined): boolean | undefined {
  if (v === undefined || v === "") return undefined;
  const s = v.toLowerCase();
  if (s === "true" || s === "1" || s === "yes") return true;
  if (s === "false" || s === "0" || s === "no") return false;
  return undefined;
}
