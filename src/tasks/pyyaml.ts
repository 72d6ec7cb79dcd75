/**
 * YAML read the way lm-evaluation-harness reads it (PyYAML's SafeLoader plus a `!function` constructor), so that
 * a task file means the same thing here as there: YAML 1.1 scalars with PyYAML's own resolver (`yes`/`on` are
 * booleans but `y` is a string, `1e5` is a string but `1.0e+5` a float, `010` is octal), a duplicate key keeps
 * its last value (PyYAML does so silently; we warn), and `!function utils.fn` becomes a {@link FunctionRef}.
 * Integral floats (`temperature: 0.0`) are remembered by path so they can be written back as Python would.
 */
import { readFileSync } from "node:fs";
import {
  type Document,
  isMap,
  isNode,
  isScalar,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
  type ScalarTag,
  type Tags,
  visit,
} from "yaml";
import { ModelmapError } from "../core/errors.ts";

/** `!function MODULE.NAME` in a task file: a Python hook, resolved later against the native hook registry. */
export class FunctionRef {
  constructor(
    /** The tag's text, e.g. `utils.process_docs`. */
    readonly ref: string,
    /** The YAML file that holds the tag (the module is looked up next to it). */
    readonly file: string,
    readonly line: number,
  ) {}

  /** `utils` of `utils.process_docs` (dotted module paths are directories, as lm-eval resolves them). */
  get module(): string {
    const i = this.ref.lastIndexOf(".");
    return i < 0 ? "" : this.ref.slice(0, i);
  }

  get name(): string {
    return this.ref.slice(this.ref.lastIndexOf(".") + 1);
  }

  toJSON(): string {
    return `!function ${this.ref}`;
  }
}

export function isFunctionRef(v: unknown): v is FunctionRef {
  return v instanceof FunctionRef;
}

export interface PyYamlFile {
  file: string;
  doc: Document;
  lc: LineCounter;
  value: unknown;
  /** Paths (dot-joined keys, list indices as numbers) of integral floats such as `0.0`. */
  floats: Set<string>;
  warnings: Array<{ line: number; message: string }>;
}

// PyYAML's implicit resolvers (yaml/resolver.py), anchored on the whole scalar.
const PY_BOOL_TRUE = /^(?:yes|Yes|YES|true|True|TRUE|on|On|ON)$/;
const PY_BOOL_FALSE = /^(?:no|No|NO|false|False|FALSE|off|Off|OFF)$/;
const PY_NULL = /^(?:~|null|Null|NULL|)$/;
const PY_INT =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
// PyYAML 6 also resolves `[-+]?[0-9][0-9_]*[eE][-+][0-9]+`? No: only the forms above (a dot, or a leading dot).

function sexagesimal(str: string): number {
  let sign = 1;
  let s = str;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  let value = 0;
  let base = 1;
  for (const part of s.split(":").reverse()) {
    value += Number(part) * base;
    base *= 60;
  }
  return sign * value;
}

function pyInt(raw: string): number {
  const str = raw.replace(/_/g, "");
  let sign = 1;
  let s = str;
  if (s[0] === "-" || s[0] === "+") {
    if (s[0] === "-") sign = -1;
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s.startsWith("0b")) return sign * Number.parseInt(s.slice(2), 2);
  if (s.startsWith("0x")) return sign * Number.parseInt(s.slice(2), 16);
  if (s.startsWith("0")) return sign * Number.parseInt(s, 8);
  if (s.includes(":")) return sign * sexagesimal(s);
  return sign * Number(s);
}

/** Marks a resolved float so that integral ones (`1.0`) can be told from ints. */
class FloatScalar extends Scalar<number> {}

function pyFloat(raw: string): Scalar<number> {
  const str = raw.replace(/_/g, "").toLowerCase();
  let v: number;
  if (str.endsWith(".inf")) v = str.startsWith("-") ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  else if (str.endsWith(".nan")) v = Number.NaN;
  else if (str.includes(":")) v = sexagesimal(str);
  else v = Number(str.endsWith(".") ? str.slice(0, -1) : str);
  return new FloatScalar(v);
}

const SCALAR_TAGS: ScalarTag[] = [
  { tag: "tag:yaml.org,2002:null", default: true, test: PY_NULL, resolve: () => new Scalar(null) },
  { tag: "tag:yaml.org,2002:bool", default: true, test: PY_BOOL_TRUE, resolve: () => new Scalar(true) },
  { tag: "tag:yaml.org,2002:bool", default: true, test: PY_BOOL_FALSE, resolve: () => new Scalar(false) },
  { tag: "tag:yaml.org,2002:int", default: true, test: PY_INT, resolve: (s) => pyInt(s) },
  { tag: "tag:yaml.org,2002:float", default: true, test: PY_FLOAT, resolve: (s) => pyFloat(s) },
];

const RESOLVED = new Set(["tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"]);

function pythonTags(tags: Tags): Tags {
  const kept = tags.filter(
    (t) => typeof t === "object" && !(("test" in t && t.test) || RESOLVED.has(t.tag) || t.tag.endsWith(":float")),
  );
  const functionTag: ScalarTag = {
    tag: "!function",
    resolve: (s) => new Scalar(new FunctionRef(s, "", 0)),
  };
  return [...kept, ...SCALAR_TAGS, functionTag];
}

function pathKey(path: ReadonlyArray<unknown>): string {
  return path.map((p) => String(p)).join(".");
}

