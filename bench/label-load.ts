/**
 * Load benchmark of the labeling API: `npx tsx bench/label-load.ts [--labelers N] [--k K] [--concurrency C | --rate R]
 * [--warmup S] [--db postgres://...|temp-postgres --instances N] [--flow combined|separate] [--pg-commit durable|test]
 * [--disk-probe]`.
 *
 * With --db, the same load then runs against N server processes on that PostgreSQL database (`temp-postgres`
 * starts a throwaway cluster, test/support/postgres.ts), each request going to the next instance in turn (a load
 * balancer without sticky sessions), and the PostgreSQL figures are printed with their ratio to the SQLite
 * single-instance run of the same script.
 *
 * The parent process runs the real server (hono on node:http, SQLite file in WAL mode) on 127.0.0.1; a
 * separate child process is the load generator: it signs up labelers, then each virtual labeler fetches
 * its first pair and votes K times, C labelers at a time, over keep-alive HTTP (a lean HTTP/1.1 client,
 * test/support/keepalive-http.ts: the load shares the servers' cores, and node:http's client cost it 0.20-0.23 ms
 * of CPU per vote against 0.13-0.16), each vote asking for the next
 * pair in its answer as the web page does (`--flow separate`: a GET next before each vote, the flow before the
 * vote carried the next pair). Reported: votes/s over the
 * whole voting phase (next-pair requests included), latency percentiles of the vote requests, and a check
 * that the number of votes stored equals the number the server acknowledged. Baseline in the same run:
 * the same votes through the service in-process, without HTTP.
 *
 * `--rate R` (open loop, combined flow only): C labelers at a time measure the most the servers can take, and once
 * the cores are saturated the latency is the queue's, whatever the code does. With a rate, votes are sent at R per
 * second on a fixed schedule, whether or not earlier answers came back (as users arrive), each from a labeler whose
 * previous answer brought its next pair; every labeler's first pair is fetched before the timed phase. A vote's
 * latency runs from its scheduled time, not from when it was sent, so a server that falls behind is charged for the
 * wait (no coordinated omission). The target then reads: R = 1,000 sustained with p99 < 50 ms. The PostgreSQL run
 * prints the p99 of each second, and beside it what can explain a slow one: the p99 of each instance, the steal of
 * each second (time the host took from this machine's cores), each process's longest event-loop delay and GC
 * pauses, the cluster's time in fdatasync (a temp-postgres cluster), and with `--disk-probe` the longest of a
 * 512-byte write and fdatasync beside the cluster every 10 ms.
 * `--warmup S` (default 2): the first S seconds of votes, at the same rate and from labelers of their own, warm the
 * servers' vote path and their connections (in a fresh process the first few hundred votes run while V8 compiles
 * that code: their p99 was 27-129 ms in quiet runs, against 14-35 ms for the seconds after); their latency is
 * printed apart, and the measured votes are the --labelers x K after them (wrk2 leaves its first seconds out of
 * its latencies the same way). Every vote, warm-up included, counts in stored == acknowledged.
 * `MM_PROF=DIR` (environment): the load process and each server instance write a V8 CPU profile of their whole life
 * into DIR (`--cpu-profile` profiles the servers over the voting phase only).
 */
import { fork, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  fdatasync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  write,
  writeFileSync,
} from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import { parseArgs } from "node:util";
import pg from "pg";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { labelingRoutes } from "../src/http/routes/labeling.ts";
import { LabelingService } from "../src/labeling/service.ts";
import { openStoreAt } from "../src/store/open.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { LeanClient } from "../test/support/keepalive-http.ts";
import { seedAnswers } from "../test/support/labeling-fixture.ts";
import { startPostgres } from "../test/support/postgres.ts";

const { values } = parseArgs({
  options: {
    labelers: { type: "string", default: "2500" },
    k: { type: "string", default: "4" },
    concurrency: { type: "string", default: "32" },
    /** Open loop: votes per second on a fixed schedule (see the header); unset: closed loop of --concurrency. */
    rate: { type: "string" },
    /** Open loop: seconds of votes at the same rate before the measured ones (see the header). */
    warmup: { type: "string", default: "2" },
    worker: { type: "string" },
    campaign: { type: "string" },
    db: { type: "string" },
    instances: { type: "string", default: "2" },
    serve: { type: "string" },
    instance: { type: "string", default: "0" },
    /** Write a CPU profile of the server process over the voting phase only (setup and baseline excluded). */
    "cpu-profile": { type: "string" },
    /**
     * `combined` (the web page's flow): each vote asks for the next pair in its answer (`next: true`), one request
     * per vote; `separate`: a GET next before each vote, two requests per vote.
     */
    flow: { type: "string", default: "combined" },
    /** `durable` (fsync, synchronous_commit, full_page_writes on) or `test` (the throwaway cluster's: off). */
    "pg-commit": { type: "string", default: "durable" },
    /** Probe the disk's fdatasync latency over the voting phase (see probeDisk; it adds 100 syncs a second). */
    "disk-probe": { type: "boolean", default: false },
  },
});
if (values.flow !== "combined" && values.flow !== "separate")
  throw new Error(`--flow must be combined or separate, not '${values.flow}'`);
const COMBINED = values.flow === "combined";
if (values["pg-commit"] !== "durable" && values["pg-commit"] !== "test")
  throw new Error(`--pg-commit must be durable or test, not '${values["pg-commit"]}'`);
const LABELERS = Number(values.labelers);
const K = Number(values.k);
const CONCURRENCY = Number(values.concurrency);
const RATE = values.rate === undefined ? undefined : Number(values.rate);
if (RATE !== undefined && !(RATE > 0)) throw new Error(`--rate must be a positive number, not '${values.rate}'`);
if (RATE !== undefined && !COMBINED) throw new Error("--rate needs --flow combined");
const WARM_S = Number(values.warmup);
if (!(WARM_S >= 0)) throw new Error(`--warmup must be a number of seconds, not '${values.warmup}'`);
/** Open loop: the labelers whose votes fill the warm-up, on top of --labelers for the measured phase. */
const WARM_LABELERS = RATE === undefined ? 0 : Math.ceil((WARM_S * RATE) / K);

