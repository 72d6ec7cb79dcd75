/**
 * Load benchmark of the labeling API: `npx tsx bench/label-load.ts [--labelers N] [--k K] [--concurrency C]`.
 *
 * The parent process runs the real server (hono on node:http, SQLite file in WAL mode) on 127.0.0.1; a
 * separate child process is the load generator: it signs up labelers, then each virtual labeler fetches
 * its next pair and votes, K times, C labelers at a time, over keep-alive HTTP. Reported: votes/s over the
 * whole voting phase (next-pair requests included), latency percentiles of the vote requests, and a check
 * that the number of votes stored equals the number the server acknowledged. Baseline in the same run:
 * the same votes through the service in-process, without HTTP.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { labelingRoutes } from "../src/http/routes/labeling.ts";
import { LabelingService } from "../src/labeling/service.ts";
import { openStore } from "../src/store/sqlite/index.ts";
import { seedAnswers } from "../test/support/labeling-fixture.ts";

const { values } = parseArgs({
  options: {
    labelers: { type: "string", default: "2500" },
    k: { type: "string", default: "4" },
    concurrency: { type: "string", default: "32" },
    worker: { type: "string" },
    campaign: { type: "string" },
    /** Write a CPU profile of the server process over the voting phase only (setup and baseline excluded). */
    "cpu-profile": { type: "string" },
  },
});
const LABELERS = Number(values.labelers);
const K = Number(values.k);
const CONCURRENCY = Number(values.concurrency);

interface Res {
  status: number;
  body: string;
  setCookie: string[];
}

function http(
  agent: Agent,
  base: URL,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        method,
        path,
        headers: body ? { ...headers, "content-length": Buffer.byteLength(body) } : headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString("utf8"),
            setCookie: res.headers["set-cookie"] ?? [],
          }),
        );
      },
    );
    req.on("error", reject);
    if (body) req.write(body);
    req.end();
  });
}

