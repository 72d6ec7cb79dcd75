/**
 * An lm-eval task file whose `dataset_path` exists only on a hub served from loopback (test/support/hub-server.ts,
 * Parquet files written here): `modelmap tasks requests` downloads it once (progress on stderr) and builds the
 * requests; a second run with --offline asks the hub nothing; offline without a copy, a gated dataset without a
 * token, an unreachable hub and a pinned revision each give their answer; `eval` scores it against an
 * OpenAI-compatible server. Nothing here touches the internet: HF_ENDPOINT points at the loopback hub.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { parquetWriteBuffer } from "hyparquet-writer";
import { runCaptured } from "./support/cli.ts";
import { startFaultServer } from "./support/fault-server.ts";
import { commitId, type FakeHub, startFakeHub } from "./support/hub-server.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-hub-e2e-"));
const tasksDir = join(dir, "tasks");
const emptyData = join(dir, "data");
const MAIN = commitId("main");
const V1 = commitId("v1");

function quiz(rows: Array<[string, string, number]>): Uint8Array {
  return new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: "passage", data: rows.map((r) => r[0]), type: "STRING" },
        { name: "question", data: rows.map((r) => r[1]), type: "STRING" },
        { name: "label", data: rows.map((r) => r[2]), type: "INT32" },
      ],
    }),
  );
}

const CARD = `---
configs:
- config_name: plain
  data_files:
  - split: train
    path: plain/train-*
  - split: validation
    path: plain/validation-*
---
# A boolq-like quiz
`;

/** lm-eval's task format, as an lm-eval user writes it: the data is a hub id. */
function taskYaml(name: string, repo: string, extra = ""): string {
  return `task: ${name}
dataset_path: ${repo}
dataset_name: plain
output_type: multiple_choice
training_split: train
validation_split: validation
doc_to_text: "{{passage}}\\nQuestion: {{question}}?\\nAnswer:"
doc_to_target: label
doc_to_choice: ["no", "yes"]
num_fewshot: 1
metric_list:
  - metric: acc
${extra}`;
}