interface Res {
  status: number;
  body: string;
  setCookie: string[];
}

/** Per second of the voting phase, in one process: its event loop's longest delay and its GC pauses' total. */
interface Pauses {
  loopMaxMs: number[];
  gcMs: number[];
}

/**
 * Starts watching this process's pauses (see Pauses); the function returned stops and returns them, the last,
 * partial second included. A stalled second in the p99 by second is this process's own when its loop delay
 * matches it.
 */
function watchPauses(): () => Pauses {
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let gc = 0;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc += e.duration;
  });
  observer.observe({ entryTypes: ["gc"] });
  const out: Pauses = { loopMaxMs: [], gcMs: [] };
  const second = () => {
    out.loopMaxMs.push(loop.max / 1e6);
    loop.reset();
    out.gcMs.push(gc);
    gc = 0;
  };
  const ticker = setInterval(second, 1000);
  ticker.unref();
  return () => {
    clearInterval(ticker);
    second();
    loop.disable();
    observer.disconnect();
    return out;
  };
}

/**
 * Probes the disk the cluster writes its WAL to (the temp folder's): a 512-byte write and fdatasync every 10 ms,
 * as a commit does; the function returned stops it and returns the longest of each second (ms). A stalled second
 * whose probe also stalled was the disk's (or the host's I/O), not PostgreSQL's or Node's.
 */
function probeDisk(): () => Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), "mm-disk-probe-"));
  const fd = openSync(join(dir, "probe"), "w");
  const block = Buffer.alloc(512, 1);
  const longest: number[] = [];
  const t0 = performance.now();
  let stopped = false;
  let done: () => void = () => {};
  const finished = new Promise<void>((res) => {
    done = res;
  });
  const once = () => {
    if (stopped) return done();
    const a = performance.now();
    write(fd, block, 0, block.length, 0, (err) => {
      if (err) return done();
      fdatasync(fd, (err2) => {
        if (err2) return done();
        const second = Math.floor((a - t0) / 1000);
        longest[second] = Math.max(longest[second] ?? 0, performance.now() - a);
        setTimeout(once, 10);
      });
    });
  };
  once();
  let result: Promise<number[]> | undefined;
  const stop = async () => {
    stopped = true;
    await finished;
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
    return Array.from(longest, (x) => x ?? 0);
  };
  // Stopped once (after the phase's readings, or by the clean-up of a failed run), whoever asks first.
  return () => {
    result ??= stop();
    return result;
  };
}

/** A disk probe over this (ms) marks its second as one of the disk's stalls. */
const DISK_SLOW_MS = 40;

/** Keep-alive connections per instance (test/support/keepalive-http.ts), made on first use. */
const clients = new Map<string, LeanClient>();

function http(base: URL, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Res> {
  let c = clients.get(base.origin);
  if (!c) {
    c = new LeanClient(base);
    clients.set(base.origin, c);
  }
  return c.request(method, path, headers, body).then((r) => ({
    status: r.status,
    body: r.body,
    setCookie: r.headers.get("set-cookie") ?? [],
  }));
}

/**
 * Tells the parent that the setup is done, waits for its go (it may prepare the database meanwhile), then starts the
 * timed phase: the parent starts its CPU readings, and so does this process.
 */
interface Phase {
  cpu0: NodeJS.CpuUsage;
  t0: number;
  pauses: () => Pauses;
}

function startPhase(): Promise<Phase> {
  return new Promise((go) => {
    process.once("message", () => {
      process.send?.({ start: true });
      go({ cpu0: process.cpuUsage(), t0: performance.now(), pauses: watchPauses() });
    });
    process.send?.({ ready: true });
  });
}

async function worker(urls: string, campaign: string): Promise<void> {
  const bases = urls.split(",").map((u) => new URL(u));
  // Requests go to the instances in turn, as a load balancer without sticky sessions sends them.
  let turn = 0;
  const nextInstance = () => turn++ % bases.length;
  const pick = () => bases[nextInstance()] as URL;
  const base = bases[0] as URL;
  // A keep-alive connection per request in flight (in the open loop, per vote in flight, as many users would
  // have); no queue in the client. node:http's client cost this process 0.20-0.23 ms of CPU per vote, on the cores
  // the servers share: the lean client 0.13-0.16 (its test: test/keepalive-http.test.ts).
  // Setup (not timed): sign up the labelers.
  const page = await http(base, "GET", "/label", {});
  const pre = (page.setCookie[0] ?? "").split(";")[0] as string;
  const csrfPre = /name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1] ?? "";
  const labelers: Array<{ cookie: string; csrf: string }> = [];
  const signups = LABELERS + WARM_LABELERS;
  for (let i = 0; i < signups; i += CONCURRENCY) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, signups - i) }, () =>
        http(
          pick(),
          "POST",
          "/api/label/signup",
          { cookie: pre, "x-csrf-token": csrfPre, "content-type": "application/json" },
          "{}",
        ),
      ),
    );
    for (const r of batch) {
      if (r.status !== 200) throw new Error(`signup ${r.status} ${r.body}`);
      const cookie = r.setCookie.find((s) => s.startsWith("mm_session="))?.split(";")[0] as string;
      labelers.push({ cookie, csrf: (JSON.parse(r.body) as { csrf: string }).csrf });
    }
  }
  if (RATE !== undefined) return openLoop(bases, nextInstance, campaign, labelers, RATE);
  const voteMs: number[] = [];
  const nextMs: number[] = [];
  let acknowledged = 0;
  let errors = 0;
  let cursor = 0;
  const choices = ["left", "right", "tie", "both_bad"];
  const phase = await startPhase();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      let n = w;
      for (;;) {
        const i = cursor++;
        if (i >= labelers.length) return;
        const l = labelers[i] as { cookie: string; csrf: string };
        // The combined flow asks /next once, for the labeler's first pair; each vote's answer carries the next.
        let carried: { done: boolean; assignmentId: string } | undefined;
        for (;;) {
          let j = carried;
          if (!j) {
            const a = performance.now();
            const nx = await http(pick(), "GET", `/api/label/${campaign}/next`, { cookie: l.cookie });
            nextMs.push(performance.now() - a);
            if (nx.status !== 200) {
              errors++;
              break;
            }
            j = JSON.parse(nx.body) as { done: boolean; assignmentId: string };
          }
          if (j.done) break;
          const body = JSON.stringify({
            assignmentId: j.assignmentId,
            choice: choices[n++ % 4],
            ...(COMBINED ? { next: true } : {}),
          });
          const b = performance.now();
          const v = await http(
            pick(),
            "POST",
            `/api/label/${campaign}/vote`,
            { cookie: l.cookie, "x-csrf-token": l.csrf, "content-type": "application/json" },
            body,
          );
          voteMs.push(performance.now() - b);
          const vj = v.status === 200 ? (JSON.parse(v.body) as { status: string; next?: typeof j }) : undefined;
          if (vj?.status === "recorded") acknowledged++;
          else errors++;
          carried = vj?.next;
        }
      }
    }),
  );
  endPhase(phase, { acknowledged, errors, voteMs, nextMs });
}

