/**
 * A run that stops on an error is marked failed with its reason, never left `running`; the same run resumes once
 * the cause is fixed. Each case is a kind of failure a user meets (issue 19 item 10).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ScriptedBackend } from "../../test/support/scripted-backend.ts";
import type { ChatMessage, LoglikelihoodRequest, LoglikelihoodResult } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { openStore } from "../store/sqlite/index.ts";
import type { Store } from "../store/store.ts";
import { TaskRegistry } from "../tasks/loader.ts";
import { type EvalOptions, runEval } from "./run-eval.ts";

const MC_ROWS = Array.from({ length: 6 }, (_, i) =>
  JSON.stringify({ q: `What is ${i}+1?`, options: [`${i + 1}`, `${i + 2}`], gold: 0 }),
);

/** One multiple-choice task over `data/mc.jsonl`; `yaml` overrides lines of its definition. */
function setup(opts: { yaml?: Record<string, string>; rows?: string[] } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mm-fail-"));
  const tasksDir = join(dir, "tasks");
  const dataDir = join(dir, "data");
  mkdirSync(tasksDir);
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, "mc.jsonl"), `${(opts.rows ?? MC_ROWS).join("\n")}\n`);
  const fields: Record<string, string> = {
    task: "toy_mc",
    data_files: "mc.jsonl",
    output_type: "multiple_choice",
    doc_to_text: '"Question: {{q}}\\nAnswer:"',
    doc_to_choice: "options",
    doc_to_target: "gold",
    ...opts.yaml,
  };
  writeFileSync(
    join(tasksDir, "mc.yaml"),
    Object.entries(fields)
      .map(([k, v]) => `${k}: ${v}\n`)
      .join(""),
  );
  const store = openStore(join(dir, "db.sqlite"));
  const options = (extra: Partial<EvalOptions> = {}): EvalOptions => ({
    modelId: "m",
    tasks: TaskRegistry.load([tasksDir]).resolve(["toy_mc"]).tasks,
    groups: [],
    dataDir,
    prompt: { chatTemplate: false, fewshotAsMultiturn: false, seed: 1234 },
    ...extra,
  });
  const done = async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, dataDir, store, options, done };
}

async function onlyRun(store: Store) {
  const runs = await store.evals.listRuns();
  assert.equal(runs.length, 1, "one run row");
  return runs[0] ?? assert.fail("no run");
}

async function failsWith(p: Promise<unknown>, code: string, words: RegExp): Promise<ModelmapError> {
  const e = await p.then(
    () => assert.fail("the run should have failed"),
    (x: unknown) => x,
  );
  assert.ok(e instanceof ModelmapError, String(e));
  assert.equal(e.code, code, e.message);
  assert.match(e.message, words);
  return e;
}

/** A backend that renders chat through a template that breaks, as a model's bad chat template would. */
class BrokenTemplateBackend extends ScriptedBackend {
  override async renderChat(_m: ChatMessage[]): Promise<string> {
    throw new ModelmapError("template", "chat template: cannot render: Unknown filter: nope");
  }
}

const CASES: Array<{
  name: string;
  setup: Parameters<typeof setup>[0];
  extra?: (s: ReturnType<typeof setup>) => Partial<EvalOptions>;
  backend?: () => ScriptedBackend;
  code: string;
  words: RegExp;
}> = [
  {
    name: "missing dataset file",
    setup: { yaml: { data_files: "nope.jsonl" } },
    code: "not_found",
    words: /nope\.jsonl/,
  },
  {
    name: "missing data directory",
    setup: {},
    extra: (s) => ({ dataDir: join(s.dir, "no-such-dir") }),
    code: "not_found",
    words: /no-such-dir/,
  },
  {
    name: "malformed JSONL row",
    setup: { rows: [...MC_ROWS.slice(0, 3), "{not json", ...MC_ROWS.slice(3)] },
    code: "input",
    words: /line 4/,
  },
  {
    name: "Jinja that fails to render",
    setup: { yaml: { doc_to_text: '"{{ q | nofilter }}"' } },
    code: "template",
    words: /nofilter/,
  },
  {
    name: "a document without the target field",
    setup: { yaml: { doc_to_target: "answer_key" } },
    code: "input",
    words: /answer_key|doc_to_target/,
  },
  {
    name: "a chat template that fails to render",
    setup: {},
    extra: () => ({ prompt: { chatTemplate: true, fewshotAsMultiturn: false, seed: 1234 } }),
    backend: () => new BrokenTemplateBackend(),
    code: "template",
    words: /chat template/,
  },
];

