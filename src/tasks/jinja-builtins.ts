/**
 * The Python side of task templates: attribute lookup (Jinja's `getattr` then item), the `str`/`list`/`dict`
 * methods templates call, Jinja's built-in filters and tests, its globals (`range`, `namespace`, `dict`), and
 * lm-eval's `regex_replace` filter.
 */
import { compileRegex } from "./filters.ts";
import { contains, defined, fail, JinjaError, type PyCallable, percentFormat, slice, Undef } from "./jinja-values.ts";
import {
  chars,
  isDict,
  isFloat,
  isNumber,
  num,
  PyFloat,
  PyNamespace,
  PyTuple,
  pyEq,
  pyIndex,
  pyJsonDumps,
  pyLen,
  pyLess,
  pyStr,
  pyTruthy,
  toFloat,
  typeName,
} from "./py-values.ts";

/** The characters Python's `str.isspace()`, `strip()` and `split()` treat as white space. */
const WS = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const WS_RUN = new RegExp(`[${WS}]+`);
const LEAD_WS = new RegExp(`^[${WS}]+`);
const TRAIL_WS = new RegExp(`[${WS}]+$`);

function escapeClass(s: string): string {
  return s.replace(/[\\\]^-]/g, "\\$&");
}

export function pyStrip(s: string, which: "both" | "left" | "right", charsArg?: unknown): string {
  if (charsArg === undefined || charsArg === null) {
    let out = s;
    if (which !== "right") out = out.replace(LEAD_WS, "");
    if (which !== "left") out = out.replace(TRAIL_WS, "");
    return out;
  }
  if (typeof charsArg !== "string") fail("strip arg must be None or str");
  if (charsArg === "") return s;
  const cls = `[${escapeClass(charsArg)}]+`;
  let out = s;
  if (which !== "right") out = out.replace(new RegExp(`^${cls}`, "u"), "");
  if (which !== "left") out = out.replace(new RegExp(`${cls}$`, "u"), "");
  return out;
}

