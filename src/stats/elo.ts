/**
 * Online Elo as Chatbot Arena first published it (K = 4, base 10, scale 400, initial 1000), processed in
 * the order given. Order-dependent by construction, which is why it is a diagnostic and not the rating.
 */
export interface EloOptions {
  k?: number;
  scale?: number;
  base?: number;
  init?: number;
}

/** outcome: 1 = a won, 0 = b won, 0.5 = tie. `order` (optional) lists row indices to process. */
export function onlineElo(
  nModels: number,
  a: Int32Array,
  b: Int32Array,
  outcome: Float64Array,
  opts: EloOptions = {},
  order?: Int32Array,
): Float64Array {
  const K = opts.k ?? 4;
  const scale = opts.scale ?? 400;
  const base = opts.base ?? 10;
  const r = new Float64Array(nModels).fill(opts.init ?? 1000);
  const rows = order ? order.length : a.length;
  for (let x = 0; x < rows; x++) {
    const idx = order ? (order[x] as number) : x;
    const ia = a[idx] as number;
    const ib = b[idx] as number;
    const ea = 1 / (1 + base ** (((r[ib] as number) - (r[ia] as number)) / scale));
    const s = outcome[idx] as number;
    r[ia] = (r[ia] as number) + K * (s - ea);
    r[ib] = (r[ib] as number) - K * (s - ea);
  }
  return r;
}