let hub: FakeHub;
before(async () => {
  const validation: Array<[string, string, number]> = [
    ["Water boils at 100 C at sea level.", "does water boil at 100 c", 1],
    ["The moon has no atmosphere to speak of.", "does the moon have a thick atmosphere", 0],
    ["Cats are mammals.", "is a cat a mammal", 1],
  ];
  const files = {
    "README.md": CARD,
    "plain/train-00000-of-00001.parquet": quiz([
      ["Snow is cold.", "is snow cold", 1],
      ["Fire is cold.", "is fire cold", 0],
    ]),
    "plain/validation-00000-of-00001.parquet": quiz(validation),
    "data/extra.jsonl": `${JSON.stringify({ passage: "From a JSON line.", question: "is it json", label: 1 })}\n`,
  };
  hub = await startFakeHub({
    repos: [
      {
        kind: "dataset",
        id: "acme/quiz",
        refs: { main: MAIN, v1: V1 },
        commits: {
          [MAIN]: files,
          [V1]: { ...files, "plain/validation-00000-of-00001.parquet": quiz([["Old text.", "is it old", 1]]) },
        },
      },
      { kind: "dataset", id: "acme/gated-quiz", refs: { main: MAIN }, commits: { [MAIN]: files }, gated: true },
    ],
    tokens: ["hf_good"],
  });
  mkdirSync(tasksDir, { recursive: true });
  mkdirSync(emptyData, { recursive: true });
  writeFileSync(join(tasksDir, "quiz.yaml"), taskYaml("hubquiz", "acme/quiz"));
  writeFileSync(
    join(tasksDir, "quiz_v1.yaml"),
    taskYaml("hubquiz_v1", "acme/quiz", "dataset_kwargs:\n  revision: v1\n"),
  );
  writeFileSync(join(tasksDir, "gated.yaml"), taskYaml("gatedquiz", "acme/gated-quiz"));
  writeFileSync(join(tasksDir, "notid.yaml"), taskYaml("notid", "../some/local/dir"));
  // lm-eval's prost and arithmetic tasks: local-file builder, files named by hf:// URL.
  writeFileSync(
    join(tasksDir, "hfurl.yaml"),
    `task: hfurl
dataset_path: json
dataset_kwargs:
  data_files:
    test: hf://datasets/acme/quiz/data/extra.jsonl
output_type: multiple_choice
test_split: test
doc_to_text: "{{passage}}\\nQuestion: {{question}}?\\nAnswer:"
doc_to_target: label
doc_to_choice: ["no", "yes"]
metric_list:
  - metric: acc
`,
  );
});
after(async () => {
  await hub.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The environment of a user whose hub is the loopback one; no cache of this machine is read. */
function env(cache: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = {
    ...process.env,
    HF_ENDPOINT: hub.url,
    MODELMAP_CACHE: join(dir, cache),
    HF_HOME: join(dir, "hf-home"),
  };
  delete e.HF_TOKEN;
  delete e.HF_HUB_OFFLINE;
  delete e.MODELMAP_CACHE_DIR;
  return { ...e, ...extra };
}

const requests = (task: string, ...more: string[]) => [
  "tasks",
  "requests",
  task,
  "--include-path",
  tasksDir,
  "--data-dir",
  emptyData,
  ...more,
];

test("tasks requests: the hub dataset downloads once with progress, then serves offline without a request", async () => {
  const r = await runCaptured(requests("hubquiz"), { env: env("cache-a") });
  assert.equal(r.code, 0, r.err);
  const lines = r.out
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(lines.length, 6, "3 documents x 2 choices");
  // One example from the training split (lm-eval's sampler picks which), then the document.
  assert.match(
    String(lines[0]?.context),
    /^(Snow is cold\.\nQuestion: is snow cold\?\nAnswer: yes|Fire is cold\.\nQuestion: is fire cold\?\nAnswer: no)\n\nWater boils at 100 C at sea level\.\nQuestion: does water boil at 100 c\?\nAnswer:$/,
  );
  assert.deepEqual(
    lines.slice(0, 2).map((l) => l.continuation),
    [" no", " yes"],
  );
  assert.match(r.err, /download: acme\/quiz\/plain\/validation-00000-of-00001\.parquet \(\d+(\.\d)? (B|KiB)\)/);
  assert.match(r.err, /download: acme\/quiz\/plain\/validation-00000-of-00001\.parquet done/);
  assert.match(r.err, /download: acme\/quiz\/plain\/train-00000-of-00001\.parquet done/);

  const n = hub.requests.length;
  const again = await runCaptured(requests("hubquiz", "--offline"), { env: env("cache-a") });
  assert.equal(again.code, 0, again.err);
  assert.equal(again.out, r.out, "the same requests from the cache");
  assert.equal(hub.requests.length, n, "no request to the hub");
  assert.doesNotMatch(again.err, /download:/);
});

test("offline without a copy: exit 2, naming the dataset and the ways to give it locally", async () => {
  for (const how of [["--offline"], []] as const) {
    const n = hub.requests.length;
    const r = await runCaptured(requests("hubquiz", ...how), {
      env: env("cache-empty", how.length === 0 ? { HF_HUB_OFFLINE: "1" } : {}),
    });
    assert.equal(r.code, 2, r.err);
    assert.match(
      r.err,
      /task 'hubquiz': no local copy of the dataset acme\/quiz \(name plain, revision main\), splits validation, train, and the hub cannot be asked/,
    );
    assert.match(r.err, /under the data dir \(--data-dir DIR; now .*\/data\)/);
    assert.match(r.err, /hf download --repo-type dataset acme\/quiz --local-dir .*data\/acme\/quiz/);
    assert.match(r.err, /--dataset-map FILE/);
    assert.match(r.err, /cache-empty\/hub/);
    assert.equal(hub.requests.length, n);
  }
});

test("a dataset_path that is no hub id is refused naming the field, before any request", async () => {
  const n = hub.requests.length;
  const r = await runCaptured(requests("notid"), { env: env("cache-empty") });
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /notid\.yaml.*dataset_path/);
  assert.match(r.err, /dataset_path '\.\.\/some\/local\/dir' is not a hub dataset id/);
  assert.match(r.err, /data_files/);
  assert.equal(hub.requests.length, n);
});

test("an unreachable hub (connection refused) is the same clear error, exit 2", async () => {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  const r = await runCaptured(requests("hubquiz"), {
    env: env("cache-down", { HF_ENDPOINT: `http://127.0.0.1:${port}` }),
  });
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /no local copy of the dataset acme\/quiz .* cannot reach 127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
});

test("the hub's folder layout under --data-dir is used without the hub", async () => {
  const data = join(dir, "data-hub-layout");
  mkdirSync(join(data, "acme", "quiz", "plain"), { recursive: true });
  writeFileSync(join(data, "acme", "quiz", "README.md"), CARD);
  writeFileSync(
    join(data, "acme", "quiz", "plain", "validation-00000-of-00001.parquet"),
    quiz([["Local.", "is it local", 1]]),
  );
  writeFileSync(
    join(data, "acme", "quiz", "plain", "train-00000-of-00001.parquet"),
    quiz([
      ["Shot.", "is it a shot", 0],
      ["Shot 2.", "is it a shot", 1],
    ]),
  );
  const n = hub.requests.length;
  const r = await runCaptured(
    ["tasks", "requests", "hubquiz", "--include-path", tasksDir, "--data-dir", data, "--offline"],
    {
      env: env("cache-unused"),
    },
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Local\.\\nQuestion: is it local\?/);
  assert.equal(hub.requests.length, n);
  const show = await runCaptured(["tasks", "show", "hubquiz", "--include-path", tasksDir, "--data-dir", data], {
    env: env("cache-unused"),
  });
  assert.match(
    show.out,
    /# data: acme\/quiz from .*data-hub-layout\/acme\/quiz \(the hub's layout; README\.md configuration 'plain'\)/,
  );
});

test("a pinned revision (dataset_kwargs.revision) reads that commit's data", async () => {
  const r = await runCaptured(requests("hubquiz_v1"), { env: env("cache-a") });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Old text\.\\nQuestion: is it old\?/);
  assert.ok(hub.requests.some((q) => q.path.startsWith(`/datasets/acme/quiz/resolve/${V1}/plain/validation-`)));
});