/** Keys of the node path leading to `node`, from the `visit` ancestry. */
function keysOf(ancestry: ReadonlyArray<unknown>, node: Node): Array<string | number> {
  const out: Array<string | number> = [];
  const chain = [...ancestry, node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isMap(parent)) continue;
    if (parent && typeof parent === "object" && "key" in parent && "value" in parent) {
      const key = (parent as { key: unknown }).key;
      if ((parent as { value: unknown }).value === child)
        out.push(isScalar(key) ? String(key.value) : String(key as string));
    } else if (parent && typeof parent === "object" && "items" in parent) {
      const items = (parent as { items: unknown[] }).items;
      const at = items.indexOf(child);
      if (at >= 0) out.push(at);
    }
  }
  return out;
}

/**
 * PyYAML accepts a quoted scalar whose continuation lines are indented no deeper than its key (lm-eval has such
 * files); the YAML spec and the `yaml` package do not. Continuation lines lose their leading white space when a
 * quoted scalar is folded, so indenting them changes nothing but the parse. Line numbers are kept.
 */
export function indentQuotedContinuations(text: string): string {
  const lines = text.split("\n");
  let quote: '"' | "'" | undefined;
  let minIndent = 0;
  for (let li = 0; li < lines.length; li++) {
    let line = lines[li] as string;
    let start = 0;
    if (quote !== undefined) {
      const indent = /^[ \t]*/.exec(line)?.[0].length ?? 0;
      if (indent < minIndent && line.trim() !== "") {
        line = " ".repeat(minIndent) + line.slice(indent);
        lines[li] = line;
      }
      start = minIndent;
    }
    for (let i = start; i < line.length; i++) {
      const c = line[i];
      if (quote === '"') {
        if (c === "\\") i++;
        else if (c === '"') quote = undefined;
      } else if (quote === "'") {
        if (c === "'" && line[i + 1] === "'") i++;
        else if (c === "'") quote = undefined;
      } else if (c === "#" && (i === 0 || /\s/.test(line[i - 1] as string))) break;
      else if (c === '"' || c === "'") {
        const before = line.slice(0, i).trimEnd();
        if (before === "" || /[:\-[{,]$/.test(before)) {
          quote = c;
          // Deeper than the key that holds the scalar (after any "- " of a list item).
          minIndent = (/^[ \t]*(?:- +)*/.exec(line)?.[0].length ?? 0) + 1;
        }
      }
    }
  }
  return lines.join("\n");
}

function parsePy(text: string, lc: LineCounter): Document {
  return parseDocument(text, {
    version: "1.1",
    uniqueKeys: false,
    merge: true,
    lineCounter: lc,
    prettyErrors: false,
    customTags: pythonTags,
  });
}

/** Reads one YAML file as PyYAML would. Throws a located `input` error on YAML PyYAML would also refuse. */
export function readPyYaml(file: string, text = readFileSync(file, "utf8")): PyYamlFile {
  let lc = new LineCounter();
  let doc = parsePy(text, lc);
  if (doc.errors.length > 0) {
    const fixed = indentQuotedContinuations(text);
    if (fixed !== text) {
      const lc2 = new LineCounter();
      const doc2 = parsePy(fixed, lc2);
      if (doc2.errors.length === 0) {
        doc = doc2;
        lc = lc2;
      }
    }
  }
  const err = doc.errors[0];
  if (err) {
    const line = lc.linePos(err.pos[0]).line;
    throw new ModelmapError("input", `invalid YAML: ${err.message.split("\n")[0]}`, { location: { file, line } });
  }
  const warnings: PyYamlFile["warnings"] = [];
  for (const w of doc.warnings)
    if (w.code !== "TAG_RESOLVE_FAILED")
      warnings.push({ line: lc.linePos(w.pos[0]).line, message: w.message.split("\n")[0] ?? "" });
  const floats = new Set<string>();
  visit(doc, {
    Map(_k, node) {
      const seen = new Map<unknown, number>();
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : pair.key;
        const line = isNode(pair.key) && pair.key.range ? lc.linePos(pair.key.range[0]).line : 0;
        const first = seen.get(k);
        if (first !== undefined)
          warnings.push({
            line,
            message: `duplicate key '${String(k)}' (first on line ${first}); the last value wins, as in PyYAML`,
          });
        else seen.set(k, line);
      }
    },
    Scalar(_k, node, ancestry) {
      if (node.value instanceof FunctionRef) {
        const line = node.range ? lc.linePos(node.range[0]).line : 0;
        node.value = new FunctionRef(node.value.ref, file, line);
      } else if (node instanceof FloatScalar && Number.isInteger(node.value)) {
        floats.add(pathKey(keysOf(ancestry, node)));
      }
    },
  });
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 1000 }) as unknown;
  } catch (e) {
    // The yaml package refuses alias bombs ("Excessive alias count") while building the value.
    throw new ModelmapError("input", `invalid YAML: ${(e as Error).message}`, { location: { file } });
  }
  return { file, doc, lc, value, floats, warnings };
}

/** Line of a key path in a parsed file (the deepest node found), for error messages. */
export function lineOf(p: PyYamlFile, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const keyPath = path.slice(0, n).filter((k): k is string | number => typeof k !== "symbol");
    const node = n === 0 ? p.doc.contents : p.doc.getIn(keyPath, true);
    if (isNode(node) && node.range) return p.lc.linePos(node.range[0]).line;
    if (n === path.length && n > 0) {
      // An unknown key: point at the key itself.
      const parent = n === 1 ? p.doc.contents : p.doc.getIn(keyPath.slice(0, -1), true);
      if (isMap(parent)) {
        const pair = parent.items.find((it) => isScalar(it.key) && it.key.value === keyPath[keyPath.length - 1]);
        if (pair && isNode(pair.key) && pair.key.range) return p.lc.linePos(pair.key.range[0]).line;
      }
    }
  }
  return undefined;
}
