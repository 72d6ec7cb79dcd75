/**
 * Names and labels that reach the database must be text: a lone UTF-16 surrogate (which JSON's "\ud800" escape
 * makes) is not Unicode, and SQLite stored it as invalid UTF-8 that broke every reader after; NUL and the other
 * control characters cut strings short in C tools and terminals.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * Why `s` cannot be stored as a name, or undefined when it can. `prose` (prompt text, answers) allows the
 * control characters a text may quote and refuses only NUL and lone surrogates.
 */
export function textDefect(s: string, opts: { prose?: boolean } = {}): string | undefined {
  if (LONE_SURROGATE.test(s)) return "contains a lone surrogate (not valid Unicode)";
  const c = opts.prose ? /\u0000/.exec(s) : CONTROL.exec(s);
  if (c)
    return `contains the control character U+${(c[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  return undefined;
}
