/**
 * Splits a JSON array or JSON Lines text into rows with the line each row starts on, so that a bad row in
 * a 30,000-row JSON array can be reported as "line 12,345", not just "element 12,344".
 */
export interface RawRow {
  line: number;
  text: string;
}

export class JsonRowsError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** Rows of a top-level JSON array, each with its starting line. Throws JsonRowsError if the array never closes. */
export function splitJsonArray(text: string): RawRow[] {
  const rows: RawRow[] = [];
  let line = 1;
  let i = text.indexOf("[");
  for (let p = 0; p < i; p++) if (text.charCodeAt(p) === 10) line++;
  i++;
  let depth = 0;
  let inString = false;
  let start = -1;
  let startLine = 0;
  for (; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 10) line++;
    if (inString) {
      if (ch === 92)
        i++; // backslash: skip the escaped character (never a newline inside JSON strings)
      else if (ch === 34) inString = false;
      continue;
    }
    if (ch === 34) {
      inString = true;
      if (start < 0) {
        start = i;
        startLine = line;
      }
      continue;
    }
    if (ch === 32 || ch === 9 || ch === 10 || ch === 13) continue;
    if (depth === 0 && (ch === 44 || ch === 93)) {
      if (start >= 0) rows.push({ line: startLine, text: text.slice(start, i) });
      else if (ch === 44) throw new JsonRowsError("empty element in JSON array", line);
      start = -1;
      if (ch === 93) return rows;
      continue;
    }
    if (start < 0) {
      start = i;
      startLine = line;
    }
    if (ch === 123 || ch === 91) depth++;
    else if (ch === 125 || ch === 93) depth--;
  }
  throw new JsonRowsError("JSON array is not closed (missing ']')", line);
}

/** Non-empty lines of a JSON Lines text with their line numbers. */
export function splitJsonLines(text: string): RawRow[] {
  const rows: RawRow[] = [];
  let line = 0;
  let pos = 0;
  while (pos <= text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    line++;
    const s = text.slice(pos, end).trim();
    if (s !== "") rows.push({ line, text: s });
    pos = end + 1;
  }
  return rows;
}
