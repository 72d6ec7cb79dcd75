import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { lmEvalTasksDir, pythonOrSkip } from "../../../test/support/python-oracle.ts";
import { ModelmapError } from "../../core/errors.ts";
import { PythonRandom } from "../../core/python-random.ts";
import { pythonHook, runPythonHook, unknownHookMessage } from "./python.ts";

const dir = mkdtempSync(join(tmpdir(), "modelmap-pyhooks-"));
const counter = join(dir, "imports.log");
const MODULE = join(dir, "utils.py");
writeFileSync(
  MODULE,
  `import os, random, socket
import datasets
with open(${JSON.stringify(counter)}, "a") as f:
    f.write("x\\n")

def process_docs(dataset):
    return dataset.map(lambda d: {"query": d["q"].upper(), "proxy": os.environ.get("HTTP_PROXY")})

def shuffle_docs(dataset):
    def f(d):
        c = [d["a"], d["b"], d["c"]]
        random.shuffle(c)
        return {"order": c}
    return dataset.map(f)

def doc_to_text(doc):
    return "Q: " + doc["q"]

def process_results(doc, results):
    ll, greedy = zip(*results)
    return {"acc": int(max(range(len(ll)), key=lambda i: ll[i]) == doc["gold"]), "tuple": isinstance(results[0], tuple)}

def agg(items):
    return sum(items) / len(items)

def samples():
    return [{"q": "a"}, {"q": "b"}]

class Upper:
    def __init__(self, suffix=""):
        self.suffix = suffix
    def apply(self, resps, docs):
        return map(lambda r: [x.upper() + self.suffix for x in r], resps)

def call_home(dataset):
    socket.create_connection(("127.0.0.1", 9))

def lookup(dataset):
    socket.getaddrinfo("example.com", 80)

def spin(dataset):
    while True:
        pass

def boom(doc):
    x = 1
    raise ValueError("bad doc %r" % doc["q"])
`,
);