/** Ends the timed phase in the load process: closes its connections and sends the parent its result. */
function endPhase(phase: Phase, result: Omit<LoadResult, "seconds" | "cpuMs" | "pauses">): void {
  const seconds = (performance.now() - phase.t0) / 1000;
  const cpu = process.cpuUsage(phase.cpu0);
  for (const c of clients.values()) c.close();
  const done: LoadResult = { ...result, seconds, cpuMs: (cpu.user + cpu.system) / 1000, pauses: phase.pauses() };
  process.send?.(done);
}

/**
 * The open-loop voting phase (`--rate`): the labelers' first pairs fetched (not timed), then one vote every 1/rate
 * seconds from the labeler at the head of the ready queue; a labeler whose answer carries its next pair goes to the
 * back of the queue. Latency from the vote's scheduled time.
 */
async function openLoop(
  bases: URL[],
  nextInstance: () => number,
  campaign: string,
  labelers: Array<{ cookie: string; csrf: string }>,
  rate: number,
): Promise<void> {
  const ready: Array<{ l: { cookie: string; csrf: string }; assignmentId: string; n: number }> = [];
  let errors = 0;
  /** The first few failed requests, for the report. */
  const seen: string[] = [];
  for (let i = 0; i < labelers.length; i += CONCURRENCY) {
    await Promise.all(
      labelers.slice(i, i + CONCURRENCY).map(async (l, j) => {
        const nx = await http(bases[nextInstance()] as URL, "GET", `/api/label/${campaign}/next`, {
          cookie: l.cookie,
        });
        const body = nx.status === 200 ? (JSON.parse(nx.body) as { done: boolean; assignmentId: string }) : undefined;
        if (body && !body.done) ready.push({ l, assignmentId: body.assignmentId, n: i + j });
        else {
          errors++;
          if (seen.length < 5) seen.push(`first pair: ${nx.status} ${nx.body.slice(0, 200)}`);
        }
      }),
    );
  }
  const voteMs: number[] = [];
  /** Each vote's scheduled time, seconds into the phase, and the instance it went to (voteMs's order). */
  const voteAt: number[] = [];
  const voteInstance: number[] = [];
  let acknowledged = 0;
  let inFlight = 0;
  /** Votes sent more than 5 ms after their time (no labeler ready, or the load process itself behind). */
  let late = 0;
  const choices = ["left", "right", "tie", "both_bad"];
  const phase = await startPhase();
  const t0 = phase.t0;
  let sent = 0;
  const vote = async (
    r: { l: { cookie: string; csrf: string }; assignmentId: string; n: number },
    due: number,
  ): Promise<void> => {
    inFlight++;
    if (performance.now() - due > 5) late++;
    const body = JSON.stringify({ assignmentId: r.assignmentId, choice: choices[r.n++ % 4], next: true });
    const instance = nextInstance();
    const v = await http(
      bases[instance] as URL,
      "POST",
      `/api/label/${campaign}/vote`,
      { cookie: r.l.cookie, "x-csrf-token": r.l.csrf, "content-type": "application/json" },
      body,
    ).catch(() => undefined);
    inFlight--;
    voteMs.push(performance.now() - due);
    voteAt.push((due - t0) / 1000);
    voteInstance.push(instance);
    const vj =
      v?.status === 200
        ? (JSON.parse(v.body) as { status: string; next?: { done: boolean; assignmentId: string } })
        : undefined;
    if (vj?.status === "recorded") acknowledged++;
    else {
      errors++;
      if (seen.length < 5) seen.push(`vote: ${v ? `${v.status} ${v.body.slice(0, 200)}` : "no answer"}`);
    }
    if (vj?.next && !vj.next.done) ready.push({ ...r, assignmentId: vj.next.assignmentId });
  };
  await new Promise<void>((done) => {
    const tick = () => {
      const now = performance.now();
      // Every vote whose time has come is sent now (a late timer sends several).
      while (t0 + (sent * 1000) / rate <= now) {
        const r = ready.shift();
        if (!r) {
          if (inFlight === 0) return done();
          break;
        }
        void vote(r, t0 + (sent * 1000) / rate);
        sent++;
      }
      setTimeout(tick, Math.max(0, t0 + (sent * 1000) / rate - performance.now()));
    };
    tick();
  });
  endPhase(phase, { acknowledged, errors, voteMs, voteAt, voteInstance, nextMs: [], late, errorSamples: seen });
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

interface LoadResult {
  acknowledged: number;
  errors: number;
  seconds: number;
  voteMs: number[];
  /** Open loop: each vote's scheduled time, seconds into the phase, and the instance it went to. */
  voteAt?: number[];
  voteInstance?: number[];
  /** The load process's own pauses by second. */
  pauses?: Pauses;
  nextMs: number[];
  /** The load process's CPU time over the voting phase. */
  cpuMs: number;
  /** Open loop: votes sent more than 5 ms after their scheduled time. */
  late?: number;
  /** Open loop: the first few failed requests (status and body). */
  errorSamples?: string[];
}

/**
 * CPU time (ms) of a PostgreSQL cluster's processes, the postmaster listening on `port` and its children, from
 * /proc (Linux): per live child (with its kind: client backend, autovacuum worker, WAL writer, ...), the
 * postmaster's own, and its exited children's (cutime/cstime: the children it has waited for); undefined elsewhere.
 */
interface PgCpu {
  children: Map<number, { kind: string; ms: number }>;
  master: number;
  exited: number;
}

function postgresCpuMs(port: number): PgCpu | undefined {
  if (!existsSync("/proc")) return undefined;
  const stats = new Map<number, { ppid: number; ms: number; exited: number; cmd: string }>();
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").replaceAll("\0", " ");
      stats.set(Number(d), {
        ppid: Number(f[1]),
        ms: (Number(f[11]) + Number(f[12])) * tick,
        exited: (Number(f[13]) + Number(f[14])) * tick,
        cmd,
      });
    } catch {
      // the process exited while we read
    }
  }
  const master = [...stats].find(([, s]) => / -p \d+/.test(s.cmd) && s.cmd.includes(` -p ${port} `));
  if (master === undefined) return undefined;
  const children = new Map<number, { kind: string; ms: number }>();
  for (const [pid, s] of stats) {
    if (s.ppid !== master[0]) continue;
    // "postgres: walwriter", "postgres: autovacuum worker db", "postgres: user db 127.0.0.1(port) idle"
    const title = s.cmd.replace(/^postgres: /, "").trim();
    const kind =
      /^(checkpointer|background writer|walwriter|autovacuum launcher|autovacuum worker|logical replication launcher)/.exec(
        title,
      )?.[1] ?? "backends";
    children.set(pid, { kind, ms: s.ms });
  }
  return { children, master: master[1].ms, exited: master[1].exited };
}