test("hf:// URLs in dataset_kwargs.data_files (lm-eval's prost, arithmetic) download those files", async () => {
  const r = await runCaptured(requests("hfurl"), { env: env("cache-a") });
  assert.equal(r.code, 0, r.err);
  const first = JSON.parse(r.out.split("\n")[0] as string) as { context: string };
  assert.equal(first.context, "From a JSON line.\nQuestion: is it json?\nAnswer:");
  assert.ok(hub.requests.some((q) => q.path === `/datasets/acme/quiz/resolve/${MAIN}/data/extra.jsonl`));
});

test("gated: without an accepted token, exit 2 and what to do; with HF_TOKEN it downloads", async () => {
  const denied = await runCaptured(requests("gatedquiz"), { env: env("cache-g") });
  assert.equal(denied.code, 2, denied.err);
  assert.match(denied.err, /HTTP 401 from the hub/);
  assert.match(denied.err, /gated: accept the terms on the hub and set HF_TOKEN/);
  const wrong = await runCaptured(requests("gatedquiz"), { env: env("cache-g", { HF_TOKEN: "hf_wrong" }) });
  assert.equal(wrong.code, 2);
  assert.match(
    wrong.err,
    /HTTP 403 from the hub.*\n.*gated: accept the terms on the hub and set HF_TOKEN.*the token in HF_TOKEN was sent/,
  );
  // The token `huggingface-cli login` saved is used too.
  mkdirSync(join(dir, "hf-home"), { recursive: true });
  writeFileSync(join(dir, "hf-home", "token"), "hf_good\n");
  const ok = await runCaptured(requests("gatedquiz", "--limit", "1"), { env: env("cache-g") });
  rmSync(join(dir, "hf-home", "token"));
  assert.equal(ok.code, 0, ok.err);
  assert.equal(ok.out.trim().split("\n").length, 2);
});

test("eval scores the downloaded dataset against an OpenAI-compatible server", async () => {
  const server = await startFaultServer();
  try {
    const db = join(dir, "eval.db");
    const r = await runCaptured(
      [
        "--db",
        db,
        "eval",
        "--endpoint",
        server.url,
        "--model-name",
        "toy",
        "--tasks",
        "hubquiz",
        "--include-path",
        tasksDir,
        "--data-dir",
        emptyData,
        "--format",
        "json",
        "--quiet",
      ],
      { env: env("cache-a") },
    );
    assert.equal(r.code, 0, r.err);
    const out = JSON.parse(r.out) as { results: Record<string, Record<string, unknown>> };
    assert.equal(typeof out.results.hubquiz?.["acc,none"], "number");
    assert.equal(server.requests.length > 0, true);
  } finally {
    await server.close();
  }
});
