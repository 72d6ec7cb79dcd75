/**
 * Python's spellings of values, where lm-eval's output files carry them: `str(x)` of responses and targets,
 * `repr` inside containers, and `json.dumps(doc, indent=2, ensure_ascii=False)` for the document hash. JavaScript
 * numbers do not remember whether they were floats, so an integral value prints as a Python int.
 */
import { pyFloatRepr } from "../tasks/pycompat/str.ts";

export { pyFloatRepr };

function pyNumber(x: number): string {
  return Number.isInteger(x) && !Object.is(x, -0) ? String(x) : pyFloatRepr(x);
}

/** Characters `str.isprintable()` rejects (other than the space), which `repr` escapes. */
const NON_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function escapeChar(ch: string): string {
  const cp = ch.codePointAt(0) as number;
  if (ch === "\\") return "\\\\";
  if (ch === "\n") return "\\n";
  if (ch === "\r") return "\\r";
  if (ch === "\t") return "\\t";
  if (cp === 0x20 || !NON_PRINTABLE.test(ch)) return ch;
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

function reprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = "";
  for (const ch of s) out += ch === quote ? `\\${quote}` : escapeChar(ch);
  return `${quote}${out}${quote}`;
}

/** `repr(v)` for JSON-like values. */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return "None";
  if (v === true) return "True";
  if (v === false) return "False";
  if (typeof v === "number") return pyNumber(v);
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return reprString(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object")
    return `{${Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${reprString(k)}: ${pyRepr(x)}`)
      .join(", ")}}`;
  return String(v);
}

/** `str(v)`: a string as itself, anything else as its repr. */
export function pyStr(v: unknown): string {
  return typeof v === "string" ? v : pyRepr(v);
}

function jsonString(s: string): string {
  // Python escapes the same characters as JSON.stringify (", \, and below U+0020); lone surrogates aside.
  return JSON.stringify(s);
}

/** `json.dumps(v, indent=indent, ensure_ascii=False)`. */
export function pyJsonDumps(v: unknown, indent = 2, depth = 0): string {
  if (v === null || v === undefined) return "null";
  if (v === true) return "true";
  if (v === false) return "false";
  if (typeof v === "number") {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "Infinity" : "-Infinity";
    return pyNumber(v);
  }
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "string") return jsonString(v);
  const pad = (d: number) => `\n${" ".repeat(indent * d)}`;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[${v.map((x) => `${pad(depth + 1)}${pyJsonDumps(x, indent, depth + 1)}`).join(",")}${pad(depth)}]`;
  }
  if (v instanceof Uint8Array) return jsonString(String(v));
  if (typeof v === "object") {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
    if (entries.length === 0) return "{}";
    return `{${entries
      .map(([k, x]) => `${pad(depth + 1)}${jsonString(k)}: ${pyJsonDumps(x, indent, depth + 1)}`)
      .join(",")}${pad(depth)}}`;
  }
  return jsonString(String(v));
}
