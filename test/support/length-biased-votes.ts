/** Votes from a judge that likes long answers, with the answers stored: for style control and LC win rates. */
import { createRng } from "../../src/core/rng.ts";
import type { Vote } from "../../src/core/votes.ts";
import { openStore, type SqliteStore } from "../../src/store/sqlite/index.ts";

/** A store where model "long" writes long answers that the voters like for their length only, "short"
 * is as good but terse, and "best" is really better. */
export async function lengthBiasedStore(): Promise<SqliteStore> {
  const store = openStore(":memory:");
  const rng = createRng(11);
  const items = Array.from({ length: 400 }, (_, n) => ({
    setName: "s",
    id: `p${n}`,
    category: "chat",
    turns: ["q"],
    reference: null,
    tags: [],
  }));
  await store.judging.putPromptSet(
    { name: "s", contentHash: "x", secret: false, canary: null, description: null, origin: null },
    items,
  );
  const quality: Record<string, number> = { long: 0, short: 0, best: 1 };
  const baseLen: Record<string, number> = { long: 600, short: 150, best: 200 };
  const tokens = new Map<string, number>();
  for (const it of items) {
    for (const m of Object.keys(quality)) {
      const t = Math.round((baseLen[m] as number) * Math.exp(0.5 * rng.normal()));
      tokens.set(`${it.id}/${m}`, t);
      await store.judging.putAnswer({
        key: `${it.id}-${m}`,
        setName: "s",
        promptId: it.id,
        model: m,
        outputs: ["x".repeat(t * 4)],
        params: {},
        finishReasons: ["stop"],
        error: null,
        chars: t * 4,
        tokens: t,
        headers: 0,
        lists: 0,
        bold: 0,
      });
    }
  }
  const votes: Vote[] = [];
  const pairs: Array<[string, string]> = [
    ["long", "short"],
    ["long", "best"],
    ["short", "best"],
  ];
  for (const it of items) {
    for (const [a, b] of pairs) {
      const ta = tokens.get(`${it.id}/${a}`) as number;
      const tb = tokens.get(`${it.id}/${b}`) as number;
      const eta = (quality[a] as number) - (quality[b] as number) + 2.5 * ((ta - tb) / (ta + tb));
      const u = rng.next();
      const pa = 1 / (1 + Math.exp(-eta));
      const winner = u < pa * 0.9 ? "model_a" : u < 0.9 ? "model_b" : "tie";
      votes.push({
        promptId: `s/${it.id}`,
        modelA: a,
        modelB: b,
        winner,
        judge: "j",
        shownFirst: "model_a",
        category: "chat",
      });
    }
  }
  await store.votes.add("judge:s", votes);
  return store;
}