/** The first line of /proc/stat (the machine's CPU time by state), or undefined where there is none. */
function machineCpu(): number[] | undefined {
  if (!existsSync("/proc/stat")) return undefined;
  return readFileSync("/proc/stat", "utf8").split("\n", 1)[0]?.split(/\s+/).slice(1).map(Number);
}

/**
 * The CPU of the cluster between two readings, by kind for the processes alive at both, and as one figure for
 * those that started or ended in between (autovacuum workers; the pool's connections that idle out, whose CPU
 * before the phase cannot be told apart from the rest of it once they are gone).
 */
function pgCpuBetween(a: PgCpu, b: PgCpu): Map<string, number> {
  const out = new Map<string, number>([["postmaster", b.master - a.master]]);
  let both = b.master - a.master;
  for (const [pid, c] of b.children) {
    const before = a.children.get(pid);
    if (before === undefined) continue;
    out.set(c.kind, (out.get(c.kind) ?? 0) + c.ms - before.ms);
    both += c.ms - before.ms;
  }
  const sum = (x: PgCpu) => x.master + x.exited + [...x.children.values()].reduce((t, c) => t + c.ms, 0);
  out.set("started or ended in the phase", sum(b) - sum(a) - both);
  return out;
}

/** MM_PROF=DIR: the load process and each server instance write a V8 CPU profile of their whole life into DIR. */
function profileFlags(): string[] {
  return process.env.MM_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.MM_PROF}`] : [];
}

/**
 * Runs the load process against `urls` (one or more instances serving `campaign`); `prepare` runs once its setup
 * (sign-ups, first pairs) is done, before the timed voting phase, and `onStart` when that phase begins.
 */
function runLoad(
  urls: string[],
  campaign: string,
  onStart: () => void,
  prepare: () => Promise<void> = async () => {},
): Promise<LoadResult> {
  const child = fork(
    process.argv[1] as string,
    [
      "--worker",
      urls.join(","),
      "--campaign",
      campaign,
      "--labelers",
      String(LABELERS),
      "--k",
      String(K),
      "--concurrency",
      String(CONCURRENCY),
      "--flow",
      values.flow as string,
      ...(RATE !== undefined ? ["--rate", String(RATE)] : []),
    ],
    { execArgv: ["--import", "tsx", ...profileFlags()] },
  );
  return new Promise<LoadResult>((res, rej) => {
    child.on("message", (m) => {
      if ((m as { ready?: boolean }).ready) prepare().then(() => child.send({ go: true }), rej);
      else if ((m as { start?: boolean }).start) onStart();
      else res(m as LoadResult);
    });
    child.once("error", rej);
    child.once("exit", (code) => (code ? rej(new Error(`load process exited ${code}`)) : undefined));
  });
}

function report(name: string, r: LoadResult, stored: number, serverCpuMsPerVote: number): number {
  const rate = r.acknowledged / r.seconds;
  console.log(`  ${name}`);
  console.log(
    `    votes acknowledged ${r.acknowledged}, stored ${stored}, errors ${r.errors}  ${stored === r.acknowledged ? "OK stored == acknowledged" : "MISMATCH"}`,
  );
  console.log(
    `    throughput  ${rate.toFixed(0)} votes/s over ${r.seconds.toFixed(2)} s (${RATE !== undefined ? "one request per vote, each labeler's first pair fetched before the timed phase" : COMBINED ? "one request per vote: each vote's answer carries the next pair, a GET next only for a labeler's first" : "each vote preceded by its GET next request"})`,
  );
  for (const e of r.errorSamples ?? []) console.log(`    failed: ${e}`);
  if (RATE !== undefined)
    console.log(
      `    open loop: ${RATE} votes/s offered on a fixed schedule, latency from each vote's scheduled time; ${r.late ?? 0} of ${r.voteMs.length} sent over 5 ms late`,
    );
  const ms = measuredMs(r);
  console.log(
    `    vote latency${r.voteAt === undefined ? "" : ` (the ${ms.length} votes after the ${WARM_S} s warm-up)`}  p50 ${pct(ms, 0.5).toFixed(2)} ms  p99 ${pct(ms, 0.99).toFixed(2)} ms  max ${pct(ms, 1).toFixed(2)} ms`,
  );
  if (r.voteAt !== undefined) {
    // Whether the tail is spread over the run or comes from a few moments (start-up, a checkpoint, autovacuum).
    console.log(`    p99 by second: ${p99BySecond(r)} ms`);
    const instance = r.voteInstance;
    const instances = instance === undefined ? 0 : instance.reduce((a, b) => Math.max(a, b + 1), 0);
    if (instance !== undefined && instances > 1) {
      const each = Array.from(
        { length: instances },
        (_, n) => `instance ${n}: ${p99BySecond(r, (i) => instance[i] === n)}`,
      );
      console.log(`    p99 by second and instance: ${each.join("; ")} ms`);
    }
    const cold = r.voteMs.filter((_, i) => (r.voteAt?.[i] ?? 0) < WARM_S);
    if (cold.length > 0)
      console.log(
        `    warm-up (the first ${WARM_S} s, ${cold.length} votes; the servers' vote path first run and compiled)  p50 ${pct(cold, 0.5).toFixed(2)} ms  p99 ${pct(cold, 0.99).toFixed(2)} ms  max ${pct(cold, 1).toFixed(2)} ms`,
      );
  }
  if (r.nextMs.length > 0)
    console.log(
      `    GET next latency (${r.nextMs.length} requests)  p50 ${pct(r.nextMs, 0.5).toFixed(2)} ms  p99 ${pct(r.nextMs, 0.99).toFixed(2)} ms`,
    );
  console.log(
    `    server CPU per vote (its next + vote requests, all instances): ${serverCpuMsPerVote.toFixed(3)} ms, about ${(1000 / serverCpuMsPerVote).toFixed(0)} votes/s per free core`,
  );
  return rate;
}