async function worker(url: string, campaign: string): Promise<void> {
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  // Setup (not timed): sign up the labelers.
  const page = await http(agent, base, "GET", "/label", {});
  const pre = (page.setCookie[0] ?? "").split(";")[0] as string;
  const csrfPre = /name="csrf-token" content="([^"]*)"/.exec(page.body)?.[1] ?? "";
  const labelers: Array<{ cookie: string; csrf: string }> = [];
  for (let i = 0; i < LABELERS; i += CONCURRENCY) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(CONCURRENCY, LABELERS - i) }, () =>
        http(
          agent,
          base,
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
  const voteMs: number[] = [];
  const nextMs: number[] = [];
  let acknowledged = 0;
  let errors = 0;
  let cursor = 0;
  const choices = ["left", "right", "tie", "both_bad"];
  process.send?.({ start: true });
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, w) => {
      let n = w;
      for (;;) {
        const i = cursor++;
        if (i >= labelers.length) return;
        const l = labelers[i] as { cookie: string; csrf: string };
        for (;;) {
          const a = performance.now();
          const nx = await http(agent, base, "GET", `/api/label/${campaign}/next`, { cookie: l.cookie });
          nextMs.push(performance.now() - a);
          if (nx.status !== 200) {
            errors++;
            break;
          }
          const j = JSON.parse(nx.body) as { done: boolean; assignmentId: string };
          if (j.done) break;
          const body = JSON.stringify({ assignmentId: j.assignmentId, choice: choices[n++ % 4] });
          const b = performance.now();
          const v = await http(
            agent,
            base,
            "POST",
            `/api/label/${campaign}/vote`,
            { cookie: l.cookie, "x-csrf-token": l.csrf, "content-type": "application/json" },
            body,
          );
          voteMs.push(performance.now() - b);
          if (v.status === 200 && (JSON.parse(v.body) as { status: string }).status === "recorded") acknowledged++;
          else errors++;
        }
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  process.send?.({ acknowledged, errors, seconds, voteMs, nextMs });
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "mm-label-load-"));
  const store = openStore(join(dir, "load.db"));
  const models = ["m1", "m2", "m3", "m4"];
  await seedAnswers(store, { set: "load", prompts: 400, models });
  const svc = new LabelingService(store);
  const campaign = await svc.createCampaign({ name: "load", setName: "load", models, perLabeler: K, goldRate: 0 });
  const app = createApp({ store }, [labelingRoutes({ signupsPerMinute: 1_000_000 })]);
  const server = await listen(app);
  const child = fork(
    process.argv[1] as string,
    [
      "--worker",
      server.url,
      "--campaign",
      campaign.id,
      "--labelers",
      String(LABELERS),
      "--k",
      String(K),
      "--concurrency",
      String(CONCURRENCY),
    ],
    {
      execArgv: ["--import", "tsx"],
    },
  );
  let cpuStart = process.cpuUsage();
  const profiler = values["cpu-profile"] ? new Session() : undefined;
  profiler?.connect();
  await profiler?.post("Profiler.enable");
  const result = await new Promise<{
    acknowledged: number;
    errors: number;
    seconds: number;
    voteMs: number[];
    nextMs: number[];
  }>((res, rej) => {
    child.on("message", (m) => {
      if ((m as { start?: boolean }).start) {
        cpuStart = process.cpuUsage();
        void profiler?.post("Profiler.start");
      } else res(m as never);
    });
    child.once("error", rej);
    child.once("exit", (code) => (code ? rej(new Error(`load process exited ${code}`)) : undefined));
  });
  const cpu = process.cpuUsage(cpuStart);
  if (profiler) {
    const { profile } = await profiler.post("Profiler.stop");
    writeFileSync(values["cpu-profile"] as string, JSON.stringify(profile));
    profiler.disconnect();
  }
  const serverCpuMsPerVote = (cpu.user + cpu.system) / 1000 / Math.max(1, result.acknowledged);
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

  const httpRate = result.acknowledged / result.seconds;
  const baseRate = inproc / inprocSeconds;
  console.log(
    `label-load: ${LABELERS} labelers x K=${K}, ${CONCURRENCY} concurrent, separate load process over loopback`,
  );
  console.log(
    `  votes acknowledged ${result.acknowledged}, stored ${stored}, errors ${result.errors}  ${stored === result.acknowledged ? "OK stored == acknowledged" : "MISMATCH"}`,
  );
  console.log(
    `  throughput  ${httpRate.toFixed(0)} votes/s over ${result.seconds.toFixed(2)} s (each vote preceded by its next-pair request)`,
  );
  console.log(
    `  vote latency  p50 ${pct(result.voteMs, 0.5).toFixed(2)} ms  p99 ${pct(result.voteMs, 0.99).toFixed(2)} ms  max ${pct(result.voteMs, 1).toFixed(2)} ms`,
  );
  console.log(
    `  server CPU per vote (its next + vote requests): ${serverCpuMsPerVote.toFixed(3)} ms, about ${(1000 / serverCpuMsPerVote).toFixed(0)} votes/s per free core`,
  );
  console.log(
    `  next latency  p50 ${pct(result.nextMs, 0.5).toFixed(2)} ms  p99 ${pct(result.nextMs, 0.99).toFixed(2)} ms`,
  );
  console.log(
    `  baseline (service in-process, sign-up+next+vote): ${baseRate.toFixed(0)} votes/s; HTTP/in-process ratio ${(httpRate / baseRate).toFixed(3)}`,
  );
  const pass = httpRate >= 1000 && pct(result.voteMs, 0.99) < 50 && stored === result.acknowledged;
  console.log(`  target >= 1000 votes/s, p99 < 50 ms, stored == acknowledged: ${pass ? "MET" : "NOT MET"}`);
}

if (values.worker) await worker(values.worker, values.campaign as string);
else await main();
