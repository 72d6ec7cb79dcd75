/**
 * Escaping-by-default HTML. Every interpolation in an `html` template is escaped unless it is itself a `Safe`
 * (another `html` result or an explicit `raw`), so page code cannot forget to escape data.
 */
export class Safe {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = Safe | string | number | boolean | null | undefined | HtmlValue[];

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

function render(v: HtmlValue): string {
  if (v === null || v === undefined || v === false) return "";
  if (v instanceof Safe) return v.value;
  if (Array.isArray(v)) return v.map(render).join("");
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Safe {
  let out = strings[0] ?? "";
  for (let i = 0; i < values.length; i++) out += render(values[i] as HtmlValue) + (strings[i + 1] ?? "");
  return new Safe(out);
}

/** Trusted markup (built by this module's callers from escaped parts only). */
export function raw(s: string): Safe {
  return new Safe(s);
}

/** A URL with query parameters; undefined and empty values are left out. */
export function href(path: string, params: Record<string, string | number | boolean | undefined> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "" && v !== false) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

/** Path of a model's page; HF ids keep their slash so the URL reads like the hub's. */
export function modelHref(id: string): string {
  return `/models/${id.split("/").map(encodeURIComponent).join("/")}`;
}

export const fmt1 = (x: number | undefined | null): string => (x === undefined || x === null ? "–" : x.toFixed(1));
