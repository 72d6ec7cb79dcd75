/**
 * Benchmark of `modelmap rank` (issue 2): Bradley-Terry point fit + 1000 bootstrap rounds on
 *   1. the 2024-08-14 Chatbot Arena counts (129 models, 3,460 pairs, 1,670,250 battles), target < 2 s, < 300 MB;
 *   2. the 26,919 battles of the 33k file (read, aggregate, fit, bootstrap), target < 1 s.
 * Each is compared with a straightforward implementation written here: resample battle rows with
 * replacement, aggregate, refit from scratch with Newton's method. The baseline runs a few rounds and its
 * per-round time is extrapolated.
 *
 * Cost model. Fast path per round: one multinomial draw over 3 cells per pair (O(pairs), independent of the
 * number of battles) plus a few chord-Newton steps, each O(pairs + k^2) with the k x k information matrix
 * factored once (O(k^3)) for all rounds. So total = O(battles) to read + O(k^3) once + rounds * O(pairs +
 * k^2) * steps. Baseline per round: O(battles) to resample + O(k^3) per Newton step. Growth: linear in
 * rounds for both; the fast path does not grow with battles at all after loading, the baseline does.
 *
 * Run: npx tsx bench/rank.ts
 */
import { aggregateVotes, toPairTable } from "../src/arena/aggregate.ts";
import { rankCounts } from "../src/arena/rank.ts";
import { readVoteFile } from "../src/arena/read-votes.ts";
import { createRng } from "../src/core/rng.ts";
import { fitBradleyTerry, type PairTable, toRatings } from "../src/stats/bradley-terry.ts";
import { sharedData } from "../test/support/shared-data.ts";

const ROUNDS = 1000;

function baselineRounds(t: PairTable, rounds: number, seed: number): number {
  // Expand to battle rows: pair index and outcome (0 = i wins, 1 = j wins, 2 = tie).
  let n = 0;
  for (let r = 0; r < t.i.length; r++) n += t.winI[r]! + t.winJ[r]! + t.ties[r]!;
  const pair = new Int32Array(n);
  const outcome = new Uint8Array(n);
  let x = 0;
  for (let r = 0; r < t.i.length; r++) {
    for (let c = 0; c < t.winI[r]!; c++) {
      pair[x] = r;
      outcome[x++] = 0;
    }
    for (let c = 0; c < t.winJ[r]!; c++) {
      pair[x] = r;
      outcome[x++] = 1;
    }
    for (let c = 0; c < t.ties[r]!; c++) {
      pair[x] = r;
      outcome[x++] = 2;
    }
  }
  const rng = createRng(seed);
  const start = performance.now();
  let check = 0;
  for (let round = 0; round < rounds; round++) {
    const u: PairTable = {
      k: t.k,
      i: t.i,
      j: t.j,
      winI: new Float64Array(t.i.length),
      winJ: new Float64Array(t.i.length),
      ties: new Float64Array(t.i.length),
    };
    for (let s = 0; s < n; s++) {
      const row = rng.int(n);
      const arr = outcome[row] === 0 ? u.winI : outcome[row] === 1 ? u.winJ : u.ties;
      const pr = pair[row]!;
      arr[pr] = arr[pr]! + 1;
    }
    check += toRatings(fitBradleyTerry(u).params, t.k)[0]!;
  }
  if (!Number.isFinite(check)) throw new Error("baseline failed");
  return (performance.now() - start) / rounds;
}

/** CPU time (user + system) since `start`: on a shared machine it is steadier than wall time. */
function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

function line(label: string, ms: number, cpuMs: number, baselineMsPerRound: number, target: number): void {
  const perRound = ms / ROUNDS;
  console.log(
    `${label}: ${ms.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU (target < ${target} ms) | ${(1000 / perRound).toFixed(0)} rounds/s | baseline ${(1000 / baselineMsPerRound).toFixed(1)} rounds/s | speed-up x${(baselineMsPerRound / perRound).toFixed(0)}`,
  );
}

// 1. Counts file.
{
  const file = sharedData("arena_pairwise_counts_20240814/chatbotarena_20240814.json");
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const vf = readVoteFile(file);
  const report = rankCounts(vf.counts!, { bootstrap: ROUNDS, seed: 1 });
  const ms = performance.now() - t0;
  const cpu = cpuMs(c0);
  const rss = process.resourceUsage().maxRSS;
  const base = baselineRounds(toPairTable(vf.counts!), 3, 2);
  line(
    `counts (${report.totals.models} models, ${report.totals.battles} battles, ${ROUNDS} rounds)`,
    ms,
    cpu,
    base,
    2000,
  );
  console.log(
    `  peak RSS after the fast path: ${mb(rss)} (target < 300 MB); newton refits ${report.bootstrap.newton_refits}, top: ${report.models[0]!.model} ${report.models[0]!.rating.toFixed(1)} [${report.models[0]!.ci_lower.toFixed(1)}, ${report.models[0]!.ci_upper.toFixed(1)}]`,
  );
}

// 2. The 33k battles, from the file.
{
  const file = sharedData("arena_33k_pprank/human.json");
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const vf = readVoteFile(file);
  const counts = aggregateVotes(vf.votes);
  const tRead = performance.now() - t0;
  const report = rankCounts(counts, { bootstrap: ROUNDS, seed: 1 });
  const ms = performance.now() - t0;
  const cpu = cpuMs(c0);
  const base = baselineRounds(toPairTable(counts), 20, 3);
  line(
    `33k file (${report.totals.models} models, ${report.totals.battles} battles, ${ROUNDS} rounds)`,
    ms,
    cpu,
    base,
    1000,
  );
  console.log(
    `  of which reading + aggregating: ${tRead.toFixed(0)} ms; peak RSS ${mb(process.resourceUsage().maxRSS)}`,
  );
}
