/**
 * The body-size limit under the issue 19 attack: `npx tsx bench/body-limit.ts [--mb 300]`.
 *
 * A child process runs `modelmap serve`'s app (every route module, a SQLite file) on 127.0.0.1; this process
 * POSTs a body of --mb megabytes with its Content-Length to /api/label/signup, writing it as fast as the server
 * takes it, and stops writing when the answer comes. Then it sends a request that promises
 * `Content-Length: 10000000000` and sends nothing. Reported per server: the answer and how long it took, the
 * bytes written before it, and the server's resident memory (VmRSS) before and its peak (VmHWM) after, from
 * /proc. Baseline in the same run: the same app with the limit lifted (`maxBodyBytes: Infinity`), which is
 * what every route did before the limit existed.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import { openStore } from "../src/store/sqlite/index.ts";

const { values } = parseArgs({
  options: { mb: { type: "string", default: "300" }, server: { type: "string" }, db: { type: "string" } },
});

if (values.server !== undefined) {
  // Child: serve until killed.
  const store = openStore(values.db as string);
  const max = values.server === "unlimited" ? Number.POSITIVE_INFINITY : undefined;
  const s = await listen(createApp({ store }, ROUTE_MODULES, max === undefined ? {} : { maxBodyBytes: max }));
  process.send?.({ port: s.port });
} else {
  await main();
}

function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

interface Shot {
  status: number | string;
  ms: number;
  sentMb: number;
}

/** One request that declares `declared` bytes and writes `send` bytes in 1 MiB chunks until answered. */
/** A sign-up page's pre-session cookie and CSRF token: with them the sign-up route reads its body. */
async function csrf(port: number): Promise<{ cookie: string; token: string }> {
  const page = await fetch(`http://127.0.0.1:${port}/label`);
  const cookie = page.headers.getSetCookie()[0]?.split(";")[0] ?? "";
  const token = /name="csrf-token" content="([^"]*)"/.exec(await page.text())?.[1] ?? "";
  return { cookie, token };
}

function shoot(
  port: number,
  auth: { cookie: string; token: string },
  declared: number,
  send: number,
  timeoutMs: number,
): Promise<Shot> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    let sent = 0;
    let done = false;
    const finish = (status: number | string) => {
      if (done) return;
      done = true;
      resolve({ status, ms: performance.now() - t0, sentMb: sent / 2 ** 20 });
      req.destroy();
    };
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/api/label/signup",
        agent: false,
        headers: {
          "content-type": "application/json",
          "content-length": String(declared),
          cookie: auth.cookie,
          "x-csrf-token": auth.token,
        },
      },
      (res) => {
        res.resume();
        finish(res.statusCode ?? 0);
      },
    );
    req.on("error", (e) => finish(`error ${(e as NodeJS.ErrnoException).code ?? e.message}`));
    setTimeout(() => finish(`no answer in ${timeoutMs / 1000} s`), timeoutMs).unref();
    req.flushHeaders();
    const chunk = Buffer.alloc(2 ** 20, 0x20);
    const pump = () => {
      while (!done && sent < send) {
        const n = Math.min(chunk.length, send - sent);
        sent += n;
        if (!req.write(n === chunk.length ? chunk : chunk.subarray(0, n))) {
          req.once("drain", pump);
          return;
        }
      }
    };
    pump();
  });
}

async function startServer(mode: "limited" | "unlimited", db: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(import.meta.filename, ["--server", mode, "--db", db], {
    execArgv: ["--import", "tsx"],
    stdio: "inherit",
  });
  const port = await new Promise<number>((res, rej) => {
    child.once("message", (m) => res((m as { port: number }).port));
    child.once("exit", (code) => rej(new Error(`server exited ${code}`)));
  });
  return { child, port };
}

async function run(mode: "limited" | "unlimited", mb: number, db: string) {
  const { child, port } = await startServer(mode, db);
  try {
    await fetch(`http://127.0.0.1:${port}/healthz`);
    const auth = await csrf(port);
    const before = memory(child.pid as number);
    const big = await shoot(port, auth, mb * 2 ** 20, mb * 2 ** 20, 120_000);
    await new Promise((r) => setTimeout(r, 500));
    const after = memory(child.pid as number);
    const promise = await shoot(port, auth, 10_000_000_000, 0, 5_000);
    return { mode, before, after, big, promise };
  } finally {
    child.kill();
  }
}

async function main() {
  const mb = Number(values.mb);
  const dir = mkdtempSync(join(tmpdir(), "mm-body-limit-"));
  try {
    const db = join(dir, "bench.db");
    await openStore(db).close();
    console.log(
      `POST ${mb} MB to /api/label/signup (Content-Length declared), then a 10 GB Content-Length with no body\n`,
    );
    const rows = [await run("limited", mb, db), await run("unlimited", mb, db)];
    const f = (n: number) => n.toFixed(0).padStart(6);
    console.log("server                        answer   ms  MB sent  RSS before  peak RSS after  | 10 GB promise");
    for (const r of rows) {
      const name = r.mode === "limited" ? "limit 1 MiB (serve default)" : "no limit (baseline, as before)";
      console.log(
        `${name.padEnd(30)}${String(r.big.status).padStart(6)} ${f(r.big.ms)} ${f(r.big.sentMb)}  ${f(r.before.rss)} MB  ${f(r.after.peak)} MB       | ${r.promise.status} after ${r.promise.ms.toFixed(0)} ms`,
      );
    }
    const [lim, base] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const growth = (r: typeof lim) => r.after.peak - r.before.rss;
    console.log(
      `\npeak memory growth: ${growth(lim).toFixed(0)} MB with the limit vs ${growth(base).toFixed(0)} MB without (${(growth(base) / Math.max(1, growth(lim))).toFixed(0)}x less); answer ${(base.big.ms / Math.max(1, lim.big.ms)).toFixed(0)}x sooner`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
