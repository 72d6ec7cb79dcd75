import assert from "node:assert/strict";
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { z } from "zod";
import { BUILTIN_TASKS_DIR } from "../runner/builtin-tasks.ts";
import { TaskRegistry } from "../tasks/loader.ts";
import { codeIdentity, StartCache } from "./start-cache.ts";
import { startTasks } from "./start-tasks.ts";

const dir = mkdtempSync(join(tmpdir(), "mm-start-cache-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const Value = z.object({ n: z.number() });

describe("StartCache", () => {
  const cache = new StartCache(join(dir, "plain"));
  const file = join(dir, "plain", "entry.json");

  test("gives back a value only for the key it was stored under", () => {
    assert.equal(cache.get("entry", { a: 1 }, Value), undefined, "nothing stored yet");
    cache.put("entry", { a: 1 }, { n: 5 });
    assert.deepEqual(cache.get("entry", { a: 1 }, Value), { n: 5 });
    assert.equal(cache.get("entry", { a: 2 }, Value), undefined, "another key is a miss");
    assert.equal(cache.get("entry", { a: 1 }, z.object({ m: z.string() })), undefined, "another shape is a miss");
    cache.put("entry", { a: 2 }, { n: 6 });
    assert.equal(cache.get("entry", { a: 1 }, Value), undefined, "the old key was replaced");
    assert.deepEqual(cache.get("entry", { a: 2 }, Value), { n: 6 });
  });

  test("a truncated, corrupt or foreign file is a miss, and the next write replaces it", () => {
    cache.put("entry", { a: 3 }, { n: 7 });
    truncateSync(file, 20);
    assert.equal(cache.get("entry", { a: 3 }, Value), undefined);
    writeFileSync(file, "\u0000garbage{");
    assert.equal(cache.get("entry", { a: 3 }, Value), undefined);
    writeFileSync(file, JSON.stringify({ version: 999, key: "x", value: { n: 1 } }));
    assert.equal(cache.get("entry", { a: 3 }, Value), undefined);
    cache.put("entry", { a: 3 }, { n: 8 });
    assert.deepEqual(cache.get("entry", { a: 3 }, Value), { n: 8 });
    assert.deepEqual(
      readdirSync(join(dir, "plain")).filter((f) => f.endsWith(".tmp")),
      [],
      "no temporary file left",
    );
  });

  test("a folder that cannot be written costs nothing but the cache", () => {
    const blocked = join(dir, "blocked");
    writeFileSync(blocked, "a file where the folder should be");
    const c = new StartCache(join(blocked, "start"));
    c.put("entry", { a: 1 }, { n: 1 });
    assert.equal(c.get("entry", { a: 1 }, Value), undefined);
  });

  test("MODELMAP_NO_START_CACHE turns it off; the folder follows MODELMAP_CACHE_DIR", () => {
    assert.equal(StartCache.fromEnv({ MODELMAP_CACHE_DIR: dir, MODELMAP_NO_START_CACHE: "1" }), undefined);
    assert.equal(
      StartCache.fromEnv({ MODELMAP_CACHE_DIR: dir, MODELMAP_NO_START_CACHE: "0" })?.dir,
      join(dir, "start"),
    );
    assert.equal(StartCache.fromEnv({ MODELMAP_CACHE_DIR: dir })?.dir, join(dir, "start"));
  });

  test("the build's identity is stable within a process and names this build", () => {
    assert.match(codeIdentity(), /^[0-9a-f]{64}$/);
    assert.equal(codeIdentity(), codeIdentity());
  });
});

describe("startTasks: the registry through the cache", () => {
  const tasks = join(dir, "tasks");
  cpSync(join(BUILTIN_TASKS_DIR, "synthetic"), join(tasks, "synthetic"), { recursive: true });
  const cache = new StartCache(join(dir, "registry"));
  const entry = join(dir, "registry", "tasks.json");
  const fresh = (specs: string[]) => {
    const reg = TaskRegistry.load([tasks]);
    return reg.resolve(reg.resolve(specs).tasks.map((t) => t.name)).tasks;
  };

  test("a hit gives the tasks a fresh load gives, categories of every task included", async () => {
    const first = await startTasks(["synthetic"], cache, tasks);
    const second = await startTasks(["synthetic"], cache, tasks);
    assert.deepEqual(second.tasks, fresh(["synthetic"]));
    assert.deepEqual(first.tasks, second.tasks);
    assert.equal(second.tasks.length, 6);
    assert.deepEqual(second.categoryOf("synthetic_math_mc"), ["math"]);
    assert.equal(second.categoryOf("no_such_task"), undefined);
    assert.equal(second.categoryOf("constructor"), undefined);
  });

  test("an edited task file is seen at once", async () => {
    const file = join(tasks, "synthetic", "synthetic_math_mc.yaml");
    const before = (await startTasks(["synthetic"], cache, tasks)).tasks.find((t) => t.name === "synthetic_math_mc");
    const text = readFileSync(file, "utf8");
    // Same size, so only the modification time tells: the edit a size check alone would miss.
    writeFileSync(file, text.replace('"Question: {{question}}\\nAnswer:"', '"Query:    {{question}}\\nAnswer:"'));
    const t = new Date(Date.now() + 5000);
    utimesSync(file, t, t);
    const after = (await startTasks(["synthetic"], cache, tasks)).tasks.find((x) => x.name === "synthetic_math_mc");
    assert.equal(after?.config.doc_to_text, "Query:    {{question}}\nAnswer:");
    assert.notEqual(after?.hash, before?.hash);
    assert.deepEqual((await startTasks(["synthetic"], cache, tasks)).tasks, fresh(["synthetic"]));
  });

  test("an added or removed task file is seen", async () => {
    const file = join(tasks, "synthetic", "synthetic_extra.yaml");
    writeFileSync(
      file,
      readFileSync(join(tasks, "synthetic", "synthetic_math_mc.yaml"), "utf8").replace(
        "task: synthetic_math_mc",
        "task: synthetic_extra",
      ),
    );
    assert.equal((await startTasks(["synthetic"], cache, tasks)).tasks.length, 7);
    rmSync(file);
    assert.equal((await startTasks(["synthetic"], cache, tasks)).tasks.length, 6);
  });

  test("a truncated or corrupt cache file still gives the right tasks, and is rewritten", async () => {
    await startTasks(["synthetic"], cache, tasks);
    truncateSync(entry, 100);
    assert.deepEqual((await startTasks(["synthetic"], cache, tasks)).tasks, fresh(["synthetic"]));
    assert.doesNotThrow(() => JSON.parse(readFileSync(entry, "utf8")), "rewritten whole");
    writeFileSync(entry, "{not json");
    assert.deepEqual((await startTasks(["synthetic"], cache, tasks)).tasks, fresh(["synthetic"]));
    assert.doesNotThrow(() => JSON.parse(readFileSync(entry, "utf8")), "rewritten whole");
  });

  test("without a cache it loads the files", async () => {
    assert.deepEqual((await startTasks(["synthetic"], undefined, tasks)).tasks, fresh(["synthetic"]));
  });
});
