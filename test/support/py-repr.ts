/** Python's `repr()` of strings and lists of strings (how HF datasets such as MuSR store a list as text). */
export function pyReprStr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (ch === "\\") out += "\\\\";
    else if (ch === quote) out += `\\${quote}`;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, "0")}`;
    else if (/[\p{C}\p{Z}]/u.test(ch) && ch !== " ") {
      out +=
        cp <= 0xff
          ? `\\x${cp.toString(16).padStart(2, "0")}`
          : cp <= 0xffff
            ? `\\u${cp.toString(16).padStart(4, "0")}`
            : `\\U${cp.toString(16).padStart(8, "0")}`;
    } else out += ch;
  }
  return out + quote;
}

export function pyReprList(xs: string[]): string {
  return `[${xs.map(pyReprStr).join(", ")}]`;
}
