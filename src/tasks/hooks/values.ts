/**
 * Python value semantics the hook ports need: `int(x)`, typed field access that fails like Python would (with the
 * hook and field named), and Hugging Face `Dataset.map` merging (`{**row, **fn(row)}`).
 */
import { ModelmapError } from "../../core/errors.ts";
import { pyStrip } from "../pycompat/str.ts";
import type { Doc } from "./types.ts";

export function hookError(hook: string, msg: string): ModelmapError {
  return new ModelmapError("input", `hook ${hook}: ${msg}`);
}

export function field(doc: Doc, key: string, hook: string): unknown {
  if (!Object.hasOwn(doc, key)) throw hookError(hook, `the document has no field '${key}' (KeyError in Python)`);
  return doc[key];
}

export function strField(doc: Doc, key: string, hook: string): string {
  const v = field(doc, key, hook);
  if (typeof v !== "string") throw hookError(hook, `field '${key}' is ${JSON.stringify(v)}, not a string`);
  return v;
}

export function listField(doc: Doc, key: string, hook: string): unknown[] {
  const v = field(doc, key, hook);
  if (!Array.isArray(v)) throw hookError(hook, `field '${key}' is ${JSON.stringify(v)}, not a list`);
  return v;
}

/** Python's `int(x)` for the values datasets hold (ints, floats, bools, decimal strings). */
export function pyInt(v: unknown, hook: string): number {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw hookError(hook, `int() of ${v}`);
    return Math.trunc(v);
  }
  if (typeof v === "string") {
    const t = pyStrip(v);
    if (/^[+-]?[0-9]+(?:_[0-9]+)*$/.test(t)) return Number.parseInt(t.replace(/_/g, ""), 10);
    if (/\p{Nd}/u.test(t) && /^[+-]?[\p{Nd}_]+$/u.test(t)) {
      throw hookError(hook, `int() of non-ASCII digits ${JSON.stringify(v)} is not supported`);
    }
    throw hookError(hook, `invalid literal for int() with base 10: ${JSON.stringify(v)}`);
  }
  throw hookError(hook, `int() argument must be a string or a number, not ${JSON.stringify(v)}`);
}

/** Hugging Face `Dataset.map(fn)`: each row updated with the columns `fn` returns (new columns appended). */
export function hfMap(docs: Doc[], fn: (doc: Doc) => Doc): Doc[] {
  return docs.map((d) => ({ ...d, ...fn(d) }));
}