/** Open loop: the p99 of each second of the phase (by scheduled time) over the votes `keep` accepts ("-": none). */
function p99BySecond(r: LoadResult, keep: (i: number) => boolean = () => true): string {
  const seconds: number[][] = [];
  for (const [i, at] of (r.voteAt ?? []).entries()) {
    if (!keep(i)) continue;
    const second = Math.floor(at);
    const bucket = seconds[second] ?? [];
    bucket.push(r.voteMs[i] as number);
    seconds[second] = bucket;
  }
  return Array.from(seconds, (xs) => (xs === undefined ? "-" : pct(xs, 0.99).toFixed(0))).join(" ");
}

const models = ["m1", "m2", "m3", "m4"];

/** The latencies the target reads: in the open loop, the votes scheduled after the warm-up. */
function measuredMs(r: LoadResult): number[] {
  const at = r.voteAt;
  return at === undefined ? r.voteMs : r.voteMs.filter((_, i) => (at[i] as number) >= WARM_S);
}

/** The SQLite single-instance run: the server in this process, the load in a child. */
async function sqliteRun(): Promise<{ rate: number; p99: number; ok: boolean; baseRate: number }> {
  const dir = mkdtempSync(join(tmpdir(), "mm-label-load-"));
  const store = openStore(join(dir, "load.db"));
  await seedAnswers(store, { set: "load", prompts: 400, models });
  const svc = new LabelingService(store);
  const campaign = await svc.createCampaign({ name: "load", setName: "load", models, perLabeler: K, goldRate: 0 });
  const app = createApp({ store }, [labelingRoutes({ signupsPerMinute: 1_000_000 })]);
  const server = await listen(app);
  let cpuStart = process.cpuUsage();
  const profiler = values["cpu-profile"] ? new Session() : undefined;
  profiler?.connect();
  await profiler?.post("Profiler.enable");
  const result = await runLoad([server.url], campaign.id, () => {
    cpuStart = process.cpuUsage();
    void profiler?.post("Profiler.start");
  });
  const cpu = process.cpuUsage(cpuStart);
  if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    writeFileSync(values["cpu-profile"] as string, JSON.stringify(profile));
    profiler.disconnect();
  }
  const stored = await store.votes.count({ sources: [`label:${campaign.id}`] });
  await server.close();

  // Baseline: the same number of votes through the service in-process (no HTTP, no JSON).
  const base = await svc.createCampaign({ name: "baseline", setName: "load", models, perLabeler: K, goldRate: 0 });
  const t0 = performance.now();
  let inproc = 0;
  for (let i = 0; i < LABELERS; i++) {
    const { labeler } = await svc.signup({});
    for (;;) {
      const v = await svc.next(base.id, labeler);
      if (!v) break;
      await svc.vote(base.id, labeler, v.assignmentId, "left");
      inproc++;
    }
  }
  const inprocSeconds = (performance.now() - t0) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const rate = report(
    "SQLite, one instance (in this process)",
    result,
    stored,
    (cpu.user + cpu.system) / 1000 / Math.max(1, result.acknowledged),
  );
  const baseRate = inproc / inprocSeconds;
  console.log(
    `    baseline (service in-process, sign-up+next+vote): ${baseRate.toFixed(0)} votes/s; HTTP/in-process ratio ${(rate / baseRate).toFixed(3)}`,
  );
  return { rate, p99: pct(measuredMs(result), 0.99), ok: stored === result.acknowledged, baseRate };
}

