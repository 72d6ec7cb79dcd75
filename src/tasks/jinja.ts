/**
 * Jinja for task templates through @huggingface/jinja (the sandboxed subset Hugging Face uses; no code
 * execution), rendered by the templates module's bounded renderer, which caches compiled templates.
 */
import { ModelmapError } from "../core/errors.ts";
import { renderBounded, type TemplateKind } from "../templates/sandbox.ts";

/** Task templates render within the same limits as chat templates (a loop in doc_to_text aborted V8 at 2.7 GB). */
const TASK_TEMPLATE: TemplateKind = {
  what: "template",
  hint: "fix the task's Jinja template (an endless or very long loop, or an unclosed tag?)",
};

const PATH = /^\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\])*)\s*$/;
const SEGMENT = /\[(\d+)\]|\.?([A-Za-z_][A-Za-z0-9_]*)/g;

/** Looks up `a.b[0]` in the document; undefined when any step is missing. */
function lookup(path: string, doc: Record<string, unknown>): unknown {
  let cur: unknown = doc;
  for (const m of path.matchAll(SEGMENT)) {
    if (cur === null || typeof cur !== "object") return undefined;
    const key = m[1] !== undefined ? Number(m[1]) : (m[2] as string);
    if (typeof key === "number" ? !Array.isArray(cur) : !Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}

/**
 * Templates made only of text and `{{ field.path[0] }}` placeholders (most task templates) are rendered by
 * concatenation: the same output as Jinja for string and number fields, without its per-render cost. Anything else,
 * or a field that is not a string or number, goes through Jinja.
 */
const simpleCache = new Map<string, Array<string | { path: string }> | null>();
function simpleParts(source: string): Array<string | { path: string }> | null {
  let parts = simpleCache.get(source);
  if (parts !== undefined) return parts;
  parts = [];
  if (/\{[%#]/.test(source)) parts = null;
  else {
    let last = 0;
    for (const m of source.matchAll(/\{\{(.*?)\}\}/gs)) {
      const p = PATH.exec(m[1] ?? "");
      if (!p?.[1]) {
        parts = null;
        break;
      }
      if (m.index > last) parts.push(source.slice(last, m.index));
      parts.push({ path: p[1] });
      last = m.index + m[0].length;
    }
    // Jinja drops one trailing newline of the template.
    if (parts) parts.push(source.slice(last).replace(/\n$/, ""));
  }
  if (simpleCache.size > 2000) simpleCache.clear();
  simpleCache.set(source, parts);
  return parts;
}

function renderSimple(source: string, doc: Record<string, unknown>): string | undefined {
  const parts = simpleParts(source);
  if (!parts) return undefined;
  let out = "";
  for (const p of parts) {
    if (typeof p === "string") out += p;
    else {
      const v = lookup(p.path, doc);
      if (typeof v === "string") out += v;
      else if (typeof v === "number" && Number.isInteger(v)) out += String(v);
      else return undefined;
    }
  }
  return out;
}

/** Renders a template to text. */
export function renderText(source: string, doc: Record<string, unknown>, where: string): string {
  // Plain text stays byte-exact (Jinja would drop a trailing newline, e.g. of a task description).
  if (!/\{[{%#]/.test(source)) return source;
  const fast = renderSimple(source, doc);
  if (fast !== undefined) return fast;
  try {
    return renderBounded(source, doc, where, TASK_TEMPLATE);
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw new ModelmapError("template", `${where}: cannot render '${source}': ${(e as Error).message}`);
  }
}

/** Evaluates a Jinja expression (no braces) to a JSON value: lists and numbers survive, unlike in render. */
export function evalExpression(expr: string, doc: Record<string, unknown>, where: string): unknown {
  const p = PATH.exec(expr);
  if (p?.[1]) {
    const v = lookup(p[1], doc);
    if (v !== undefined) return v;
  }
  const text = renderText(`{{ (${expr}) | tojson }}`, doc, where);
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelmapError("template", `${where}: expression '${expr}' did not yield a value (got '${text}')`);
  }
}

const WHOLE_EXPR = /^\s*\{\{(.*)\}\}\s*$/s;
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The value of a doc_to_* entry: a bare field name gives the field, a template that is exactly `{{ expr }}`
 * gives the expression's value (so `{{options}}` is a list and `{{label}}` may be a number), anything else
 * renders to text. This mirrors lm-eval, which literal-evals rendered text.
 */
export function docValue(spec: string | number, doc: Record<string, unknown>, where: string): unknown {
  if (typeof spec === "number") return spec;
  if (FIELD_NAME.test(spec) && Object.hasOwn(doc, spec)) return doc[spec];
  const m = WHOLE_EXPR.exec(spec);
  if (m?.[1] !== undefined && !m[1].includes("{{") && !m[1].includes("}}")) {
    const p = PATH.exec(m[1]);
    if (p?.[1]) {
      const v = lookup(p[1], doc);
      if (v !== undefined) return v;
    }
    return evalExpression(m[1], doc, where);
  }
  return renderText(spec, doc, where);
}

/** Like lm-eval's literal_eval of rendered text: a rendered "[0, 1]" becomes a list; other text stays text. */
export function docList(spec: string | number, doc: Record<string, unknown>, where: string): unknown {
  const v = docValue(spec, doc, where);
  if (typeof v === "string") {
    const t = v.trim();
    if (t.startsWith("[") && t.endsWith("]")) {
      try {
        return JSON.parse(t) as unknown;
      } catch {
        return v;
      }
    }
  }
  return v;
}
