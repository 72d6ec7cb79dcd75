/**
 * `word2number` 1.1's `w2n.word_to_num` (the package bbh's NumberParseRegexFilter imports), ported with its
 * quirks: words it does not know are dropped, "point" starts a decimal part of digit words, and malformed input
 * raises (here: a ModelmapError naming the problem, where Python raises ValueError).
 */
import { ModelmapError } from "../../../core/errors.ts";
import { pySplitWhitespace, pyStrip } from "../../pycompat/str.ts";

const SYSTEM: Record<string, number | "."> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
  hundred: 100,
  thousand: 1000,
  million: 1000000,
  billion: 1000000000,
  point: ".",
};
const DECIMAL_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

function value(w: string): number {
  const v = SYSTEM[w];
  if (typeof v !== "number") throw new ModelmapError("input", `word_to_num: '${w}' has no numeric value`);
  return v;
}

function numberFormation(words: string[]): number {
  const n = words.map(value);
  if (n.length === 4) return (n[0] as number) * (n[1] as number) + (n[2] as number) + (n[3] as number);
  if (n.length === 3) return (n[0] as number) * (n[1] as number) + (n[2] as number);
  if (n.length === 2)
    return n.includes(100) ? (n[0] as number) * (n[1] as number) : (n[0] as number) + (n[1] as number);
  if (n.length === 0) throw new ModelmapError("input", "word_to_num: IndexError (empty number group)");
  return n[0] as number;
}

/** `get_decimal_sum`: a float, or the int 0 when a word is not a digit word. */
function decimalSum(words: string[]): { value: number; isFloat: boolean } {
  const digits: number[] = [];
  for (const w of words) {
    if (!DECIMAL_WORDS.includes(w)) return { value: 0, isFloat: false };
    digits.push(value(w));
  }
  return { value: Number.parseFloat(`0.${digits.join("")}`), isFloat: true };
}

function malformed(): never {
  throw new ModelmapError(
    "input",
    "word_to_num: Malformed number! Please enter a valid number word (eg. two million twenty three thousand and forty nine)",
  );
}

/** The number the words spell; `isFloat` when Python's result is a float (a decimal part was given). */
export function wordToNum(sentence: string): { value: number; isFloat: boolean } {
  const s = sentence.replaceAll("-", " ").toLowerCase();
  if (/^[0-9]+$/.test(s)) return { value: Number.parseInt(s, 10), isFloat: false };
  let clean = pySplitWhitespace(pyStrip(s)).filter((w) => Object.hasOwn(SYSTEM, w));
  if (clean.length === 0) {
    throw new ModelmapError("input", "word_to_num: No valid number words found! (ValueError in word2number)");
  }
  const count = (w: string) => clean.filter((x) => x === w).length;
  if (count("thousand") > 1 || count("million") > 1 || count("billion") > 1 || count("point") > 1) {
    throw new ModelmapError("input", "word_to_num: Redundant number word! (ValueError in word2number)");
  }
  let decimals: string[] = [];
  if (count("point") === 1) {
    const p = clean.indexOf("point");
    decimals = clean.slice(p + 1);
    clean = clean.slice(0, p);
  }
  const bi = clean.indexOf("billion");
  const mi = clean.indexOf("million");
  const th = clean.indexOf("thousand");
  if ((th > -1 && (th < mi || th < bi)) || (mi > -1 && mi < bi)) malformed();
  let total = 0;
  if (clean.length > 0) {
    if (clean.length === 1) total += value(clean[0] as string);
    else {
      if (bi > -1) total += numberFormation(clean.slice(0, bi)) * 1000000000;
      if (mi > -1) total += numberFormation(bi > -1 ? clean.slice(bi + 1, mi) : clean.slice(0, mi)) * 1000000;
      if (th > -1) {
        const from = mi > -1 ? mi + 1 : bi > -1 ? bi + 1 : 0;
        total += numberFormation(clean.slice(from, th)) * 1000;
      }
      let hundreds = 0;
      if (th > -1 && th !== clean.length - 1) hundreds = numberFormation(clean.slice(th + 1));
      else if (mi > -1 && mi !== clean.length - 1) hundreds = numberFormation(clean.slice(mi + 1));
      else if (bi > -1 && bi !== clean.length - 1) hundreds = numberFormation(clean.slice(bi + 1));
      else if (th === -1 && mi === -1 && bi === -1) hundreds = numberFormation(clean);
      total += hundreds;
    }
  }
  if (decimals.length > 0) {
    const d = decimalSum(decimals);
    return { value: total + d.value, isFloat: d.isFloat };
  }
  return { value: total, isFloat: false };
}