/** One server process of the PostgreSQL run: `--serve URL`; reports its CPU time when told to stop. */
async function serveInstance(db: string): Promise<void> {
  const store = await openStoreAt(db);
  const app = createApp({ store }, [labelingRoutes({ signupsPerMinute: 1_000_000 })]);
  const server = await listen(app);
  let cpuStart = process.cpuUsage();
  // --cpu-profile also profiles each instance over the voting phase (PATH.instance-N.cpuprofile).
  const profilePath = values["cpu-profile"]
    ? `${values["cpu-profile"]}.instance-${values.instance}.cpuprofile`
    : undefined;
  const profiler = profilePath ? new Session() : undefined;
  profiler?.connect();
  await profiler?.post("Profiler.enable");
  let pauses: (() => Pauses) | undefined;
  process.on("message", (m: { start?: boolean; stop?: boolean }) => {
    if (m.start) {
      cpuStart = process.cpuUsage();
      pauses = watchPauses();
      void profiler?.post("Profiler.start");
    }
    if (m.stop) {
      const cpu = process.cpuUsage(cpuStart);
      const paused = pauses?.();
      void (profiler ? profiler.post("Profiler.stop") : Promise.resolve(undefined))
        .then((r) => {
          if (r && profilePath) writeFileSync(profilePath, JSON.stringify(r.profile));
        })
        .then(() => server.close())
        .then(() => store.close())
        .then(() => {
          process.send?.({ cpuMs: (cpu.user + cpu.system) / 1000, pauses: paused }, () => process.exit(0));
        });
    }
  });
  process.send?.({ url: server.url });
}