export function pySplit(s: string, sep?: unknown, maxsplit = -1): string[] {
  if (sep === undefined || sep === null) {
    const out: string[] = [];
    let rest = s.replace(LEAD_WS, "");
    while (rest !== "") {
      if (maxsplit >= 0 && out.length >= maxsplit) {
        out.push(rest);
        break;
      }
      const m = WS_RUN.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  }
  if (typeof sep !== "string") fail("must be str or None");
  if (sep === "") fail("empty separator");
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

function pyRsplit(s: string, sep?: unknown, maxsplit = -1): string[] {
  if (maxsplit < 0) return pySplit(s, sep);
  if (sep === undefined || sep === null) {
    const words = pySplit(s);
    if (words.length <= maxsplit + 1) return words;
    // Keep the leading part as it is (inner white space preserved).
    let rest = s.replace(TRAIL_WS, "");
    const tail: string[] = [];
    for (let i = 0; i < maxsplit; i++) {
      const m = new RegExp(`[${WS}]+([^${WS}]*)$`).exec(rest);
      if (!m) break;
      tail.unshift(m[1] as string);
      rest = rest.slice(0, m.index);
    }
    return [rest.replace(LEAD_WS, ""), ...tail];
  }
  if (typeof sep !== "string" || sep === "") fail("empty separator");
  const parts = s.split(sep);
  if (parts.length <= maxsplit + 1) return parts;
  const cut = parts.length - maxsplit;
  return [parts.slice(0, cut).join(sep), ...parts.slice(cut)];
}

function capitalize(s: string): string {
  const cs = chars(s);
  if (cs.length === 0) return s;
  return (cs[0] as string).toUpperCase() + cs.slice(1).join("").toLowerCase();
}

/** Python's `str.title()`: a letter after a non-letter starts a word. */
function pyTitle(s: string): string {
  let out = "";
  let prevCased = false;
  for (const ch of s) {
    const isLetter = ch.toLowerCase() !== ch.toUpperCase();
    out += isLetter ? (prevCased ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    prevCased = isLetter;
  }
  return out;
}

/** Jinja's `title` filter: words start after white space or `-([{<`. */
function jinjaTitle(s: string): string {
  return s
    .split(/([-\s({[<]+)/u)
    .filter((x) => x !== "")
    .map((w) => {
      const cs = chars(w);
      return (cs[0] as string).toUpperCase() + cs.slice(1).join("").toLowerCase();
    })
    .join("");
}

function findIndex(hay: unknown[] | string, needle: unknown, start?: unknown, end?: unknown): number {
  if (typeof hay === "string") {
    if (typeof needle !== "string") fail(`must be str, not ${typeName(needle)}`);
    const cs = chars(hay);
    const from = start === undefined || start === null ? 0 : norm(num(start), cs.length);
    const to = end === undefined || end === null ? cs.length : norm(num(end), cs.length);
    const sub = cs.slice(from, to).join("");
    const at = sub.indexOf(needle);
    return at < 0 ? -1 : from + chars(sub.slice(0, at)).length;
  }
  for (let i = 0; i < hay.length; i++) if (pyEq(hay[i], needle)) return i;
  return -1;
}

function norm(i: number, len: number): number {
  return Math.min(Math.max(i < 0 ? i + len : i, 0), len);
}

function strFormat(fmt: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return fmt.replace(/\{\{|\}\}|\{([^{}!:]*)(?:![rs])?(?::([^{}]*))?\}/g, (m, field: string | undefined, spec) => {
    if (m === "{{") return "{";
    if (m === "}}") return "}";
    const f = field ?? "";
    const [head, ...rest] = f.split(".");
    let v: unknown = head === "" ? args[auto++] : /^\d+$/.test(head ?? "") ? args[Number(head)] : kwargs[head ?? ""];
    for (const r of rest) v = getAttr(v, r);
    if (spec) {
      const fm = /^(\.(\d+)f|d|s)$/.exec(spec as string);
      if (fm?.[2] !== undefined) return num(v).toFixed(Number(fm[2]));
    }
    return pyStr(defined(v));
  });
}

const STR_METHODS: Record<string, (s: string, a: unknown[], kw: Record<string, unknown>) => unknown> = {
  strip: (s, a) => pyStrip(s, "both", a[0]),
  lstrip: (s, a) => pyStrip(s, "left", a[0]),
  rstrip: (s, a) => pyStrip(s, "right", a[0]),
  split: (s, a, kw) => pySplit(s, a[0] ?? kw.sep, num(a[1] ?? kw.maxsplit ?? -1)),
  rsplit: (s, a, kw) => pyRsplit(s, a[0] ?? kw.sep, num(a[1] ?? kw.maxsplit ?? -1)),
  splitlines: (s, a) => {
    const keep = pyTruthy(a[0]);
    const parts = s.split(/(\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029])/);
    const out: string[] = [];
    for (let i = 0; i < parts.length; i += 2) {
      const line = parts[i] as string;
      const brk = parts[i + 1];
      if (brk === undefined && line === "") break;
      out.push(keep && brk !== undefined ? line + brk : line);
    }
    return out;
  },
  replace: (s, a) => {
    const [old, neu, count] = a as [string, string, number | undefined];
    if (count === undefined || count < 0) return s.split(old).join(neu);
    let out = s;
    let from = 0;
    for (let i = 0; i < count; i++) {
      const at = out.indexOf(old, from);
      if (at < 0) break;
      out = out.slice(0, at) + neu + out.slice(at + old.length);
      from = at + neu.length + (old === "" ? 1 : 0);
    }
    return out;
  },
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  casefold: (s) => s.toLowerCase(),
  swapcase: (s) =>
    Array.from(s)
      .map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()))
      .join(""),
  capitalize: (s) => capitalize(s),
  title: (s) => pyTitle(s),
  startswith: (s, a) => {
    const pre = a[0];
    const sub = a[1] === undefined ? s : (slice(s, a[1], a[2], undefined) as string);
    return Array.isArray(pre) ? pre.some((p) => sub.startsWith(String(p))) : sub.startsWith(String(pre));
  },
  endswith: (s, a) => {
    const suf = a[0];
    const sub = a[1] === undefined ? s : (slice(s, a[1], a[2], undefined) as string);
    return Array.isArray(suf) ? suf.some((p) => sub.endsWith(String(p))) : sub.endsWith(String(suf));
  },
  find: (s, a) => findIndex(s, a[0], a[1], a[2]),
  index: (s, a) => {
    const i = findIndex(s, a[0], a[1], a[2]);
    if (i < 0) fail("substring not found");
    return i;
  },
  rfind: (s, a) => {
    const at = s.lastIndexOf(String(a[0]));
    return at < 0 ? -1 : chars(s.slice(0, at)).length;
  },
  rindex: (s, a) => {
    const at = s.lastIndexOf(String(a[0]));
    if (at < 0) fail("substring not found");
    return chars(s.slice(0, at)).length;
  },
  count: (s, a) => {
    const sub = String(a[0]);
    if (sub === "") return chars(s).length + 1;
    return s.split(sub).length - 1;
  },
  join: (s, a) =>
    iterate(a[0])
      .map((x) => (typeof x === "string" ? x : fail(`expected str instance, ${typeName(x)} found`)))
      .join(s),
  format: (s, a, kw) => strFormat(s, a, kw),
  isdigit: (s) => s !== "" && /^\p{Nd}+$/u.test(s),
  isdecimal: (s) => s !== "" && /^\p{Nd}+$/u.test(s),
  isnumeric: (s) => s !== "" && /^\p{N}+$/u.test(s),
  isalpha: (s) => s !== "" && /^\p{L}+$/u.test(s),
  isalnum: (s) => s !== "" && /^[\p{L}\p{N}]+$/u.test(s),
  isspace: (s) => s !== "" && new RegExp(`^[${WS}]+$`).test(s),
  isupper: (s) => /\p{Lu}/u.test(s) && s === s.toUpperCase(),
  islower: (s) => /\p{Ll}/u.test(s) && s === s.toLowerCase(),
  istitle: (s) => s !== "" && pyTitle(s) === s && /\p{L}/u.test(s),
  zfill: (s, a) => {
    const w = num(a[0]);
    const sign = s.startsWith("-") || s.startsWith("+") ? (s[0] as string) : "";
    return sign + s.slice(sign.length).padStart(w - sign.length, "0");
  },
  center: (s, a) => {
    const w = num(a[0]);
    const fill = (a[1] as string | undefined) ?? " ";
    const total = Math.max(0, w - chars(s).length);
    const left = Math.floor(total / 2) + (total % 2 && w % 2 ? 1 : 0);
    return fill.repeat(left) + s + fill.repeat(total - left);
  },
  ljust: (s, a) => s + ((a[1] as string | undefined) ?? " ").repeat(Math.max(0, num(a[0]) - chars(s).length)),
  rjust: (s, a) => ((a[1] as string | undefined) ?? " ").repeat(Math.max(0, num(a[0]) - chars(s).length)) + s,
  partition: (s, a) => {
    const sep = String(a[0]);
    const at = s.indexOf(sep);
    return PyTuple.of2(at < 0 ? [s, "", ""] : [s.slice(0, at), sep, s.slice(at + sep.length)]);
  },
  rpartition: (s, a) => {
    const sep = String(a[0]);
    const at = s.lastIndexOf(sep);
    return PyTuple.of2(at < 0 ? ["", "", s] : [s.slice(0, at), sep, s.slice(at + sep.length)]);
  },
  removeprefix: (s, a) => (s.startsWith(String(a[0])) ? s.slice(String(a[0]).length) : s),
  removesuffix: (s, a) => (a[0] !== "" && s.endsWith(String(a[0])) ? s.slice(0, -String(a[0]).length) : s),
  expandtabs: (s) => s.replace(/\t/g, "        "),
};

const LIST_METHODS: Record<string, (l: unknown[], a: unknown[]) => unknown> = {
  index: (l, a) => {
    const i = findIndex(l, a[0]);
    if (i < 0) fail(`${pyStr(a[0])} is not in list`);
    return i;
  },
  count: (l, a) => l.filter((x) => pyEq(x, a[0])).length,
  append: (l, a) => {
    l.push(a[0]);
    return null;
  },
  extend: (l, a) => {
    l.push(...iterate(a[0]));
    return null;
  },
  insert: (l, a) => {
    l.splice(norm(num(a[0]), l.length), 0, a[1]);
    return null;
  },
  pop: (l, a) => {
    const i = a[0] === undefined ? l.length - 1 : norm(num(a[0]), l.length);
    if (l.length === 0) fail("pop from empty list");
    return l.splice(i, 1)[0];
  },
  copy: (l) => [...l],
};

const DICT_METHODS: Record<string, (d: Record<string, unknown>, a: unknown[]) => unknown> = {
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  items: (d) => Object.entries(d).map(([k, v]) => PyTuple.of2([k, v])),
  get: (d, a) => {
    const k = pyStr(a[0]);
    return Object.hasOwn(d, k) ? d[k] : a.length > 1 ? a[1] : null;
  },
  copy: (d) => ({ ...d }),
  update: (d, a) => {
    Object.assign(d, a[0]);
    return null;
  },
};

/** Jinja's subscript: the item, else (for a string key) the attribute.
 */
export function getItem(obj: unknown, key: unknown): unknown {
  if (typeof obj === "string" || Array.isArray(obj)) {
    if (typeof key === "number" && Number.isInteger(key)) {
      if (typeof obj === "string") {
        const cs = chars(obj);
        const j = pyIndex(cs.length, key);
        return j === undefined ? new Undef(`[${key}]`) : cs[j];
      }
      const j = pyIndex(obj.length, key);
      return j === undefined ? new Undef(`[${key}]`) : obj[j];
    }
    if (typeof key === "string") return getAttr(obj, key);
    return new Undef(`[${pyStr(key)}]`);
  }
  if (isDict(obj)) {
    const k = typeof key === "string" ? key : pyStr(key);
    if (Object.hasOwn(obj, k)) return obj[k];
    return typeof key === "string" ? getAttr(obj, key) : new Undef(`[${k}]`);
  }
  if (obj instanceof PyNamespace && typeof key === "string") return getAttr(obj, key);
  return new Undef(`[${pyStr(key)}]`);
}

/** Jinja's `getattr`: a method or attribute, else the item of that name, else undefined. */
export function getAttr(obj: unknown, name: string): unknown {
  if (typeof obj === "string") {
    const m = STR_METHODS[name];
    if (m) return ((a: unknown[], kw: Record<string, unknown>) => m(obj, a, kw)) as PyCallable;
  } else if (Array.isArray(obj)) {
    const m = LIST_METHODS[name];
    if (m) return ((a: unknown[]) => m(obj, a)) as PyCallable;
  } else if (obj instanceof PyNamespace) {
    return obj.attrs.has(name) ? obj.attrs.get(name) : new Undef(name);
  } else if (isDict(obj)) {
    if (Object.hasOwn(obj, name)) return obj[name];
    const m = DICT_METHODS[name];
    if (m) return ((a: unknown[]) => m(obj, a)) as PyCallable;
  }
  return new Undef(name);
}

/** Python's `iter()` for templates: strings by character, dicts by key. */
export function iterate(v: unknown): unknown[] {
  if (typeof v === "string") return chars(v);
  if (Array.isArray(v)) return v;
  if (isDict(v)) return Object.keys(v);
  if (v instanceof Undef) fail(`'${v.name}' is undefined`);
  return fail(`'${typeName(v)}' object is not iterable`);
}

function toInt(v: unknown, def: unknown = 0, base = 10): unknown {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (isNumber(v)) return Math.trunc(num(v));
  if (typeof v === "string") {
    const s = pyStrip(v, "both").replace(/_/g, "");
    if (base === 10 && /^[-+]?\d+$/.test(s)) return Number(s);
    if (base !== 10) {
      const n = Number.parseInt(s, base);
      if (!Number.isNaN(n)) return n;
    }
    const f = Number(s);
    if (s !== "" && Number.isFinite(f)) return Math.trunc(f);
  }
  return def;
}

function sortKey(v: unknown, caseSensitive: boolean): unknown {
  return !caseSensitive && typeof v === "string" ? v.toLowerCase() : v;
}

function attrOf(v: unknown, attribute: unknown): unknown {
  if (attribute === undefined || attribute === null) return v;
  let cur = v;
  for (const part of String(attribute).split("."))
    cur = /^\d+$/.test(part) ? getItem(cur, Number(part)) : getAttr(cur, part);
  return cur;
}

function htmlEscape(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&#34;")
    .replace(/'/g, "&#39;");
}

function pyRound(x: number, ndigits: number): number {
  // Python rounds half to even on the exact binary value.
  const m = 10 ** ndigits;
  const y = x * m;
  const r = Math.round(y);
  const half = Math.abs(y % 1) === 0.5;
  return (half && r % 2 !== 0 ? r - 1 : r) / m;
}

type Filter = (v: unknown, a: unknown[], kw: Record<string, unknown>) => unknown;

const FILTERS: Record<string, Filter> = {
  abs: (v) => (v instanceof PyFloat ? new PyFloat(Math.abs(v.value)) : Math.abs(num(v))),
  attr: (v, a) => getAttr(v, String(a[0])),
  capitalize: (v) => capitalize(pyStr(v)),
  center: (v, a) => STR_METHODS.center?.(pyStr(v), [a[0] ?? 80], {}),
  count: (v) => pyLen(v),
  length: (v) => pyLen(v),
  default: (v, a, kw) => {
    const boolean = pyTruthy(a[1] ?? kw.boolean ?? false);
    if (v instanceof Undef || (boolean && !pyTruthy(v))) return a[0] ?? kw.default_value ?? "";
    return v;
  },
  dictsort: (v, a, kw) => {
    const by = String(a[1] ?? kw.by ?? "key");
    const cs = pyTruthy(a[0] ?? kw.case_sensitive ?? false);
    const items = Object.entries(v as Record<string, unknown>).map(([k, x]) => PyTuple.of2([k, x]));
    const idx = by === "value" ? 1 : 0;
    items.sort((x, y) =>
      pyLess(sortKey(x[idx], cs), sortKey(y[idx], cs)) ? -1 : pyLess(sortKey(y[idx], cs), sortKey(x[idx], cs)) ? 1 : 0,
    );
    if (pyTruthy(a[2] ?? kw.reverse ?? false)) items.reverse();
    return items;
  },
  escape: (v) => htmlEscape(pyStr(v)),
  forceescape: (v) => htmlEscape(pyStr(v)),
  first: (v) => {
    const it = iterate(v);
    return it.length > 0 ? it[0] : new Undef("first");
  },
  last: (v) => {
    const it = iterate(v);
    return it.length > 0 ? it[it.length - 1] : new Undef("last");
  },
  float: (v, a, kw) => {
    if (isNumber(v) || typeof v === "boolean") return toFloat(num(v));
    const s = typeof v === "string" ? pyStrip(v, "both") : "";
    const f = s === "" ? Number.NaN : Number(s);
    return Number.isNaN(f) ? (a[0] ?? kw.default ?? new PyFloat(0)) : toFloat(f);
  },
  format: (v, a, kw) =>
    Object.keys(kw).length > 0 ? percentFormat(pyStr(v), kw) : percentFormat(pyStr(v), PyTuple.of2(a)),
  indent: (v, a, kw) => {
    const width = a[0] ?? kw.width ?? 4;
    const pad = typeof width === "string" ? width : " ".repeat(num(width));
    const first = pyTruthy(a[1] ?? kw.first ?? false);
    const blank = pyTruthy(a[2] ?? kw.blank ?? false);
    const lines = pyStr(v).split("\n");
    return lines.map((l, i) => ((i === 0 && !first) || (!blank && l.trim() === "") ? l : pad + l)).join("\n");
  },
  int: (v, a, kw) => toInt(v, a[0] ?? kw.default ?? 0, num(a[1] ?? kw.base ?? 10)),
  items: (v) => (isDict(v) ? Object.entries(v).map(([k, x]) => PyTuple.of2([k, x])) : []),
  join: (v, a, kw) =>
    iterate(v)
      .map((x) => pyStr(attrOf(x, a[1] ?? kw.attribute)))
      .join(pyStr(a[0] ?? kw.d ?? "")),
  list: (v) => [...iterate(v)],
  lower: (v) => pyStr(v).toLowerCase(),
  upper: (v) => pyStr(v).toUpperCase(),
  map: (v, a, kw) => {
    const items = iterate(v);
    if (kw.attribute !== undefined)
      return items.map((x) => {
        const r = attrOf(x, kw.attribute);
        return r instanceof Undef && kw.default !== undefined ? kw.default : r;
      });
    const name = String(a[0]);
    return items.map((x) => callFilter(name, x, a.slice(1), kw));
  },
  max: (v, a, kw) => extreme(iterate(v), a, kw, false),
  min: (v, a, kw) => extreme(iterate(v), a, kw, true),
  pprint: (v) => pyStr(v),
  regex_replace: (v, a, kw) => {
    // lm-eval's filter: re.sub(pattern, repl, string, count=count).
    const count = num(a[2] ?? kw.count ?? 0);
    const re = compileRegex(String(a[0] ?? kw.pattern), "gu");
    const repl = String(a[1] ?? kw.repl).replace(/\\(\d+)|\\g<(\w+)>/g, (_m, d, g) =>
      `$<${d ?? g}>`.replace(/^\$<(\d+)>$/, "$$$1"),
    );
    let n = 0;
    return pyStr(v).replace(re, (...m) => {
      if (count > 0 && n >= count) return m[0] as string;
      n++;
      return repl.replace(/\$(\d+)|\$<(\w+)>/g, (_x, d, g) => {
        if (d !== undefined) return (m[Number(d)] as string | undefined) ?? "";
        const groups = m[m.length - 1] as Record<string, string> | undefined;
        return groups?.[g] ?? "";
      });
    });
  },
  reject: (v, a) => iterate(v).filter((x) => !(a.length ? callTest(String(a[0]), x, a.slice(1)) : pyTruthy(x))),
  rejectattr: (v, a) =>
    iterate(v).filter((x) => {
      const y = attrOf(x, a[0]);
      return !(a.length > 1 ? callTest(String(a[1]), y, a.slice(2)) : pyTruthy(y instanceof Undef ? false : y));
    }),
  replace: (v, a) => STR_METHODS.replace?.(pyStr(v), [pyStr(a[0]), pyStr(a[1]), a[2]], {}),
  reverse: (v) => (typeof v === "string" ? chars(v).reverse().join("") : [...iterate(v)].reverse()),
  round: (v, a, kw) => {
    const precision = num(a[0] ?? kw.precision ?? 0);
    const method = String(a[1] ?? kw.method ?? "common");
    const x = num(v);
    const m = 10 ** precision;
    const r =
      method === "ceil" ? Math.ceil(x * m) / m : method === "floor" ? Math.floor(x * m) / m : pyRound(x, precision);
    return toFloat(r);
  },
  safe: (v) => v,
  select: (v, a) => iterate(v).filter((x) => (a.length ? callTest(String(a[0]), x, a.slice(1)) : pyTruthy(x))),
  selectattr: (v, a) =>
    iterate(v).filter((x) => {
      const y = attrOf(x, a[0]);
      return a.length > 1 ? callTest(String(a[1]), y, a.slice(2)) : pyTruthy(y instanceof Undef ? false : y);
    }),
  batch: (v, a) => {
    const n = num(a[0]);
    const items = iterate(v);
    const out: unknown[][] = [];
    for (let i = 0; i < items.length; i += n) {
      const b = items.slice(i, i + n);
      if (b.length < n && a[1] !== undefined) while (b.length < n) b.push(a[1]);
      out.push(b);
    }
    return out;
  },
  slice: (v, a) => {
    const n = num(a[0]);
    const items = iterate(v);
    const per = Math.floor(items.length / n);
    const extra = items.length % n;
    const out: unknown[][] = [];
    let off = 0;
    for (let i = 0; i < n; i++) {
      const size = per + (i < extra ? 1 : 0);
      const part = items.slice(off, off + size);
      off += size;
      if (a[1] !== undefined && i >= extra && extra > 0) part.push(a[1]);
      out.push(part);
    }
    return out;
  },
  sort: (v, a, kw) => {
    const rev = pyTruthy(a[0] ?? kw.reverse ?? false);
    const cs = pyTruthy(a[1] ?? kw.case_sensitive ?? false);
    const attribute = a[2] ?? kw.attribute;
    const items = [...iterate(v)];
    const key = (x: unknown) => sortKey(attrOf(x, attribute), cs);
    // Python's sort is stable; so is Array.prototype.sort.
    items.sort((x, y) => (pyLess(key(x), key(y)) ? -1 : pyLess(key(y), key(x)) ? 1 : 0));
    if (rev) items.reverse();
    return items;
  },
  string: (v) => pyStr(defined(v)),
  striptags: (v) =>
    pyStr(v)
      .replace(/<!--.*?-->|<[^>]*>/gs, "")
      .split(/\s+/)
      .filter((x) => x)
      .join(" "),
  sum: (v, a, kw) => {
    const attribute = a[0] ?? kw.attribute;
    let total: unknown = a[1] ?? kw.start ?? 0;
    for (const x of iterate(v)) {
      const y = attrOf(x, attribute);
      total = isFloat(total) || isFloat(y) ? toFloat(num(total) + num(y)) : num(total) + num(y);
    }
    return total;
  },
  title: (v) => jinjaTitle(pyStr(v)),
  tojson: (v, a, kw) =>
    pyJsonDumps(v, { sortKeys: true, ensureAscii: true, indent: (a[0] ?? kw.indent) as number | undefined })
      .replace(/</g, "\\u003c")
      .replace(/>/g, "\\u003e")
      .replace(/&/g, "\\u0026")
      .replace(/'/g, "\\u0027"),
  trim: (v, a) => pyStrip(pyStr(v), "both", a[0]),
  truncate: (v, a, kw) => {
    const s = pyStr(v);
    const length = num(a[0] ?? kw.length ?? 255);
    const killwords = pyTruthy(a[1] ?? kw.killwords ?? false);
    const end = pyStr(a[2] ?? kw.end ?? "...");
    const leeway = num(a[3] ?? kw.leeway ?? 5);
    if (s.length <= length + leeway) return s;
    if (killwords) return s.slice(0, length - end.length) + end;
    const cut = s.slice(0, length - end.length);
    const at = cut.lastIndexOf(" ");
    return (at < 0 ? cut : cut.slice(0, at)) + end;
  },
  unique: (v, a, kw) => {
    const cs = pyTruthy(a[0] ?? kw.case_sensitive ?? false);
    const seen: unknown[] = [];
    const out: unknown[] = [];
    for (const x of iterate(v)) {
      const k = sortKey(attrOf(x, a[1] ?? kw.attribute), cs);
      if (!seen.some((s) => pyEq(s, k))) {
        seen.push(k);
        out.push(x);
      }
    }
    return out;
  },
  wordcount: (v) => (pyStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length,
};
FILTERS.d = FILTERS.default as Filter;
FILTERS.e = FILTERS.escape as Filter;

function extreme(items: unknown[], a: unknown[], kw: Record<string, unknown>, min: boolean): unknown {
  if (items.length === 0) return new Undef(min ? "min" : "max");
  const cs = pyTruthy(a[0] ?? kw.case_sensitive ?? false);
  const attribute = a[1] ?? kw.attribute;
  let best = items[0];
  for (const x of items.slice(1)) {
    const kx = sortKey(attrOf(x, attribute), cs);
    const kb = sortKey(attrOf(best, attribute), cs);
    if (min ? pyLess(kx, kb) : pyLess(kb, kx)) best = x;
  }
  return best;
}

export function callFilter(name: string, value: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const f = FILTERS[name];
  if (!f) throw new JinjaError(`no filter named '${name}'`);
  if (name !== "default" && name !== "d") defined(value);
  return f(value, args, kwargs);
}

const TESTS: Record<string, (v: unknown, a: unknown[]) => boolean> = {
  defined: (v) => !(v instanceof Undef),
  undefined: (v) => v instanceof Undef,
  none: (v) => v === null,
  string: (v) => typeof v === "string",
  number: (v) => isNumber(v),
  integer: (v) => typeof v === "number" && Number.isInteger(v),
  float: (v) => isFloat(v),
  boolean: (v) => typeof v === "boolean",
  true: (v) => v === true,
  false: (v) => v === false,
  mapping: (v) => isDict(v),
  iterable: (v) => typeof v === "string" || Array.isArray(v) || isDict(v),
  sequence: (v) => typeof v === "string" || Array.isArray(v) || isDict(v),
  callable: (v) => typeof v === "function",
  odd: (v) => num(v) % 2 === 1 || num(v) % 2 === -1,
  even: (v) => num(v) % 2 === 0,
  divisibleby: (v, a) => num(v) % num(a[0]) === 0,
  eq: (v, a) => pyEq(v, a[0]),
  ne: (v, a) => !pyEq(v, a[0]),
  lt: (v, a) => pyLess(v, a[0]),
  le: (v, a) => !pyLess(a[0], v),
  gt: (v, a) => pyLess(a[0], v),
  ge: (v, a) => !pyLess(v, a[0]),
  in: (v, a) => contains(a[0], v),
  sameas: (v, a) => v === a[0],
  lower: (v) => typeof v === "string" && v === v.toLowerCase(),
  upper: (v) => typeof v === "string" && v === v.toUpperCase(),
};
TESTS.equalto = TESTS.eq as (v: unknown, a: unknown[]) => boolean;
TESTS["=="] = TESTS.eq as (v: unknown, a: unknown[]) => boolean;
TESTS["!="] = TESTS.ne as (v: unknown, a: unknown[]) => boolean;
TESTS.greaterthan = TESTS.gt as (v: unknown, a: unknown[]) => boolean;
TESTS.lessthan = TESTS.lt as (v: unknown, a: unknown[]) => boolean;

export function callTest(name: string, value: unknown, args: unknown[]): boolean {
  const t = TESTS[name];
  if (!t) throw new JinjaError(`no test named '${name}'`);
  if (name !== "defined" && name !== "undefined") defined(value);
  return t(value, args);
}

export function makeGlobals(): Record<string, unknown> {
  const range: PyCallable = (a) => {
    const [start, stop, step] = a.length === 1 ? [0, num(a[0]), 1] : [num(a[0]), num(a[1]), num(a[2] ?? 1)];
    if (step === 0) fail("range() arg 3 must not be zero");
    const out: number[] = [];
    for (let i = start; step > 0 ? i < stop : i > stop; i += step) out.push(i);
    return out;
  };
  const namespace: PyCallable = (a, kw) => {
    const ns = new PyNamespace();
    if (isDict(a[0])) for (const [k, v] of Object.entries(a[0])) ns.attrs.set(k, v);
    for (const [k, v] of Object.entries(kw)) ns.attrs.set(k, v);
    return ns;
  };
  const dict: PyCallable = (a, kw) => ({ ...(isDict(a[0]) ? a[0] : {}), ...kw });
  return { range, namespace, dict };
}
