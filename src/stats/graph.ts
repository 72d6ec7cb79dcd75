import type { PairTable } from "./bradley-terry.ts";

/**
 * When does the Bradley-Terry MLE exist? Exactly when the "scored against" graph (edge a -> b when a won or
 * tied at least once against b) is strongly connected (Zermelo 1929; Ford 1957). This module finds the
 * comparison graph's components and the models that make the MLE fail.
 */
export interface ExistenceReport {
  /** Connected components of the comparison graph (model indices); more than one = disconnected. */
  components: number[][];
  /** Strongly connected components of the scored-against graph. */
  strongComponents: number[][];
  /** Models that never lost a point (no losses, no ties) in any game. */
  undefeated: number[];
  /** Models that never scored (no wins, no ties). */
  winless: number[];
  /** Models without any game. */
  unplayed: number[];
  mleExists: boolean;
}

export function checkExistence(t: PairTable): ExistenceReport {
  const k = t.k;
  const adj: number[][] = Array.from({ length: k }, () => []);
  const scored: number[][] = Array.from({ length: k }, () => []);
  const games = new Float64Array(k);
  const points = new Float64Array(k);
  for (let r = 0; r < t.i.length; r++) {
    const a = t.i[r] as number;
    const b = t.j[r] as number;
    const wa = t.winI[r] as number;
    const wb = t.winJ[r] as number;
    const ties = t.ties[r] as number;
    const n = wa + wb + ties;
    if (n <= 0) continue;
    adj[a]!.push(b);
    adj[b]!.push(a);
    if (wa + ties > 0) scored[a]!.push(b);
    if (wb + ties > 0) scored[b]!.push(a);
    games[a] = (games[a] as number) + n;
    games[b] = (games[b] as number) + n;
    points[a] = (points[a] as number) + wa + ties / 2;
    points[b] = (points[b] as number) + wb + ties / 2;
  }
  const components = connectedComponents(k, adj);
  const strongComponents = tarjan(k, scored);
  const undefeated: number[] = [];
  const winless: number[] = [];
  const unplayed: number[] = [];
  for (let a = 0; a < k; a++) {
    if (games[a] === 0) unplayed.push(a);
    else if (points[a] === games[a]) undefeated.push(a);
    else if (points[a] === 0) winless.push(a);
  }
  return { components, strongComponents, undefeated, winless, unplayed, mleExists: strongComponents.length === 1 };
}

function connectedComponents(k: number, adj: number[][]): number[][] {
  const seen = new Uint8Array(k);
  const out: number[][] = [];
  for (let s = 0; s < k; s++) {
    if (seen[s]) continue;
    const comp: number[] = [];
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const v = stack.pop()!;
      comp.push(v);
      for (const w of adj[v]!) {
        if (!seen[w]) {
          seen[w] = 1;
          stack.push(w);
        }
      }
    }
    out.push(comp.sort((x, y) => x - y));
  }
  return out;
}

/** Tarjan's strongly connected components, iterative so that large graphs cannot overflow the stack. */
function tarjan(k: number, adj: number[][]): number[][] {
  const index = new Int32Array(k).fill(-1);
  const low = new Int32Array(k);
  const onStack = new Uint8Array(k);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (let s = 0; s < k; s++) {
    if (index[s] !== -1) continue;
    const work: Array<[number, number]> = [[s, 0]];
    while (work.length) {
      const frame = work[work.length - 1]!;
      const v = frame[0];
      if (frame[1] === 0) {
        index[v] = counter;
        low[v] = counter;
        counter++;
        stack.push(v);
        onStack[v] = 1;
      }
      const edges = adj[v]!;
      if (frame[1] < edges.length) {
        const w = edges[frame[1]]!;
        frame[1]++;
        if (index[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] === index[v]) {
        const comp: number[] = [];
        for (;;) {
          const w = stack.pop()!;
          onStack[w] = 0;
          comp.push(w);
          if (w === v) break;
        }
        out.push(comp.sort((x, y) => x - y));
      }
    }
  }
  return out;
}