/** N server processes on one PostgreSQL database, the load spread over them request by request. */
async function postgresRun(
  db: string,
  instances: number,
  pgPort: number | undefined,
): Promise<{ rate: number; p99: number; ok: boolean }> {
  const store = await openStoreAt(db);
  const set = `load-${Date.now().toString(36)}`;
  await seedAnswers(store, { set, prompts: 400, models });
  const campaign = await new LabelingService(store).createCampaign({
    name: "load",
    setName: set,
    models,
    perLabeler: K,
    goldRate: 0,
  });
  const profile = values["cpu-profile"];
  const servers = Array.from({ length: instances }, (_, n) =>
    fork(
      process.argv[1] as string,
      ["--serve", db, "--instance", String(n), ...(profile ? ["--cpu-profile", profile] : [])],
      {
        execArgv: ["--import", "tsx", ...profileFlags()],
      },
    ),
  );
  let result: LoadResult;
  let cpuMs: number[];
  let serverPauses: Array<Pauses | undefined>;
  let diskMs: number[] | undefined;
  let pgCpu0: PgCpu | undefined;
  let cpu0: number[] | undefined;
  let cpu1: number[] | undefined;
  let pgCpuMs: Map<string, number> | undefined;
  const everySecond: number[][] = [];
  let ticker: NodeJS.Timeout | undefined;
  let disk: (() => Promise<number[]>) | undefined;
  // The bench's own cluster: its WAL each second (flushes, time in fdatasync with track_wal_io_timing on, bytes,
  // and the segment file being written), so that a stalled second can be told from a slow disk or a new segment.
  const walClient = pgPort === undefined ? undefined : new pg.Client({ connectionString: db });
  await walClient?.connect();
  type Wal = { syncs: number; ms: number; bytes: number; segment: string };
  const walEverySecond: Array<Promise<Wal | undefined>> = [];
  /** The WAL segment files there before the phase (recycled ones among them): one not there was created in it. */
  let walFiles: Set<string> | undefined;
  const walNow = () =>
    walClient
      ?.query<{ syncs: string; ms: number; bytes: string; segment: string }>(
        "SELECT wal_sync AS syncs, wal_sync_time AS ms, wal_bytes AS bytes, pg_walfile_name(pg_current_wal_lsn()) AS segment FROM pg_stat_wal",
      )
      .then((r) => {
        const w = r.rows[0];
        return w && { syncs: Number(w.syncs), ms: Number(w.ms), bytes: Number(w.bytes), segment: w.segment };
      })
      .catch(() => undefined) ?? Promise.resolve(undefined);
  /**
   * Each second of the phase: the machine's counters (where /proc/stat can be read), for the steal by second beside
   * the p99 by second, and the cluster's WAL.
   */
  const sample = (cpu = machineCpu()) => {
    if (cpu !== undefined) everySecond.push(cpu);
    walEverySecond.push(walNow());
  };
  try {
    const urls = await Promise.all(
      servers.map(
        (s) =>
          new Promise<string>((res, rej) => {
            s.once("message", (m) => res((m as { url: string }).url));
            s.once("exit", (code) => rej(new Error(`server process exited ${code}`)));
          }),
      ),
    );
    result = await runLoad(
      urls,
      campaign.id,
      () => {
        for (const s of servers) s.send({ start: true });
        if (pgPort !== undefined) pgCpu0 = postgresCpuMs(pgPort);
        cpu0 = machineCpu();
        sample(cpu0);
        ticker = setInterval(sample, 1000);
        if (values["disk-probe"]) disk = probeDisk();
      },
      // The database starts empty, and a database in service has statistics: without them the plans (the hot
      // paths' generic plans included, made once per connection) see tables of a few rows and scan them whole
      // while they grow to thousands. Autovacuum would analyze them within its naptime (a minute); the voting
      // phase lasts 10 s. So the tables are analyzed once the sign-ups and first pairs are in, before the timed
      // phase, which then runs with PostgreSQL's own autovacuum settings.
      async () => {
        const admin = new pg.Client({ connectionString: db });
        await admin.connect();
        try {
          await admin.query(
            "ANALYZE labelers, label_campaigns, label_items, label_assignments, votes, prompt_items, answers",
          );
          if (pgPort !== undefined) {
            // The same for the WAL, on the bench's own cluster: a database in service reuses its WAL segment files
            // (a checkpoint renames old ones for new WAL), and a new cluster has none, so every 16 MB of WAL
            // waited for a new file to be zero-filled and synced, and no commit completed meanwhile: once or twice
            // a run, a second whose p99 was 240-390 ms (45-50 ms at most in three runs with wal_init_zero = off).
            // Six segments are written and switched, and the checkpoint recycles them.
            await admin.query("CREATE TABLE bench_wal (x int)");
            for (let i = 0; i < 6; i++) {
              await admin.query("INSERT INTO bench_wal VALUES (1)");
              await admin.query("SELECT pg_switch_wal()");
            }
            await admin.query("DROP TABLE bench_wal");
            await admin.query("CHECKPOINT");
            const files = await admin.query<{ name: string }>("SELECT name FROM pg_ls_waldir()");
            walFiles = new Set(files.rows.map((r) => r.name));
          }
        } finally {
          await admin.end();
        }
        // The steps before (the SQLite run, the new cluster, the setup's rows) leave dirty pages that the kernel
        // writes back about 30 s after they were dirtied (vm.dirty_expire_centisecs): vmstat put a write-back of
        // 150-200 MB in the first second of the warm-up. A database in service has no such backlog of another
        // program's writes; `sync` writes it out before the phase.
        spawnSync("sync");
      },
    );
    clearInterval(ticker);
    const pgCpu1 = pgPort === undefined ? undefined : postgresCpuMs(pgPort);
    cpu1 = machineCpu();
    // The last, partial second.
    sample(cpu1);
    if (pgCpu0 !== undefined && pgCpu1 !== undefined) pgCpuMs = pgCpuBetween(pgCpu0, pgCpu1);
    diskMs = await disk?.();
    const stopped = await Promise.all(
      servers.map(
        (s) =>
          new Promise<{ cpuMs: number; pauses?: Pauses }>((res) => {
            s.once("message", (m) => res(m as { cpuMs: number; pauses?: Pauses }));
            s.send({ stop: true });
          }),
      ),
    );
    cpuMs = stopped.map((x) => x.cpuMs);
    serverPauses = stopped.map((x) => x.pauses);
  } finally {
    // A failed run leaves no server, probe or connection behind.
    for (const s of servers) if (s.exitCode === null) s.kill();
    clearInterval(ticker);
    await disk?.();
    await Promise.all(walEverySecond);
    await walClient?.end();
  }
  const wal = await Promise.all(walEverySecond);
  const stored = await store.votes.count({ sources: [`label:${campaign.id}`] });
  await store.close();
  const rate = report(
    `PostgreSQL, ${instances} instance${instances === 1 ? "" : "s"} (separate processes, requests in turn)`,
    result,
    stored,
    cpuMs.reduce((a, b) => a + b, 0) / Math.max(1, result.acknowledged),
  );
  // The machine's CPU per vote, by process: what bounds the throughput when they all share a few cores.
  const per = (ms: number) => ms / Math.max(1, result.acknowledged);
  const servers_ = per(cpuMs.reduce((a, b) => a + b, 0));
  const load = per(result.cpuMs);
  const pgPer = pgCpuMs === undefined ? undefined : per([...pgCpuMs.values()].reduce((a, b) => a + b, 0));
  const total = servers_ + load + (pgPer ?? 0);
  console.log(
    `    CPU per vote over the voting phase: servers ${servers_.toFixed(3)} ms, PostgreSQL ${pgPer === undefined ? "(not measured: not a temp-postgres cluster on Linux)" : `${pgPer.toFixed(3)} ms`}, load process ${load.toFixed(3)} ms; total ${total.toFixed(3)} ms, at most ${(1000 / total).toFixed(0)} votes/s per core`,
  );
  if (cpu0 !== undefined && cpu1 !== undefined) {
    // /proc/stat's cpu line: user nice system idle iowait irq softirq steal. Steal is the time this virtual
    // machine's cores were ready to run and the host ran something else: noise the code cannot answer for.
    const d = cpu1.map((x, i) => x - (cpu0?.[i] ?? 0));
    const all = d.slice(0, 8).reduce((a, b) => a + b, 0);
    console.log(
      `    the machine over the phase: busy ${((100 * (all - (d[3] ?? 0) - (d[4] ?? 0))) / all).toFixed(0)}% of its cores, steal ${((100 * (d[7] ?? 0)) / all).toFixed(1)}%`,
    );
    const steal = everySecond.slice(1).map((b, i) => {
      const a = everySecond[i] as number[];
      const dd = b.map((x, j) => x - (a[j] ?? 0));
      const sum = dd.slice(0, 8).reduce((x, y) => x + y, 0);
      return sum > 0 ? (100 * (dd[7] ?? 0)) / sum : 0;
    });
    if (steal.length > 0)
      console.log(`    steal by second (as the p99 by second): ${steal.map((x) => x.toFixed(0)).join(" ")} %`);
  }
  const byTick = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(" ");
  const walRead = wal.filter((w) => w !== undefined);
  if (walRead.length > 1 && walRead.length === wal.length) {
    const d = walRead.slice(1).map((w, i) => {
      const before = walRead[i] as Wal;
      return {
        syncs: w.syncs - before.syncs,
        ms: w.ms - before.ms,
        mb: (w.bytes - before.bytes) / 2 ** 20,
        segment: w.segment !== before.segment ? w.segment : undefined,
      };
    });
    const entered = d.flatMap((x, i) =>
      x.segment === undefined ? [] : [`${i}${walFiles && !walFiles.has(x.segment) ? " (created)" : " (recycled)"}`],
    );
    console.log(
      `    WAL by second: ms in fdatasync ${byTick(d.map((x) => x.ms))}; flushes ${byTick(d.map((x) => x.syncs))}; MB ${byTick(d.map((x) => x.mb))}; next segment file entered in second ${entered.join(", ") || "none"}`,
    );
  }
  if (diskMs !== undefined) {
    console.log(
      `    disk probe (a 512-byte write and fdatasync every 10 ms, beside the cluster), longest by second: ${byTick(diskMs)} ms`,
    );
    // A commit waits for its WAL's fdatasync, so a second in which the disk took over DISK_SLOW_MS for one holds
    // up every vote in flight. Apart, for the reader: the measured votes in flight in no such second.
    const voteAt = result.voteAt;
    if (voteAt !== undefined) {
      const slow = new Set(diskMs.flatMap((ms, second) => (ms > DISK_SLOW_MS ? [second] : [])));
      const calm = result.voteMs.filter((ms, i) => {
        const at = voteAt[i] as number;
        if (at < WARM_S) return false;
        for (let second = Math.floor(at); second <= Math.floor(at + ms / 1000); second++)
          if (slow.has(second)) return false;
        return true;
      });
      console.log(
        `    seconds in which the probe waited over ${DISK_SLOW_MS} ms: ${[...slow].join(" ") || "none"}; p99 of the measured votes in flight in none of them: ${pct(calm, 0.99).toFixed(2)} ms (${calm.length} votes)`,
      );
    }
  }
  // A stalled second that one process's event loop shows too was that process's own (its GC, its compiler, or
  // the scheduler), one that none shows was outside Node (PostgreSQL, the disk, the host).
  const processes: Array<[string, Pauses | undefined]> = [
    ...serverPauses.map((p, n): [string, Pauses | undefined] => [`server ${n}`, p]),
    ["load", result.pauses],
  ];
  if (processes.every(([, p]) => p !== undefined)) {
    console.log(
      `    longest event-loop delay by second: ${processes.map(([name, p]) => `${name}: ${byTick(p?.loopMaxMs ?? [])}`).join("; ")} ms`,
    );
    console.log(
      `    GC pauses by second: ${processes.map(([name, p]) => `${name}: ${byTick(p?.gcMs ?? [])}`).join("; ")} ms`,
    );
  }
  if (pgCpuMs !== undefined)
    console.log(
      `    PostgreSQL by process: ${[...pgCpuMs]
        .filter(([, ms]) => ms > 0)
        .sort((a, b) => b[1] - a[1])
        .map(([kind, ms]) => `${kind} ${per(ms).toFixed(3)} ms`)
        .join(", ")}`,
    );
  return { rate, p99: pct(measuredMs(result), 0.99), ok: stored === result.acknowledged };
}

