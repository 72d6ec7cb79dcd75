/**
 * Reads task datasets: JSONL, JSON, CSV, Parquet and fixed-size line records, optionally bz2/gzip compressed.
 * The evaluated split is streamed (an uncompressed JSONL file of any size is read line by line) so that a run's
 * memory does not grow with the dataset; few-shot pools are small and read whole.
 */
import { createReadStream, existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { decodeUtf8, firstInvalidUtf8, readUserBytes, statUserFile } from "../core/files.ts";
import { bunzipBlocks } from "./bzip2.ts";
import { evaluateExpression } from "./jinja.ts";
import type { PyCallable } from "./jinja-values.ts";
import { pyTruthy } from "./py-values.ts";
import { pyLiteralEval } from "./pycompat/literal.ts";
import type { DataFileSpec } from "./schema.ts";

export type Doc = Record<string, unknown>;
const DocSchema = z.record(z.string(), z.unknown());

export interface ResolvedFile {
  spec: DataFileSpec;
  /** Absolute path. */
  file: string;
  /** Variables the file's `map`/`columns` expressions may use besides the row's fields (e.g. `dataset_name`). */
  vars?: Record<string, unknown>;
  /** How to get the file when it is missing (from the dataset map). */
  hint?: string;
}

/** Parquet int64 columns arrive as bigint: documents hold JSON-like values. */
function normalize(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(normalize);
  if (v instanceof Uint8Array || v instanceof Date) return v;
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalize(x);
    return out;
  }
  return v;
}

/** Absolute path of a data file: absolute as given, `./`/`../` relative to the YAML, else under the data dir. */
export function resolveDataPath(p: string, base: { dataDir: string; yamlDir: string; datasetPath?: string }): string {
  if (isAbsolute(p)) return p;
  const dir = base.datasetPath ?? "";
  if (dir.startsWith("./") || dir.startsWith("../") || (dir === "" && (p.startsWith("./") || p.startsWith("../"))))
    return resolve(base.yamlDir, dir, p);
  return resolve(base.dataDir, dir, p);
}

export function missingDataError(
  file: string,
  task: string,
  url: string | undefined,
  /** How to get this dataset, where the dataset map says (GPQA: a password-protected zip). */
  how?: string,
): ModelmapError {
  return new ModelmapError("not_found", `task '${task}': dataset file not found: ${file}`, {
    hint:
      how ??
      `${url ? `download it from ${url} and ` : ""}put it there, or point --data-dir (config key data_dir) at the directory that holds it`,
  });
}

function formatOf(spec: DataFileSpec, file: string): NonNullable<DataFileSpec["format"]> {
  if (spec.format) return spec.format;
  const name = file.replace(/\.(bz2|gz)$/, "").toLowerCase();
  if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) return "jsonl";
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".csv")) return "csv";
  if (name.endsWith(".parquet")) return "parquet";
  if (name.endsWith(".txt")) return "lines";
  throw new ModelmapError("input", `${file}: cannot tell the data format from the name; set 'format'`);
}

/**
 * The last compressed file read: a run reads its evaluated split twice (count, then stream), so its blocks are
 * kept as decoded. A .bz2 file is decoded block by block as far as readers go (see bzip2.ts): `--limit 1` on a
 * 2 MB file decodes one block, not the whole file.
 */
let lastDecoded:
  | { file: string; mtimeMs: number; size: number; blocks: Buffer[]; rest: Iterator<Buffer> | undefined }
  | undefined;

function decoded(file: string): NonNullable<typeof lastDecoded> {
  const st = statUserFile(file, "dataset file");
  if (lastDecoded && lastDecoded.file === file && lastDecoded.mtimeMs === st.mtimeMs && lastDecoded.size === st.size)
    return lastDecoded;
  const raw = readUserBytes(file, "dataset file");
  lastDecoded = file.endsWith(".bz2")
    ? { file, mtimeMs: st.mtimeMs, size: st.size, blocks: [], rest: bunzipBlocks(raw) }
    : { file, mtimeMs: st.mtimeMs, size: st.size, blocks: [gunzipSync(raw)], rest: undefined };
  return lastDecoded;
}

/** The decoded blocks of a compressed file, decoding further only as far as the caller iterates. */
function* decodedBlocks(file: string): Generator<Buffer> {
  const d = decoded(file);
  for (let i = 0; ; i++) {
    const have = d.blocks[i];
    if (have) {
      yield have;
      continue;
    }
    const next = d.rest?.next();
    if (!next || next.done) {
      d.rest = undefined;
      return;
    }
    d.blocks.push(next.value);
    yield next.value;
  }
}

function readBytes(file: string): Buffer {
  const compressed = file.endsWith(".bz2") || file.endsWith(".gz");
  if (!compressed) return readUserBytes(file, "dataset file");
  return Buffer.concat([...decodedBlocks(file)]);
}

/** A whole data file as text: UTF-8 only (a Latin-1 file used to be read as U+FFFD silently). */
function readText(file: string): string {
  return decodeUtf8(readBytes(file), file, "dataset file");
}

const lineDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** One line's bytes as text; an invalid UTF-8 sequence is an error naming the file and line. */
function decodeLine(bytes: Uint8Array, file: string, line: number): string {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0d) end--;
  try {
    const text = lineDecoder.decode(bytes.subarray(0, end));
    return line === 1 ? text.replace(/^\uFEFF/, "") : text;
  } catch {
    throw decodeUtf8Error(bytes.subarray(0, end), file, line);
  }
}

function decodeUtf8Error(bytes: Uint8Array, file: string, line: number): ModelmapError {
  const at = firstInvalidUtf8(bytes);
  return new ModelmapError("input", `dataset file is not UTF-8 text (invalid byte at column ${at + 1})`, {
    location: { file, line },
    hint: "save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)",
  });
}

/**
 * The lines of a data file. Bytes are split at newlines and each line is decoded strictly (readline's utf8 stream
 * replaced invalid bytes silently): an invalid UTF-8 sequence is an error naming the file and line. A compressed
 * file's blocks are read as far as the caller goes (a block can end inside a line or a character: the bytes carry
 * over to the next block).
 */
async function* textLines(file: string): AsyncGenerator<string> {
  const compressed = file.endsWith(".bz2") || file.endsWith(".gz");
  if (!compressed && statUserFile(file, "dataset file").size === 0) return;
  const blocks: AsyncIterable<Buffer> | Iterable<Buffer> = compressed
    ? decodedBlocks(file)
    : (createReadStream(file) as AsyncIterable<Buffer>);
  let carry: Buffer = Buffer.alloc(0);
  let line = 0;
  for await (const chunk of blocks) {
    const buf: Buffer = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(10, start); nl >= 0; nl = buf.indexOf(10, start)) {
      line++;
      yield decodeLine(buf.subarray(start, nl), file, line);
      start = nl + 1;
    }
    carry = buf.subarray(start);
  }
  if (carry.length > 0) yield decodeLine(carry, file, line + 1);
}

function asDoc(v: unknown, file: string, line: number): Doc {
  const r = DocSchema.safeParse(v);
  if (!r.success) throw new ModelmapError("input", "expected a JSON object per document", { location: { file, line } });
  return r.data;
}

async function* jsonl(file: string): AsyncGenerator<Doc> {
  let n = 0;
  for await (const line of textLines(file)) {
    n++;
    if (line.trim() === "") continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, { location: { file, line: n } });
    }
    yield asDoc(v, file, n);
  }
}

function* json(file: string, spec: DataFileSpec): Generator<Doc> {
  const text = readText(file);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // Many ".json" benchmark files are JSON Lines; accept them.
    const lines = text.split("\n");
    if (lines.filter((l) => l.trim() !== "").length > 1) {
      for (const [i, l] of lines.entries()) {
        if (l.trim() === "") continue;
        try {
          yield asDoc(JSON.parse(l), file, i + 1);
        } catch (e2) {
          if (e2 instanceof ModelmapError) throw e2;
          throw new ModelmapError("input", `invalid JSON: ${(e2 as Error).message}`, {
            location: { file, line: i + 1 },
          });
        }
      }
      return;
    }
    throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, { location: { file } });
  }
  if (spec.field !== undefined) {
    const obj = asDoc(v, file, 1);
    v = obj[spec.field];
    if (v === undefined)
      throw new ModelmapError("input", `no key '${spec.field}' at the top level`, {
        location: { file, field: spec.field },
      });
  }
  if (!Array.isArray(v))
    throw new ModelmapError("input", "expected an array of documents (set 'field' to the key that holds it)", {
      location: { file },
    });
  for (const [i, d] of v.entries()) yield asDoc(d, file, i + 1);
}

/** RFC 4180 CSV: quoted fields, doubled quotes, newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"' && field === "") quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** pandas' default `na_values` (`pandas._libs.parsers.STR_NA_VALUES`). */
const PANDAS_NA = [
  "",
  "#N/A",
  "#N/A N/A",
  "#NA",
  "-1.#IND",
  "-1.#QNAN",
  "-NaN",
  "-nan",
  "1.#IND",
  "1.#QNAN",
  "<NA>",
  "N/A",
  "NA",
  "NULL",
  "NaN",
  "None",
  "n/a",
  "nan",
  "null",
];

function* csv(file: string, spec: DataFileSpec): Generator<Doc> {
  const na =
    spec.na_values === undefined ? undefined : new Set(spec.na_values === "pandas" ? PANDAS_NA : spec.na_values);
  const rows = parseCsv(readText(file).replace(/^\uFEFF/, ""));
  const header = spec.column_names ?? rows.shift();
  const offset = spec.column_names ? 1 : 2;
  if (!header) return;
  for (const [i, r] of rows.entries()) {
    if (r.length === 1 && r[0] === "") continue;
    if (r.length !== header.length)
      throw new ModelmapError("input", `expected ${header.length} columns (${header.join(", ")}), got ${r.length}`, {
        location: { file, line: i + offset },
      });
    const d: Doc = {};
    header.forEach((h, j) => {
      const v = r[j];
      d[h] = na !== undefined && v !== undefined && na.has(v) ? null : v;
    });
    yield d;
  }
}