for (const c of CASES) {
  test(`a run that fails on ${c.name} is marked failed with its reason`, async () => {
    const s = setup(c.setup);
    try {
      const backend = c.backend?.() ?? new ScriptedBackend();
      const e = await failsWith(runEval(s.store, backend, s.options(c.extra?.(s))), c.code, c.words);
      const run = await onlyRun(s.store);
      assert.equal(run.status, "failed");
      assert.deepEqual(run.failure, { reason: c.code, message: e.message });
      assert.equal(run.log, null, "no half-written results");
    } finally {
      await s.done();
    }
  });
}

test("an invalid filter regex is refused when the task loads (file, line, field): no run starts, none is left", async () => {
  const s = setup({
    yaml: {
      output_type: "generate_until",
      doc_to_target: '"{{gold}}"',
      filter_list: '[{name: strict, filter: [{function: regex, regex_pattern: "(unclosed"}]}]',
    },
  });
  try {
    assert.throws(
      () => s.options(),
      (e: unknown) =>
        e instanceof ModelmapError &&
        e.code === "input" &&
        /mc\.yaml, line \d+, field 'filter_list\[0\]\.filter\[0\]\.regex_pattern'/.test(e.message),
    );
    assert.deepEqual(await s.store.evals.listRuns(), []);
  } finally {
    await s.done();
  }
});

test("a failed run resumes to complete once its cause is fixed, keeping what it had answered", async () => {
  // The fifth document lacks its target: the first documents are answered and stored before it stops the run.
  const rows = MC_ROWS.map((r, i) => (i === 4 ? JSON.stringify({ q: "What is 4+1?", options: ["5", "6"] }) : r));
  const s = setup({ rows });
  try {
    await failsWith(runEval(s.store, new ScriptedBackend(), s.options({ window: 2 })), "input", /gold|doc_to_target/);
    const failed = await onlyRun(s.store);
    assert.equal(failed.status, "failed");
    assert.equal((await s.store.evals.sampleTasks(failed.id))[0]?.n, 4);
    writeFileSync(join(s.dataDir, "mc.jsonl"), `${MC_ROWS.join("\n")}\n`);
    const b = new ScriptedBackend();
    const r = await runEval(s.store, b, s.options({ window: 2 }));
    assert.equal(r.runId, failed.id, "the same run");
    const done = await onlyRun(s.store);
    assert.equal(done.status, "complete");
    assert.equal(done.failure, null);
    assert.equal(r.log.results.toy_mc?.n, 6);
    assert.equal(b.llRequests, 2 * 2, "the four documents answered before the failure came from the cache");
  } finally {
    await s.done();
  }
});

/** Aborts the run (as Ctrl-C does) while its second batch is being answered. */
class InterruptingBackend extends ScriptedBackend {
  calls = 0;
  constructor(private readonly ac: AbortController) {
    super();
  }
  override async loglikelihood(reqs: LoglikelihoodRequest[]): Promise<LoglikelihoodResult[]> {
    if (++this.calls === 2) this.ac.abort(new ModelmapError("aborted", "interrupted"));
    return super.loglikelihood(reqs);
  }
}

test("an interrupted run (aborted signal) is marked failed as 'aborted' and resumes to the same results", async () => {
  const s = setup();
  try {
    const ac = new AbortController();
    await failsWith(
      runEval(s.store, new InterruptingBackend(ac), s.options({ window: 1, batchSize: 2, signal: ac.signal })),
      "aborted",
      /interrupted/,
    );
    const run = await onlyRun(s.store);
    assert.equal(run.status, "failed");
    assert.equal(run.failure?.reason, "aborted");
    const resumed = await runEval(s.store, new ScriptedBackend(), s.options({ window: 1, batchSize: 2 }));
    const fresh = setup();
    try {
      const ref = await runEval(fresh.store, new ScriptedBackend(), fresh.options());
      assert.deepEqual(resumed.results, ref.results);
    } finally {
      await fresh.done();
    }
    assert.equal((await onlyRun(s.store)).status, "complete");
  } finally {
    await s.done();
  }
});

test("a check that fails before the run starts leaves no run row", async () => {
  const s = setup({ yaml: { repeats: "3" } });
  try {
    await failsWith(runEval(s.store, new ScriptedBackend(), s.options()), "unsupported", /repeats: 3/);
    assert.equal((await s.store.evals.listRuns()).length, 0);
  } finally {
    await s.done();
  }
});