async function main(): Promise<void> {
  const instances = Number(values.instances);
  console.log(
    `label-load: ${LABELERS} labelers x K=${K}, ${RATE !== undefined ? `open loop at ${RATE} votes/s after a ${WARM_S} s warm-up (${WARM_LABELERS} labelers more)` : `${CONCURRENCY} concurrent`}, separate load process over loopback, flow ${values.flow} (${COMBINED ? "vote answers carry the next pair" : "GET next + POST vote"})`,
  );
  const sqlite = await sqliteRun();
  if (!values.db) {
    const pass = sqlite.rate >= 1000 && sqlite.p99 < 50 && sqlite.ok;
    console.log(`  target >= 1000 votes/s, p99 < 50 ms, stored == acknowledged: ${pass ? "MET" : "NOT MET"}`);
    return;
  }
  let db = values.db;
  // The test cluster trades durability for speed (fsync, synchronous_commit and full_page_writes off); an
  // acknowledged vote must be durable, so the bench's cluster has them on, as a database in service does
  // (`--pg-commit test` keeps the test cluster's settings, for comparison with older figures).
  const cluster =
    db === "temp-postgres"
      ? await startPostgres(
          values["pg-commit"] === "durable"
            ? {
                settings: { fsync: "on", synchronous_commit: "on", full_page_writes: "on", track_wal_io_timing: "on" },
              }
            : {},
        )
      : undefined;
  try {
    if (cluster) {
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      const shown = await admin.query<{ name: string; setting: string }>(
        "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes') ORDER BY name",
      );
      console.log(`  PostgreSQL cluster: ${shown.rows.map((r) => `${r.name}=${r.setting}`).join(", ")}`);
      await admin.end();
      db = await cluster.createDatabase();
    }
    const pgRun = await postgresRun(db, instances, cluster?.port);
    console.log(
      `  PostgreSQL x${instances} / SQLite x1: throughput ratio ${(pgRun.rate / sqlite.rate).toFixed(3)}, p99 ratio ${(pgRun.p99 / sqlite.p99).toFixed(3)}`,
    );
    // Open loop: the offered rate is the throughput when every vote was answered in time; the measured one falls
    // short of it by the last answer's latency over the phase (10 s), hence 1%.
    const sustained = RATE === undefined ? pgRun.rate >= 1000 : RATE >= 1000 && pgRun.rate >= 0.99 * RATE;
    const pass = sustained && pgRun.p99 < 50 && pgRun.ok;
    console.log(
      `  target (PostgreSQL, ${instances} instances) >= 1000 votes/s${RATE === undefined ? "" : " sustained"}, p99 < 50 ms, stored == acknowledged: ${pass ? "MET" : "NOT MET"}`,
    );
  } finally {
    await cluster?.stop();
  }
}

if (values.worker) await worker(values.worker, values.campaign as string);
else if (values.serve) await serveInstance(values.serve);
else await main();
