/**
 * The bad-input corpus: one table of hostile or broken inputs (files and arguments), each run through the real
 * CLI entry, with the exit code and the words the message must hold. Most run in-process (runCaptured) for
 * speed; those marked `bin` run `bin/modelmap.js` in a child process for the real exit code (a crash shows
 * as a signal there). Done when no case crashes (exit code outside 0-2, a signal, a raw JavaScript error or
 * stack trace) or hangs (each has a time limit), and every user error exits 2 naming its file, line or field.
 *
 * Placeholders in arguments and expectations: {d} the case's own directory (its `files` are written there and
 * it is the working directory), {tasks} and {data} a valid task directory and its data, {model} a tiny valid
 * GGUF, {url} a well-behaved OpenAI-compatible server, {busy} a port already in use, {gguf} the directory of
 * crafted GGUF files. Every case gets its own database ({d}/m.db) unless it names --db itself.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, test } from "node:test";
import { BAD_INPUT_CASES, type Case, type CaseContext } from "./support/bad-input-cases.ts";
import { runCaptured } from "./support/cli.ts";
import { type EvalFixture, makeEvalFixture } from "./support/eval-fixture.ts";
import { type FaultServer, startFaultServer } from "./support/fault-server.ts";
import { encodeRaw, HOSTILE_GGUFS, tinyRaw, UNLOADABLE_GGUFS } from "./support/hostile-gguf.ts";

const root = mkdtempSync(join(tmpdir(), "mm-bad-input-"));
let fixture: EvalFixture;
let server: FaultServer;
let busy: Server;
let ctx: CaseContext;

before(async () => {
  fixture = makeEvalFixture({ dir: join(root, "fixture"), mcDocs: 8, genDocs: 3 });
  server = await startFaultServer();
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", () => resolve()));
  const addr = busy.address();
  const ggufDir = join(root, "gguf");
  mkdirSync(ggufDir);
  const base = tinyRaw(ggufDir);
  writeFileSync(join(ggufDir, "valid.gguf"), encodeRaw(base));
  for (const h of [...HOSTILE_GGUFS, ...UNLOADABLE_GGUFS])
    writeFileSync(join(ggufDir, `${h.name}.gguf`), h.bytes(base));
  ctx = {
    tasks: fixture.tasksDir,
    data: fixture.dataDir,
    model: fixture.modelPath,
    url: server.url,
    busy: String(typeof addr === "object" && addr ? addr.port : 0),
    gguf: ggufDir,
  };
});

after(async () => {
  await server.close();
  await new Promise<void>((resolve) => busy.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
});

function fill(s: string, d: string): string {
  return s.replace(/\{(d|tasks|data|model|url|busy|gguf)\}/g, (_, k: string) =>
    k === "d" ? d : (ctx[k as keyof CaseContext] as string),
  );
}

/** The environment of a case: none of the user's modelmap settings leak in. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("MODELMAP_")) delete env[k];
  return env;
}

interface Outcome {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
}

function runBin(args: string[], cwd: string, limitMs: number): Promise<Outcome | "hang"> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "..", "bin", "modelmap.js"), ...args], {
      cwd,
      env: cleanEnv(),
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString();
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve("hang");
    }, limitMs);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
  });
}

async function runInProcess(args: string[], cwd: string, limitMs: number): Promise<Outcome | "hang"> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<"hang">((resolve) => {
    timer = setTimeout(() => resolve("hang"), limitMs);
  });
  try {
    const r = await Promise.race([runCaptured(args, { cwd, env: cleanEnv() }), hang]);
    return r === "hang" ? r : { code: r.code, signal: null, out: r.out, err: r.err };
  } finally {
    clearTimeout(timer);
  }
}

/** What a crash looks like in a message: a stack frame or a raw JavaScript error reaching the user. */
const RAW_ERROR =
  /\n\s+at .+:\d+:\d+|\b(TypeError|ReferenceError|RangeError|SyntaxError: Unexpected|Cannot read propert(y|ies) of|ENOENT:|EISDIR:|ENOTDIR:|EACCES:|EADDRINUSE)\b/;

const tally = { cases: 0, crashes: 0, hangs: 0, userErrors: 0, crashed: [] as string[] };

// CORPUS_ONLY=REGEX runs the matching cases only (while fixing them); the tally test then checks nothing.
const only = process.env.CORPUS_ONLY ? new RegExp(process.env.CORPUS_ONLY) : undefined;

for (const c of BAD_INPUT_CASES) {
  test(c.name, { skip: only !== undefined && !only.test(c.name), ...(c.todo ? { todo: c.todo } : {}) }, async () => {
    tally.cases++;
    const d = join(root, "cases", c.name.replace(/[^A-Za-z0-9._-]+/g, "_"));
    mkdirSync(d, { recursive: true });
    for (const [rel, content] of Object.entries(c.files ?? {})) {
      const p = join(d, rel);
      mkdirSync(dirname(p), { recursive: true });
      const v = typeof content === "function" ? content({ ...ctx, d }) : content;
      if (v === null) mkdirSync(p, { recursive: true });
      else writeFileSync(p, typeof v === "string" ? fill(v, d) : v);
    }
    await c.setup?.({ ...ctx, d });
    const args = c.args.map((a) => fill(a, d));
    const full = args.includes("--db") ? args : ["--db", join(d, "m.db"), ...args];
    const limit = c.limitMs ?? 60_000;
    // CORPUS_BIN=1 runs every case in a child process: how the corpus measures a build that crashes.
    const r =
      c.bin || process.env.CORPUS_BIN === "1" ? await runBin(full, d, limit) : await runInProcess(full, d, limit);
    if (r === "hang") {
      tally.hangs++;
      tally.crashed.push(`${c.name} (hang)`);
      assert.fail(`hang: no exit within ${limit} ms: modelmap ${full.join(" ")}`);
    }
    const shown = `modelmap ${full.join(" ")}\nexit ${r.code} ${r.signal ?? ""}\nstderr: ${r.err.slice(0, 2000)}`;
    if (r.signal !== null || r.code === null || r.code > 2 || RAW_ERROR.test(r.err)) {
      tally.crashes++;
      tally.crashed.push(c.name);
    }
    assert.equal(r.signal, null, shown);
    assert.doesNotMatch(r.err, RAW_ERROR, shown);
    assert.equal(r.code, c.code, shown);
    if (c.code === 2) tally.userErrors++;
    for (const w of c.expect) {
      if (typeof w === "string") assert.ok(r.err.includes(fill(w, d)), `expected '${fill(w, d)}' in stderr\n${shown}`);
      else assert.match(r.err, w, shown);
    }
    if (c.stdout) for (const w of c.stdout) assert.match(r.out, w, `stdout: ${r.out.slice(0, 1000)}\n${shown}`);
    await c.check?.({ ...ctx, d }, r);
  });
}

test("the corpus: at least 150 cases, none crashed or hung", { skip: only !== undefined }, () => {
  assert.ok(BAD_INPUT_CASES.length >= 150, `${BAD_INPUT_CASES.length} cases`);
  assert.equal(new Set(BAD_INPUT_CASES.map((c) => c.name)).size, BAD_INPUT_CASES.length, "case names are unique");
  process.stderr.write(
    `bad-input corpus: ${tally.cases} cases run, ${tally.userErrors} user errors (exit 2), ${tally.crashes} crashes, ${tally.hangs} hangs\n`,
  );
  assert.deepEqual(tally.crashed, []);
});

export type { Case };
