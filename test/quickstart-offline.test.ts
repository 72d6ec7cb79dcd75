/**
 * `modelmap quickstart --download` without a network: the reachability probe fails in seconds with a clear
 * message (exit 2, code network) before anything is downloaded. The probe is aimed at addresses that cannot
 * answer here or anywhere (a closed local port, a reserved .invalid name), so this test never downloads.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runCli } from "../src/cli/main.ts";
import { capture } from "./support/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-quickstart-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function quickstart(probe: string) {
  const out = capture();
  const err = capture();
  const cache = join(dir, `cache-${probe.replace(/\W/g, "_")}`);
  const code = await runCli(
    ["--db", join(dir, "q.db"), "quickstart", "--download", "--cache-dir", cache, "--no-serve"],
    {
      stdout: out,
      stderr: err,
      cwd: dir,
      env: { ...process.env, MODELMAP_PROBE_HOST: probe },
    },
  );
  return { code, out: out.text, err: err.text, cache };
}

test("offline (connection refused): fails at once with a clear network message and downloads nothing", async () => {
  const r = await quickstart(`127.0.0.1:${await closedPort()}`);
  assert.equal(r.code, 2, r.err);
  assert.match(
    r.err,
    /modelmap: error: cannot reach 127\.0\.0\.1:\d+ \(.*ECONNREFUSED.*\); this machine looks offline/,
  );
  assert.match(r.err, /hint: quickstart --download needs internet access to Hugging Face; offline, run `npm start`/);
  assert.ok(!existsSync(r.cache) || readdirSync(r.cache).length === 0, "nothing downloaded");
});

test("offline (no DNS): the name does not resolve and the same clear message comes back", async () => {
  const r = await quickstart("modelmap-probe.invalid:443");
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /cannot reach modelmap-probe\.invalid:443 \(.*\); this machine looks offline/);
});

test("without --download it explains what it would do instead of downloading", async () => {
  const err = capture();
  assert.equal(await runCli(["quickstart"], { stdout: capture(), stderr: err, cwd: dir }), 2);
  assert.match(err.text, /quickstart: pass --download to fetch the models/);
});
