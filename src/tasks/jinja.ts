/**
 * Jinja for task templates through @huggingface/jinja (the sandboxed subset Hugging Face uses; no code
 * execution). Compiled templates are cached because the same few templates render for every document.
 */
import { Template } from "@huggingface/jinja";
import { ModelmapError } from "../core/errors.ts";

const cache = new Map<string, Template>();

function compile(source: string, where: string): Template {
  let t = cache.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new ModelmapError("template", `${where}: cannot parse Jinja '${source}': ${(e as Error).message}`);
    }
    if (cache.size > 2000) cache.clear();
    cache.set(source, t);
  }
  return t;
}

/** Renders a template to text. */
export function renderText(source: string, doc: Record<string, unknown>, where: string): string {
  // Plain text stays byte-exact (Jinja would drop a trailing newline, e.g. of a task description).
  if (!/\{[{%#]/.test(source)) return source;
  try {
    return compile(source, where).render(doc);
  } catch (e) {
    if (e instanceof ModelmapError) throw e;
    throw new ModelmapError("template", `${where}: cannot render '${source}': ${(e as Error).message}`);
  }
}

/** Evaluates a Jinja expression (no braces) to a JSON value: lists and numbers survive, unlike in render. */
export function evalExpression(expr: string, doc: Record<string, unknown>, where: string): unknown {
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
  if (m?.[1] !== undefined && !m[1].includes("{{") && !m[1].includes("}}")) return evalExpression(m[1], doc, where);
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