async function* parquet(file: string): AsyncGenerator<Doc> {
  const buf = readBytes(file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
  // Imported here: 27 modules that every other format (and every eval start) would load for nothing.
  const { parquetReadObjects } = await import("hyparquet");
  const rows = await parquetReadObjects({ file: ab });
  for (const [i, r] of rows.entries()) yield asDoc(r, file, i + 1);
}

async function* lines(file: string, spec: DataFileSpec): AsyncGenerator<Doc> {
  const names = spec.column_names;
  if (!names || names.length === 0)
    throw new ModelmapError("input", "format 'lines' needs column_names (one per line of a record)", {
      location: { file, field: "column_names" },
    });
  let cur: Doc = {};
  let k = 0;
  for await (const line of textLines(file)) {
    if (k === 0 && line === "") continue;
    cur[names[k] as string] = line;
    k++;
    if (k === names.length) {
      yield cur;
      cur = {};
      k = 0;
    }
  }
}

function rawDocs(file: string, spec: DataFileSpec): AsyncIterable<Doc> | Iterable<Doc> {
  switch (formatOf(spec, file)) {
    case "jsonl":
      return jsonl(file);
    case "json":
      return json(file, spec);
    case "csv":
      return csv(file, spec);
    case "parquet":
      return parquet(file);
    case "lines":
      return lines(file, spec);
  }
}

/** Functions a data file's `map`, `columns` and `where` expressions may call besides Jinja's own. */
const DATA_FUNCTIONS: Record<string, PyCallable> = {
  /** Python's `ast.literal_eval` (MuSR stores its choices as the text of a Python list). */
  literal_eval: (a) => {
    const v = a[0];
    if (typeof v !== "string") return v;
    return pyLiteralEval(v);
  },
};

/** `unnest`: one row per element of the record's list field, the element's fields over the record's others. */
function unnestRows(rec: Doc, field: string, file: string, n: number): Doc[] {
  const list = rec[field];
  if (!Array.isArray(list))
    throw new ModelmapError("input", `'${field}' is not a list (the file's 'unnest' names it)`, {
      location: { file, line: n, field },
    });
  const parent: Doc = { ...rec };
  delete parent[field];
  return list.map((el) => ({ ...parent, ...asDoc(el, file, n) }));
}

/** Streams the documents of one file, with its labels file and computed fields applied. */
export async function* readDocs(
  rf: ResolvedFile,
  task: string,
  url?: string,
  opts: { raw?: boolean } = {},
): AsyncGenerator<Doc> {
  const { file, spec } = rf;
  if (!existsSync(file)) throw missingDataError(file, task, url, rf.hint);
  const reshaped = spec.unnest !== undefined || spec.where !== undefined;
  if (opts.raw && !reshaped) {
    // Counting: documents as stored, without labels or computed fields.
    yield* rawDocs(file, spec);
    return;
  }
  let labels: string[] | undefined;
  if (spec.labels_file !== undefined) {
    const lf = isAbsolute(spec.labels_file) ? spec.labels_file : join(file, "..", spec.labels_file);
    if (!existsSync(lf)) throw missingDataError(lf, task, url, rf.hint);
    labels = decodeUtf8(readBytes(lf), lf, "labels file").split(/\r?\n/);
  }
  const map = Object.entries(spec.map ?? {});
  const columns = spec.columns ? Object.entries(spec.columns) : undefined;
  const isParquet = formatOf(spec, file) === "parquet";
  let record = 0;
  let i = 0;
  for await (const raw of rawDocs(file, spec)) {
    const d0 = isParquet ? (normalize(raw) as Doc) : raw;
    if (labels) {
      const l = labels[record];
      if (l === undefined || l === "")
        throw new ModelmapError("input", `labels file has no line ${record + 1} for document ${record + 1}`, {
          location: { file: spec.labels_file ?? "", line: record + 1 },
        });
      d0[spec.labels_field ?? "label"] = l.trim();
    }
    record++;
    const rows = spec.unnest !== undefined ? unnestRows(d0, spec.unnest, file, record) : [d0];
    for (let d of rows) {
      if (spec.where !== undefined) {
        const keep = evaluateExpression(spec.where, { ...DATA_FUNCTIONS, ...rf.vars, ...d }, `${file}: where`);
        if (!pyTruthy(keep)) continue;
      }
      if (map.length > 0 || columns) {
        const ctx: Doc = { ...DATA_FUNCTIONS, ...rf.vars, _index: i, ...d };
        for (const [k, expr] of map) {
          d[k] = evaluateExpression(expr, ctx, `${file}: map.${k}`);
          ctx[k] = d[k];
        }
        if (columns) {
          const out: Doc = {};
          for (const [k, expr] of columns) out[k] = evaluateExpression(expr, ctx, `${file}: columns.${k}`);
          d = out;
        }
      }
      i++;
      yield d;
    }
  }
}

/** Reads a whole split (few-shot pools). */
export async function readAll(files: ResolvedFile[], task: string, url?: string): Promise<Doc[]> {
  const out: Doc[] = [];
  for (const f of files) for await (const d of readDocs(f, task, url)) out.push(d);
  return out;
}
