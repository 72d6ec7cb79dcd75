/**
 * A tiny byte-level BPE (GPT-2 style) trainer and encoder for the test models. The encoder is the reference
 * that llama.cpp's tokenization of our generated vocabularies is checked against.
 */

/** GPT-2's reversible map from bytes to printable unicode characters (how "gpt2" vocabularies store tokens). */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const out: string[] = new Array(256);
  for (const b of bs) out[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (out[b] === undefined) {
      out[b] = String.fromCodePoint(256 + n);
      n++;
    }
  }
  return out;
})();

/** GPT-2's pre-tokenizer regex (llama.cpp's "gpt-2" pre-tokenizer type). */
export const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

const utf8 = new TextEncoder();

function toByteChars(word: string): string[] {
  return [...utf8.encode(word)].map((b) => BYTE_TO_UNICODE[b] as string);
}

export interface ByteBpe {
  /** Merges in rank order, as "left right" in byte-unicode characters. */
  merges: string[];
  /** Tokens: the 256 byte characters (id = byte value) then one per merge. */
  tokens: string[];
}

/** Trains `nMerges` merges on `corpus`; deterministic (ties broken by the pair's text). */
export function trainByteBpe(corpus: string, nMerges: number): ByteBpe {
  const wordCounts = new Map<string, number>();
  for (const m of corpus.matchAll(GPT2_SPLIT)) wordCounts.set(m[0], (wordCounts.get(m[0]) ?? 0) + 1);
  const words = [...wordCounts.entries()].map(([w, count]) => ({ syms: toByteChars(w), count }));
  const tokens = [...BYTE_TO_UNICODE];
  const known = new Set(tokens);
  const merges: string[] = [];
  while (merges.length < nMerges) {
    const pairs = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.syms.length; i++) {
        const k = `${w.syms[i]} ${w.syms[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + w.count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [k, c] of pairs) {
      if (c > bestCount || (c === bestCount && best !== undefined && k < best)) {
        best = k;
        bestCount = c;
      }
    }
    if (best === undefined) break;
    const [a, b] = best.split(" ") as [string, string];
    const joined = a + b;
    merges.push(best);
    if (!known.has(joined)) {
      known.add(joined);
      tokens.push(joined);
    }
    for (const w of words) w.syms = mergeAll(w.syms, a, b);
  }
  return { merges, tokens };
}

function mergeAll(syms: string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < syms.length; i++) {
    if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
      out.push(a + b);
      i++;
    } else out.push(syms[i] as string);
  }
  return out;
}

/** Encodes text with the trained BPE, as a byte-level BPE tokenizer without special tokens does. */
export function encodeByteBpe(bpe: ByteBpe, text: string): number[] {
  const rank = new Map(bpe.merges.map((m, i) => [m, i]));
  const ids = new Map(bpe.tokens.map((t, i) => [t, i]));
  const out: number[] = [];
  for (const m of text.matchAll(GPT2_SPLIT)) {
    let syms = toByteChars(m[0]);
    for (;;) {
      let bestRank = Number.POSITIVE_INFINITY;
      let bestI = -1;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = rank.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestI = i;
        }
      }
      if (bestI < 0) break;
      const a = syms[bestI] as string;
      const b = syms[bestI + 1] as string;
      syms = mergeAll(syms, a, b);
    }
    for (const s of syms) out.push(ids.get(s) as number);
  }
  return out;
}