function imports(): number {
  try {
    return readFileSync(counter, "utf8").split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

test("process_docs through python3: HF map semantics (columns kept), proxies unset, datasets stand-in", (t) => {
  const py = pythonOrSkip(t);
  if (!py) return;
  process.env.HTTP_PROXY = "http://proxy.invalid:3128";
  try {
    const a = runPythonHook(
      { file: MODULE, name: "process_docs" },
      { kind: "process_docs", docs: [{ q: "hi", n: 1 }] },
      { env: process.env, python: py },
    );
    assert.deepEqual(a.value, [{ q: "hi", n: 1, query: "HI", proxy: null }]);
    assert.ok(a.datasets === "stand-in" || a.datasets.startsWith("datasets "));
  } finally {
    delete process.env.HTTP_PROXY;
  }
});

test("process_docs draws from the run's Python random stream and hands its state back", (t) => {
  const py = pythonOrSkip(t);
  if (!py) return;
  const docs = [0, 1, 2, 3].map((i) => ({ a: `a${i}`, b: `b${i}`, c: `c${i}` }));
  const h = pythonHook({ file: MODULE, name: "shuffle_docs" }, "process_docs", { env: process.env, python: py });
  assert.equal(h.hook.kind, "process_docs");
  if (h.hook.kind !== "process_docs") return;
  const ctx = { random: new PythonRandom(0) };
  const out = h.hook.fn(docs, ctx);
  const mirror = new PythonRandom(0);
  const expected = docs.map((d) => ({ ...d, order: mirror.shuffle([d.a, d.b, d.c]) }));
  assert.deepEqual(out, expected);
  assert.deepEqual(ctx.random.getState(), mirror.getState());
});

test("per-document hooks: prefetch answers many documents with one python3 process", (t) => {
  const py = pythonOrSkip(t);
  if (!py) return;
  const h = pythonHook({ file: MODULE, name: "doc_to_text" }, "doc_to_text", { env: process.env, python: py });
  const docs = Array.from({ length: 50 }, (_, i) => ({ q: `question ${i}` }));
  const before = imports();
  h.prefetch(docs);
  assert.equal(h.hook.kind, "doc_to_text");
  if (h.hook.kind !== "doc_to_text") return;
  assert.deepEqual(
    docs.map((d) => h.hook.kind === "doc_to_text" && h.hook.fn(d)),
    docs.map((d) => `Q: ${d.q}`),
  );
  assert.equal(imports() - before, 1, "one process for 50 documents");
  assert.equal(h.hook.fn({ q: "new" }), "Q: new");
  assert.equal(imports() - before, 2, "a document not prefetched costs one more process");
});

test("process_results gets (loglikelihood, is_greedy) tuples; aggregation, fewshot samples and filter classes run", (t) => {
  const py = pythonOrSkip(t);
  if (!py) return;
  const pr = pythonHook({ file: MODULE, name: "process_results" }, "process_results", {
    env: process.env,
    python: py,
  }).hook;
  assert.ok(pr.kind === "process_results");
  assert.deepEqual(
    pr.fn({ gold: 1 }, [
      [-2, false],
      [-1, true],
    ]),
    { acc: 1, tuple: true },
  );
  const agg = pythonHook({ file: MODULE, name: "agg" }, "aggregation", { env: process.env, python: py }).hook;
  assert.ok(agg.kind === "aggregation");
  assert.equal(agg.fn([1, 0, 1, 1]), 0.75);
  const fs = pythonHook({ file: MODULE, name: "samples" }, "fewshot_samples", { env: process.env, python: py }).hook;
  assert.ok(fs.kind === "fewshot_samples");
  assert.deepEqual(fs.fn(), [{ q: "a" }, { q: "b" }]);
  const fl = pythonHook({ file: MODULE, name: "Upper" }, "filter", { env: process.env, python: py }).hook;
  assert.ok(fl.kind === "filter");
  assert.deepEqual(fl.create({ suffix: "!" }).apply([["a", "b"], ["c"]], [{}, {}]), [["A!", "B!"], ["C!"]]);
});

test("no network: Internet sockets and name lookups are refused inside the hook", (t) => {
  const py = pythonOrSkip(t);
  if (!py) return;
  for (const name of ["call_home", "lookup"]) {
    assert.throws(
      () => runPythonHook({ file: MODULE, name }, { kind: "process_docs", docs: [] }, { env: process.env, python: py }),
      (e: unknown) =>
        e instanceof ModelmapError && /network access is disabled/.test(e.message) && /line \d+/.test(e.message),
      name,
    );
  }
});

test("a hook that runs past the time limit is stopped with a clear error", (t) => {
  const py = pythonOrSkip(t);
  if (!py) return;
  assert.throws(
    () =>
      runPythonHook(
        { file: MODULE, name: "spin" },
        { kind: "process_docs", docs: [] },
        { env: process.env, python: py, timeoutMs: 1500 },
      ),
    /spin .*ran past its time limit of 1\.5 s/,
  );
});

test("errors name the file, line and function: an exception, a missing import, a missing function, no python3", (t) => {
  const loc = { file: "tasks/x/task.yaml", line: 7, field: "doc_to_text" };
  assert.throws(
    () =>
      runPythonHook(
        { file: MODULE, name: "doc_to_text", location: loc },
        { kind: "doc_to_text", docs: [] },
        { env: process.env, python: "/nonexistent/python3" },
      ),
    (e: unknown) =>
      e instanceof ModelmapError &&
      e.code === "unsupported" &&
      /needs python3, and '\/nonexistent\/python3' was not found/.test(e.message) &&
      e.message.startsWith("tasks/x/task.yaml, line 7, field 'doc_to_text'"),
  );
  const py = pythonOrSkip(t);
  if (!py) return;
  assert.throws(
    () =>
      runPythonHook(
        { file: MODULE, name: "boom", location: loc },
        { kind: "doc_to_text", docs: [{ q: "z" }] },
        { env: process.env, python: py },
      ),
    (e: unknown) =>
      e instanceof ModelmapError && /raised ValueError: bad doc 'z' \(.*utils\.py line 47\)/.test(e.message),
  );
  assert.throws(
    () =>
      runPythonHook(
        { file: MODULE, name: "nope" },
        { kind: "doc_to_text", docs: [] },
        { env: process.env, python: py },
      ),
    /module has no attribute 'nope'/,
  );
  // lm-eval's truthfulqa/utils.py imports sacrebleu and rouge_score at load time.
  const tq = join(lmEvalTasksDir(), "truthfulqa", "utils.py");
  assert.throws(
    () =>
      runPythonHook(
        { file: tq, name: "process_results_mc2", location: loc },
        { kind: "process_results", items: [] },
        { env: process.env, python: py },
      ),
    (e: unknown) =>
      e instanceof ModelmapError &&
      e.code === "unsupported" &&
      /cannot import '(datasets|numpy|sacrebleu|rouge_score)'/.test(e.message) &&
      /utils\.py line \d+/.test(e.message) &&
      /pip install/.test(e.hint ?? ""),
  );
});

test("an unknown hook without --python-hooks: the error says where and how to run it", () => {
  const e = unknownHookMessage(
    {
      file: "lm_eval/tasks/foo/utils.py",
      name: "process_docs",
      location: { file: "foo.yaml", line: 3, field: "process_docs" },
    },
    "no native version of utils.py (sha256 0123456789ab) is registered",
  );
  assert.equal(e.code, "unsupported");
  assert.match(
    e.message,
    /^foo\.yaml, line 3, field 'process_docs': hook '!function process_docs' of lm_eval\/tasks\/foo\/utils\.py/,
  );
  assert.match(e.hint ?? "", /--python-hooks/);
});
