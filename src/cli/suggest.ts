/**
 * "Did you mean": the closest known name to a mistyped command or flag (`evl` -> `eval`, `--task` ->
 * `--tasks`), by edit distance, when one is close enough to be a likely typo.
 */

/** Levenshtein distance (insertions, deletions, substitutions, and a swap of two neighbours). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const prev = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, ((d[i - 2] as number[])[j - 2] as number) + 1);
      row[j] = v;
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The candidates closest to `word` (at most a third of its length away, at least 1, at most 3 edits). */
export function closest(word: string, candidates: Iterable<string>): string[] {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best = Number.POSITIVE_INFINITY;
  let out: string[] = [];
  for (const c of new Set(candidates)) {
    const d = editDistance(word, c);
    if (d > limit) continue;
    if (d < best) {
      best = d;
      out = [c];
    } else if (d === best) out.push(c);
  }
  return out.sort();
}

/** The hint for an unknown command: the closest command names, else the help pointer. */
export function commandHint(words: string[], names: Iterable<string>): string {
  const all = [...names];
  const typed = words.slice(0, 2).join(" ");
  // Two words first ("runs comapre"), else the first word alone ("evl math").
  const two = words.length > 1 ? closest(typed, all) : [];
  const near = two.length ? two : closest(words[0] ?? "", all);
  return near.length
    ? `did you mean ${near.map((n) => `'modelmap ${n}'`).join(" or ")}? ('modelmap help' lists every command)`
    : "run 'modelmap help' for the list of commands";
}

/** The hint for a parseArgs error: for an unknown option, the closest option of the command. */
export function optionHint(command: string, message: string, options: Iterable<string>): string {
  const m = /Unknown option '(--?[^']+)'/.exec(message);
  if (m) {
    const name = (m[1] as string).replace(/^-+/, "").split("=")[0] as string;
    const near = closest(name, options);
    if (near.length) return `did you mean ${near.map((n) => `--${n}`).join(" or ")}? (run 'modelmap help ${command}')`;
  }
  return `run 'modelmap help ${command}'`;
}
