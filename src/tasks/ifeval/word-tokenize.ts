/**
 * `nltk.word_tokenize(text)`: Punkt sentences, each split by NLTK's improved Treebank tokenizer
 * (`NLTKWordTokenizer` in `nltk/tokenize/destructive.py`, NLTK 3.8-3.9), its regular expressions applied in
 * the same order with Python's Unicode classes spelled out.
 */
import { englishPunkt } from "./punkt.ts";
import { B, END, S, splitWhitespace, W } from "./py-text.ts";

type Rule = [RegExp, string];

const rule = (source: string, replacement: string, flags = ""): Rule => [new RegExp(source, `gu${flags}`), replacement];

const STARTING_QUOTES: Rule[] = [
  rule("([«“‘„]|[`]+)", " $1 "),
  rule('^"', "``"),
  rule("(``)", " $1 "),
  rule(`([ ([{<])("|'{2})`, "$1 `` "),
  rule(`(')(?!re|ve|ll|m|t|s|d|n)(${W})${B}`, "$1 $2", "i"),
];

const ENDING_QUOTES: Rule[] = [
  rule("([»”’])", " $1 "),
  rule("''", " '' "),
  rule('"', " '' "),
  rule("([^' ])('[sS]|'[mM]|'[dD]|') ", "$1 $2 "),
  rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "$1 $2 "),
];

const PUNCTUATION: Rule[] = [
  rule(`([^.])(\\.)([\\])}>"'»”’ ]*)${S}*${END}`, "$1 $2 $3 "),
  rule("([:,])([^\\p{Nd}])", " $1 $2"),
  rule(`([:,])${END}`, " $1 "),
  rule("\\.{2,}", " $& "),
  rule("[;@#$%&]", " $& "),
  rule(`([^.])(\\.)([\\])}>"']*)${S}*${END}`, "$1 $2$3 "),
  rule("[?!]", " $& "),
  rule("([^'])' ", "$1 ' "),
  rule("[*]", " $& "),
];

const PARENS_BRACKETS = rule("[\\][(){}<>]", " $& ");
const DOUBLE_DASHES = rule("--", " -- ");

const CONTRACTIONS: Rule[] = [
  ...["(can)(not)", "(d)('ye)", "(gim)(me)", "(gon)(na)", "(got)(ta)", "(lem)(me)", "(more)('n)"].map((p) =>
    rule(`${B}${p}${B}`, " $1 $2 ", "i"),
  ),
  rule(`${B}(wan)(na)(?=${S})`, " $1 $2 ", "i"),
  rule(` ('t)(is)${B}`, " $1 $2 ", "i"),
  rule(` ('t)(was)${B}`, " $1 $2 ", "i"),
];

/** `NLTKWordTokenizer().tokenize(text)` (without `convert_parentheses`). */
export function treebankTokenize(input: string): string[] {
  let text = input;
  for (const [re, sub] of STARTING_QUOTES) text = text.replace(re, sub);
  for (const [re, sub] of PUNCTUATION) text = text.replace(re, sub);
  text = text.replace(PARENS_BRACKETS[0], PARENS_BRACKETS[1]);
  text = text.replace(DOUBLE_DASHES[0], DOUBLE_DASHES[1]);
  text = ` ${text} `;
  for (const [re, sub] of ENDING_QUOTES) text = text.replace(re, sub);
  for (const [re, sub] of CONTRACTIONS) text = text.replace(re, sub);
  return splitWhitespace(text);
}

/** `nltk.word_tokenize(text)` (English, sentence-split first). */
export function wordTokenize(text: string): string[] {
  return englishPunkt()
    .tokenize(text)
    .flatMap((sentence) => treebankTokenize(sentence));
}
