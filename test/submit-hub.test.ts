/**
 * Issue 16 item 3, the hub source: submissions of `owner/name` against the loopback hub (test/support/hub-server.ts,
 * the hub's URL layout; no internet), on a throwaway PostgreSQL cluster. A good GGUF repository is pinned to the
 * commit `main` resolves to; after `main` moves on, a worker with a hub slot still downloads the pinned commit's
 * file through the hub cache (sha256 checked) and evaluates it with llama.cpp. Remote code (auto_map, *.py), no
 * licence, too large, gated, unknown repository or revision, safetensors nobody serves, offline and an unreachable
 * hub are each refused with their reason, through the library, the CLI (exit 2) and the web form (422).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Hono } from "hono";
import pg from "pg";
import { exitCodeFor, ModelmapError } from "../src/core/errors.ts";
import { createApp } from "../src/http/app.ts";
import { listen } from "../src/http/listen.ts";
import { ROUTE_MODULES } from "../src/http/routes/index.ts";
import type { HubSettings } from "../src/hub/settings.ts";
import { installJobEnv } from "../src/queue/handlers.ts";
import { evalQueue, HUB_QUEUE } from "../src/queue/jobs.ts";
import { JobQueue } from "../src/queue/queue.ts";
import { type SubmissionPolicy, submit } from "../src/queue/submit.ts";
import { runWorker } from "../src/queue/worker.ts";
import { openStoreAt } from "../src/store/open.ts";
import { runCaptured } from "./support/cli.ts";
import { commitId, type FakeHub, type FakeRepo, startFakeHub } from "./support/hub-server.ts";
import { type PgCluster, startPostgres } from "./support/postgres.ts";

const ROOT = join(import.meta.dirname, "..");
const ZOO = join(ROOT, "fixtures", "zoo");
const ARITH = new Uint8Array(readFileSync(join(ZOO, "zoo-arithmetic.gguf")));
const FACTS = new Uint8Array(readFileSync(join(ZOO, "zoo-facts.gguf")));
const CARD = "---\nlicense: mit\nlanguage: en\n---\n# A model\n";
const TOKEN = "hf_granted";

const repo = (id: string, files: Record<string, Uint8Array | string>, extra: Partial<FakeRepo> = {}): FakeRepo => ({
  kind: "model",
  id,
  refs: { main: commitId(`${id} v1`) },
  commits: { [commitId(`${id} v1`)]: files },
  ...extra,
});

const GOOD = "acme/arith-gguf";
const V1 = commitId(`${GOOD} v1`);
const V2 = commitId(`${GOOD} v2`);
const REPOS: FakeRepo[] = [
  {
    kind: "model",
    id: GOOD,
    refs: { main: V1 },
    commits: {
      [V1]: { "README.md": CARD, "arith-F32.gguf": ARITH },
      [V2]: { "README.md": CARD, "arith-F32.gguf": FACTS },
    },
  },
  repo("acme/auto-map", {
    "README.md": CARD,
    "config.json": JSON.stringify({ auto_map: { AutoModelForCausalLM: "modeling_x.XForCausalLM" } }),
    "model.safetensors": "weights",
  }),
  repo("acme/custom-code", { "README.md": CARD, "modeling_custom.py": "import os\n", "m-F32.gguf": ARITH }),
  repo("acme/no-licence", { "README.md": "# no header\n", "m-F32.gguf": ARITH }),
  repo("acme/licence-file", { "README.md": "# card\n", LICENSE: "MIT License\n", "m-F32.gguf": ARITH }),
  repo("acme/no-card", { LICENSE: "MIT License\n", "m-F32.gguf": ARITH }),
  repo("acme/gated", { "README.md": CARD, "m-F32.gguf": ARITH }, { gated: true }),
  repo("acme/unnamed", { "README.md": CARD, "model.gguf": ARITH }),
  repo("acme/tensors", { "README.md": CARD, "config.json": "{}", "model.safetensors": "weights" }),
];

let cluster: PgCluster;
let hub: FakeHub;
let tmp: string;
let endpoint: { url: string; close(): Promise<void> };
before(async () => {
  cluster = await startPostgres();
  hub = await startFakeHub({ repos: REPOS, tokens: [TOKEN] });
  tmp = mkdtempSync(join(tmpdir(), "mm-submit-hub-"));
  // An OpenAI-compatible endpoint that serves acme/tensors by its repository id (as vLLM would).
  const app = new Hono();
  app.get("/v1/models", (c) => c.json({ object: "list", data: [{ id: "acme/tensors", object: "model" }] }));
  endpoint = await listen(app, { host: "127.0.0.1", port: 0 });
});
after(async () => {
  await endpoint?.close();
  await hub?.close();
  await cluster?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const settings = (over: Partial<HubSettings> = {}): HubSettings => ({
  endpoint: hub.url,
  offline: false,
  cacheDir: join(tmp, "cache"),
  readCaches: [],
  download: { retries: 0, retryDelayMs: 10 },
  ...over,
});
const base = { precision: "F32", chatTemplate: false, suite: "synthetic_math_mc", limit: 5 };

const refusedWith = (re: RegExp) => (e: unknown) => {
  assert.ok(e instanceof ModelmapError, String(e));
  assert.equal(e.code, "refused", e.message);
  assert.equal(exitCodeFor(e), 2);
  assert.match(`${e.message} ${e.hint ?? ""}`, re);
  return true;
};

test("hub submissions: each check refuses with its reason; a good one is pinned to the commit and runs from the pinned GGUF", {
  timeout: 300_000,
}, async () => {
  const db = await cluster.createDatabase();
  const q = await JobQueue.open(db);
  const store = await openStoreAt(db);
  const policy: SubmissionPolicy = { modelsDir: ZOO, ratePerWindow: 50, hub: settings() };
  const refused = (model: string, re: RegExp, p: SubmissionPolicy = policy, extra: object = {}) =>
    assert.rejects(submit(q, { ...base, ...extra, model, submitter: "ann" }, p), refusedWith(re), `${model}: ${re}`);
  try {
    await refused("acme/auto-map", /needs remote code: its config\.json has auto_map \(AutoModelForCausalLM\)/);
    await refused("acme/custom-code", /ships code \(modeling_custom\.py\)/);
    await refused("acme/no-licence", /states no licence: its card \(README\.md\) has no 'license:'.*no LICENSE file/);
    await refused("acme/no-card", /has no model card \(README\.md\)/);
    await refused(GOOD, /too large: arith-F32\.gguf is 0\.0014 GB; this leaderboard takes at most 0\.0010 GB/, {
      ...policy,
      maxBytes: 1_000_000,
    });
    await refused("acme/gated", /is gated: the hub refused its files.*HTTP 401.*set HF_TOKEN/);
    await refused("acme/gated", /is gated.*HTTP 403.*has not been granted access/, {
      ...policy,
      hub: settings({ token: "hf_other" }),
    });
    await refused("acme/absent", /repository 'acme\/absent' was not found on the hub/);
    await refused(GOOD, /revision 'v9' was not found in 'acme\/arith-gguf'/, policy, { revision: "v9" });
    await refused(GOOD, /no GGUF file at precision 'Q4_K_M' \(it has F32\)/, policy, { precision: "Q4_K_M" });
    await refused("acme/tensors", /safetensors weights only, and this install cannot run them: modelmap runs GGUF/);
    await refused("acme/tensors", /too large: its safetensors weights are/, { ...policy, maxBytes: 3 });
    await refused(GOOD, /works offline \(--offline or HF_HUB_OFFLINE\)/, {
      ...policy,
      hub: settings({ offline: true }),
    });
    await refused(GOOD, /the hub \(http:\/\/127\.0\.0\.1:9\) cannot be reached/, {
      ...policy,
      hub: settings({ endpoint: "http://127.0.0.1:9" }),
    });
    await refused(GOOD, /takes no hub submissions/, { modelsDir: ZOO });
    // None of the refused gated checks downloaded the weights.
    assert.ok(!hub.requests.some((r) => r.path.includes("/cdn/")), "no weights fetched while checking");

    // Accepted: a licence file, a gated repository with a granted token, safetensors an endpoint serves.
    const lic = await submit(q, { ...base, model: "acme/licence-file", submitter: "ann" }, policy);
    assert.deepEqual(lic.notes, ["licence from LICENSE"]);
    const gated = await submit(
      q,
      { ...base, model: "acme/gated", submitter: "ann" },
      {
        ...policy,
        hub: settings({ token: TOKEN }),
      },
    );
    assert.equal(gated.job.source?.repo, "acme/gated");
    const served = await submit(
      q,
      { ...base, model: "acme/tensors", submitter: "ann" },
      {
        ...policy,
        endpoints: [`${endpoint.url}/v1`],
      },
    );
    assert.equal(served.job.source, undefined);
    assert.equal((await q.get(served.jobId))?.queue, evalQueue("acme/tensors"));
    for (const id of [lic.jobId, gated.jobId, served.jobId]) await q.cancel(id);

    // The good one: `main` pinned to its commit, the GGUF named with its size and sha256.
    const accepted = await submit(q, { ...base, model: GOOD, submitter: "bob" }, policy);
    assert.equal(accepted.job.revision, V1);
    assert.equal(accepted.job.precision, "F32");
    assert.equal(accepted.job.source?.commit, V1);
    assert.equal(accepted.job.source?.file, "arith-F32.gguf");
    assert.equal(accepted.job.source?.size, ARITH.length);
    assert.equal((await q.get(accepted.jobId))?.queue, HUB_QUEUE);
    await assert.rejects(
      submit(q, { ...base, model: GOOD, submitter: "carol" }, policy),
      refusedWith(/already queued/),
    );

    // The branch moves on; the worker still evaluates what was checked.
    const good = REPOS[0] as FakeRepo;
    good.refs.main = V2;
    const before = hub.requests.length;
    const logs: string[] = [];
    const report = await runWorker({
      queue: q,
      env: installJobEnv({ store, dataDir: join(ROOT, "..", "shared", "data"), tasksDirs: [] }),
      endpoints: [],
      hub: { settings: settings(), slots: 1, threads: 1 },
      exitWhenIdle: true,
      pollMs: 50,
      signal: new AbortController().signal,
      log: (l) => logs.push(l),
    });
    assert.equal(report.completed, 1, logs.join("\n"));
    assert.equal(report.failed, 0, logs.join("\n"));
    const fetched = hub.requests.slice(before).map((r) => r.path);
    assert.ok(fetched.includes(`/${GOOD}/resolve/${V1}/arith-F32.gguf`), fetched.join("\n"));
    assert.ok(!fetched.some((p) => p.includes(V2)), "nothing of the moved branch was fetched");
    const done = await q.get(accepted.jobId);
    assert.equal(done?.state, "completed");
    const runId = (done?.output as { runId?: string } | undefined)?.runId ?? assert.fail("no run id");
    const pool = new pg.Pool({ connectionString: db });
    try {
      const n = await pool.query("SELECT count(*)::int AS n FROM eval_samples WHERE run_id = $1", [runId]);
      assert.equal(n.rows[0].n, 5);
    } finally {
      await pool.end();
    }
    // The weights are in the hub cache at the pinned commit, as downloaded (checksummed) bytes.
    const cached = readFileSync(join(tmp, "cache", "models--acme--arith-gguf", "snapshots", V1, "arith-F32.gguf"));
    assert.ok(Buffer.from(ARITH).equals(cached));
    // A new submission of `main` now pins the new commit: a different evaluation, not "already evaluated".
    const next = await submit(q, { ...base, model: GOOD, submitter: "bob" }, policy);
    assert.equal(next.job.revision, V2);
  } finally {
    (REPOS[0] as FakeRepo).refs.main = V1;
    await store.close();
    await q.close();
  }
});

test("hub submissions through the CLI (exit 2 with the reason) and the web form (422 with the reason)", {
  timeout: 120_000,
}, async () => {
  const db = await cluster.createDatabase();
  const env = {
    ...process.env,
    HF_ENDPOINT: hub.url,
    HF_TOKEN: "",
    HF_HOME: join(tmp, "hf-home"),
    HF_HUB_OFFLINE: "",
    MODELMAP_CACHE: join(tmp, "cli-cache"),
  };
  const cli = (model: string, ...more: string[]) =>
    runCaptured(
      [
        "--db",
        db,
        "submit",
        model,
        "--precision",
        "F32",
        "--no-chat-template",
        "--suite",
        "synthetic_math_mc",
        "--submitter",
        "cli",
        ...more,
      ],
      { env, cwd: ROOT },
    );
  const code = await cli("acme/custom-code");
  assert.equal(code.code, 2, code.err);
  assert.match(code.err, /ships code \(modeling_custom\.py\)/);
  const big = await cli(GOOD, "--max-size-gb", "0.001");
  assert.equal(big.code, 2, big.err);
  assert.match(big.err, /too large/);
  const offline = await cli(GOOD, "--offline");
  assert.equal(offline.code, 2, offline.err);
  assert.match(offline.err, /works offline/);
  const ok = await cli(GOOD, "--revision", "main");
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, new RegExp(`queued job .*: ${GOOD} @ ${V1} on synthetic_math_mc`));

  const queue = await JobQueue.open(db);
  const store = await openStoreAt(db);
  try {
    const app = createApp(
      { store, submissions: { queue, policy: { modelsDir: ZOO, hub: settings(), maxBytes: 10_000_000 } } },
      ROUTE_MODULES,
    );
    const server = await listen(app, { host: "127.0.0.1", port: 0 });
    try {
      const page = await (await fetch(`${server.url}/submit`)).text();
      assert.match(page, /name="hub_model"/);
      const post = (hubModel: string, revision = "main") =>
        fetch(`${server.url}/submit`, {
          method: "POST",
          redirect: "manual",
          body: new URLSearchParams({
            model: "zoo-arithmetic",
            hub_model: hubModel,
            revision,
            precision: "F32",
            system_prompt: "none",
            suite: "synthetic_knowledge_mc",
            submitter: "web",
          }),
        });
      for (const [model, re] of [
        ["acme/gated", /is gated/],
        ["acme/auto-map", /needs remote code/],
        ["acme/no-licence", /states no licence/],
        ["acme/absent", /was not found on the hub/],
      ] as const) {
        const res = await post(model);
        assert.equal(res.status, 422, model);
        assert.match(await res.text(), re);
      }
      const okRes = await post(GOOD);
      assert.equal(okRes.status, 303, await okRes.text());
      const api = await fetch(`${server.url}/api/submissions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...base, model: "acme/no-card", submitter: "web" }),
      });
      assert.equal(api.status, 422);
      assert.match(await api.text(), /has no model card/);
      const listed = (await (await fetch(`${server.url}/api/queue`)).json()) as {
        submissions: Array<{ model: string; revision: string; suite: string }>;
      };
      const web = listed.submissions.find((s) => s.suite === "synthetic_knowledge_mc");
      assert.deepEqual([web?.model, web?.revision], [GOOD, V1]);
    } finally {
      await server.close();
    }
  } finally {
    await store.close();
    await queue.close();
  }
});

test("a worker refuses weights that are not what was submitted: a listing that changed, a file of another precision", {
  timeout: 120_000,
}, async () => {
  const db = await cluster.createDatabase();
  const q = await JobQueue.open(db);
  const store = await openStoreAt(db);
  const policy: SubmissionPolicy = { modelsDir: ZOO, ratePerWindow: 50, hub: settings({ cacheDir: join(tmp, "c3") }) };
  try {
    const pinned = await submit(q, { ...base, model: GOOD, submitter: "dan" }, policy);
    // One GGUF that names no precision is taken as submitted; the worker reads its file type.
    const unnamed = await submit(q, { ...base, precision: "Q8_0", model: "acme/unnamed", submitter: "dan" }, policy);
    assert.match(unnamed.notes.join("\n"), /model\.gguf does not name its precision/);
    // The worker's machine (its own cache) gets a listing that names other bytes for the pinned file.
    hub.lie("arith-F32.gguf", "0".repeat(64));
    const seen = hub.requests.length;
    const logs: string[] = [];
    const report = await runWorker({
      queue: q,
      env: installJobEnv({ store, dataDir: join(ROOT, "..", "shared", "data"), tasksDirs: [] }),
      endpoints: [],
      hub: { settings: settings({ cacheDir: join(tmp, "w3") }), slots: 1, threads: 1 },
      exitWhenIdle: true,
      pollMs: 50,
      signal: new AbortController().signal,
      log: (l) => logs.push(l),
    });
    assert.equal(report.completed, 0, logs.join("\n"));
    assert.ok(report.failed >= 2, logs.join("\n"));
    const text = logs.join("\n");
    assert.match(
      text,
      new RegExp(
        `job ${pinned.jobId}: failed: .*arith-F32\\.gguf is listed with other size or sha256 than at submission`,
      ),
    );
    assert.match(text, new RegExp(`job ${unnamed.jobId}: failed: .*the weights are F32, the submission says Q8_0`));
    const asked = hub.requests.slice(seen).map((r) => r.path);
    assert.ok(!asked.some((p) => p.startsWith("/cdn/") && p.includes("arith-F32")), asked.join("\n"));
  } finally {
    hub.lie("arith-F32.gguf", createHash("sha256").update(ARITH).digest("hex"));
    await store.close();
    await q.close();
  }
});
