import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";

/**
 * The house rules of docs/decisions/0002-layers.md, enforced: which room (top-level folder of src/) may import
 * which, read from the document's table; no import cycle between files of src/; and the package rules.
 * Test files are left out: they may reach anywhere.
 */

const DOC = "docs/decisions/0002-layers.md";

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) yield* files(p);
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts")) yield p;
  }
}

// Static imports and re-exports (`from "x"`), side-effect imports (`import "x"`) and dynamic imports.
const IMPORT = /(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)["']([^"']+)["']/gm;

/** Import specifiers of a file; comment lines are left out (biome puts each comment on lines of its own). */
function imports(file: string): string[] {
  const code = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => !/^\s*(\/\/|\/\*|\*)/.test(line))
    .join("\n");
  return [...code.matchAll(IMPORT)].map((m) => m[1] as string);
}

/** Every source file of src/ (relative to src/) with the files it imports (relative to src/). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const f of files("src")) {
    const rel = relative("src", f);
    const targets: string[] = [];
    for (const spec of imports(f)) {
      if (!spec.startsWith(".")) continue;
      const target = normalize(join(dirname(rel), spec));
      assert.ok(
        !target.startsWith("..") && existsSync(join("src", target)),
        `src/${rel} imports '${spec}', which is not a file of src/`,
      );
      targets.push(target);
    }
    graph.set(rel, targets);
  }
  return graph;
}

const roomOf = (rel: string): string => (rel.includes("/") ? (rel.split("/")[0] as string) : "");

/** The table of docs/decisions/0002-layers.md: room -> the rooms it may import ("any room": every room). */
function layerTable(): Table {
  const text = readFileSync(DOC, "utf8");
  const start = text.indexOf("## Who may import whom");
  assert.ok(start >= 0, `${DOC} has no '## Who may import whom' section`);
  const table = new Map<string, Set<string> | "any">();
  for (const line of text.slice(start).split("\n")) {
    const row = /^\|\s*`([a-z-]+)`\s*\|([^|]*)\|/.exec(line);
    if (!row) continue;
    const [, room, allowed] = row as unknown as [string, string, string];
    assert.ok(!table.has(room), `${DOC}: room '${room}' has two rows`);
    if (allowed.trim() === "any room") table.set(room, "any");
    else if (allowed.trim() === "nothing") table.set(room, new Set());
    else {
      const names = [...allowed.matchAll(/`([a-z-]+)`/g)].map((m) => m[1] as string);
      assert.ok(names.length > 0, `${DOC}: row '${room}' lists no rooms (write 'nothing' or 'any room')`);
      table.set(room, new Set(names));
    }
  }
  for (const [room, allowed] of table) {
    if (allowed === "any") continue;
    for (const other of allowed)
      assert.ok(table.has(other), `${DOC}: row '${room}' names '${other}', which has no row`);
  }
  return table;
}

/**
 * Imports that break the table today and are being fixed elsewhere in issue 15. Each is one file and the room
 * it may not import; the test fails when an entry no longer happens, so the list only shrinks.
 */
const PENDING_IMPORTS: Array<{ file: string; room: string; why: string }> = [];

/** Import cycles being untied elsewhere in issue 15, as the set of files in the cycle. */
const PENDING_CYCLES: Array<{ files: string[]; why: string }> = [];

type Table = Map<string, Set<string> | "any">;

/** Imports the table forbids, as "file -> room" keys with a message each. */
function forbiddenImports(graph: Map<string, string[]>, table: Table): Map<string, string> {
  const out = new Map<string, string>();
  for (const [file, targets] of graph) {
    const room = roomOf(file);
    const allowed = table.get(room);
    // A file directly in src/ is the library's front door and may import any room.
    if (room === "" || allowed === "any") continue;
    for (const target of targets) {
      const other = roomOf(target);
      if (other === room || allowed?.has(other)) continue;
      out.set(`${file} -> ${other}`, `src/${file} imports src/${target}: ${room}/ may not import ${other}/`);
    }
  }
  return out;
}

test(`every room of src/ may import only what the table in ${DOC} allows`, () => {
  const table = layerTable();
  const graph = importGraph();
  for (const room of new Set([...graph.keys()].map(roomOf))) {
    if (room !== "") assert.ok(table.has(room), `src/${room}/ has no row in the table of ${DOC}: add one`);
  }
  const forbidden = forbiddenImports(graph, table);
  const pending = new Set(PENDING_IMPORTS.map((p) => `${p.file} -> ${p.room}`));
  const violations = [...forbidden].filter(([key]) => !pending.has(key)).map(([, message]) => message);
  assert.deepEqual(violations, [], `imports that break ${DOC}:\n${violations.join("\n")}`);
  const stale = PENDING_IMPORTS.filter((p) => !forbidden.has(`${p.file} -> ${p.room}`));
  assert.deepEqual(
    stale,
    [],
    "pending imports that no longer happen: remove them from PENDING_IMPORTS in test/layers.test.ts",
  );
});

