/**
 * Whether Python's `json.loads(s)` accepts `s` (IFEval's `json_format` check). Python's decoder differs from
 * `JSON.parse`: it accepts `NaN`, `Infinity` and `-Infinity`, and rejects a leading byte-order mark.
 */

const WS = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const HEX = /^[0-9a-fA-F]{4}$/;

class Reject extends Error {}

export function pythonJsonAccepts(s: string): boolean {
  if (s.startsWith("\ufeff")) return false;
  let i = 0;
  const ws = () => {
    while (i < s.length && WS.has(s[i] as string)) i++;
  };
  const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

  const string = (): void => {
    i++; // opening quote
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new Reject();
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const e = s[i + 1];
        if (e === "u") {
          if (!HEX.test(s.slice(i + 2, i + 6))) throw new Reject();
          i += 6;
        } else if (e !== undefined && ESCAPES.has(e)) i += 2;
        else throw new Reject();
        continue;
      }
      if (c.charCodeAt(0) < 0x20) throw new Reject();
      i++;
    }
  };

  const number = (): void => {
    if (s[i] === "-") i++;
    if (s[i] === "0") i++;
    else if (isDigit(s[i])) while (isDigit(s[i])) i++;
    else throw new Reject();
    if (s[i] === "." && isDigit(s[i + 1])) {
      i++;
      while (isDigit(s[i])) i++;
    }
    if (s[i] === "e" || s[i] === "E") {
      let j = i + 1;
      if (s[j] === "+" || s[j] === "-") j++;
      if (isDigit(s[j])) {
        while (isDigit(s[j])) j++;
        i = j;
      }
    }
  };

  const literal = (word: string): boolean => {
    if (s.startsWith(word, i)) {
      i += word.length;
      return true;
    }
    return false;
  };

  const value = (): void => {
    const c = s[i];
    if (c === '"') {
      string();
      return;
    }
    if (c === "{") {
      i++;
      ws();
      if (s[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        if (s[i] !== '"') throw new Reject();
        string();
        ws();
        if (s[i] !== ":") throw new Reject();
        i++;
        ws();
        value();
        ws();
        if (s[i] === "}") {
          i++;
          return;
        }
        if (s[i] !== ",") throw new Reject();
        i++;
        ws();
      }
    }
    if (c === "[") {
      i++;
      ws();
      if (s[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (s[i] === "]") {
          i++;
          return;
        }
        if (s[i] !== ",") throw new Reject();
        i++;
        ws();
      }
    }
    if (literal("null") || literal("true") || literal("false") || literal("NaN") || literal("Infinity")) return;
    if (literal("-Infinity")) return;
    if (c !== "-" && !isDigit(c)) throw new Reject();
    number();
  };

  try {
    ws();
    value();
    ws();
    return i === s.length;
  } catch (e) {
    if (e instanceof Reject) return false;
    throw e;
  }
}