/** Strongly connected components of more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v) as number);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** One cycle through the files of a component, as a readable path a -> b -> ... -> a. */
function cyclePath(graph: Map<string, string[]>, component: string[]): string {
  const inside = new Set(component);
  const start = component[0] as string;
  const path = [start];
  const seen = new Set([start]);
  let at = start;
  for (;;) {
    const next = (graph.get(at) ?? []).filter((t) => inside.has(t));
    const back = next.find((t) => t === start);
    if (back !== undefined && path.length > 1) break;
    const step = next.find((t) => !seen.has(t)) ?? back;
    if (step === undefined || step === start) break;
    path.push(step);
    seen.add(step);
    at = step;
  }
  return [...path, start].join(" -> ");
}

test("no import cycle between files of src/", () => {
  const graph = importGraph();
  const found = cycles(graph);
  const unexpected = found.filter((c) => !PENDING_CYCLES.some((p) => c.every((f) => p.files.includes(f))));
  assert.deepEqual(
    unexpected.map((c) => cyclePath(graph, c)),
    [],
    "import cycles between files of src/ (each line is one cycle)",
  );
  const stale = PENDING_CYCLES.filter((p) => !found.some((c) => c.every((f) => p.files.includes(f))));
  assert.deepEqual(stale, [], "pending cycles that are gone: remove them from PENDING_CYCLES in test/layers.test.ts");
});

test("the checks fail on a dirty tree: a cycle is found, a forbidden import is named", () => {
  const graph = new Map([
    ["a/x.ts", ["b/y.ts"]],
    ["b/y.ts", ["b/z.ts"]],
    ["b/z.ts", ["a/x.ts"]],
    ["c/w.ts", ["c/w.ts"]],
    ["d/v.ts", ["a/x.ts"]],
  ]);
  const found = cycles(graph);
  assert.deepEqual(found.sort(), [["a/x.ts", "b/y.ts", "b/z.ts"], ["c/w.ts"]]);
  assert.equal(cyclePath(graph, ["a/x.ts", "b/y.ts", "b/z.ts"]), "a/x.ts -> b/y.ts -> b/z.ts -> a/x.ts");
  const table: Table = new Map<string, Set<string> | "any">([
    ["a", new Set(["b"])],
    ["b", new Set()],
    ["c", new Set()],
    ["d", "any"],
  ]);
  assert.deepEqual([...forbiddenImports(graph, table).keys()], ["b/z.ts -> a"]);
  // The real table says what the issue asks of it.
  const real = layerTable();
  assert.deepEqual(real.get("core"), new Set());
  assert.deepEqual(real.get("backends"), new Set(["core"]));
  assert.equal(real.get("cli"), "any");
  assert.ok(!(real.get("arena") as Set<string>).has("capmap"), "capmap/ builds on arena/, not the other way");
});

test("only store/sqlite imports the SQLite driver and only store/postgres the PostgreSQL one", () => {
  const drivers: Array<{ pkg: RegExp; home: string }> = [
    { pkg: /^better-sqlite3$/, home: "store/sqlite/" },
    // pg and its parts (pg-pool, pg-protocol, ...). pg-boss is a job queue on top of pg, not a driver: it lives in
    // queue/queue.ts alone (guarded below).
    { pkg: /^(pg|pg-(?!boss$)[a-z-]+|postgres)$/, home: "store/postgres/" },
    { pkg: /^pg-boss$/, home: "queue/queue.ts" },
  ];
  for (const f of files("src")) {
    const rel = relative("src", f);
    for (const { pkg, home } of drivers) {
      if (rel.startsWith(home)) continue;
      const found = imports(f).filter((i) => pkg.test(i));
      assert.deepEqual(found, [], `${rel} imports ${found.join(", ")}: only src/${home} may`);
    }
  }
});

test("only backends/llama-cpp imports node-llama-cpp", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    if (rel.startsWith("backends/llama-cpp/")) continue;
    assert.ok(!imports(f).includes("node-llama-cpp"), `${rel} imports node-llama-cpp`);
  }
});

test("stats does no I/O", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    if (!rel.startsWith("stats/")) continue;
    for (const imp of imports(f))
      assert.ok(!/^node:(fs|net|http|child_process)/.test(imp), `${rel} does I/O through ${imp}`);
  }
});

test("the shells (CLI and HTTP) hold no SQL", () => {
  for (const f of files("src")) {
    const rel = relative("src", f);
    if (!["cli", "http"].includes(roomOf(rel))) continue;
    assert.ok(
      !/\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM)\b/.test(readFileSync(f, "utf8")),
      `${rel} contains SQL`,
    );
  }
});
