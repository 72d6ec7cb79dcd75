/**
 * Loading modelmap.yaml: YAML syntax errors and schema errors both name the file, the line and the field,
 * using the yaml package's node ranges to map a zod issue path back to the line it came from.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { type Config, ConfigSchema, type ModelConfig } from "./schema.ts";

export const DEFAULT_CONFIG_FILE = "modelmap.yaml";

export interface LoadedConfig {
  /** Absolute path of the file read. */
  file: string;
  /** Its directory: relative paths in the file are resolved against it (already done in `config`). */
  dir: string;
  config: Config;
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Which config file to read: the explicit path, else $MODELMAP_CONFIG, else ./modelmap.yaml. The shell hands in
 * its environment and working directory; this module reads no process globals.
 */
export function configPath(explicit: string | undefined, env: Env, cwd: string): string {
  return resolve(cwd, explicit ?? env.MODELMAP_CONFIG ?? DEFAULT_CONFIG_FILE);
}

export function loadConfig(path: string | undefined, opts: { env: Env; cwd: string }): LoadedConfig {
  const file = configPath(path, opts.env, opts.cwd);
  if (!existsSync(file))
    throw new ModelmapError("not_found", `config file not found: ${file}`, {
      location: { file },
      hint: "create modelmap.yaml (see the README's config file reference), or pass --config FILE / set MODELMAP_CONFIG",
    });
  return parseConfig(readUserText(file, "config file"), file);
}

/** Parses and validates config text; `file` is used in messages and to resolve relative paths. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    throw new ModelmapError("config", `invalid YAML: ${yamlError.message.split("\n")[0]}`, {
      location: { file, line },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS() ?? {};
  } catch (e) {
    // The yaml package refuses alias bombs ("Excessive alias count") while building the value.
    throw new ModelmapError("config", `invalid YAML: ${(e as Error).message}`, {
      location: { file },
      hint: "anchors (&a) and aliases (*a) may not expand into a huge document",
    });
  }
  const parsed = ConfigSchema.safeParse(data);
  if (!parsed.success) throw schemaError(parsed.error, doc.contents, lineCounter, file, data);
  const dir = dirname(file);
  return { file, dir, config: resolvePaths(parsed.data, dir) };
}

type Issue = z.core.$ZodIssue;

function schemaError(
  error: { issues: Issue[] },
  root: Node | null,
  lc: LineCounter,
  file: string,
  data: unknown,
): ModelmapError {
  const described = error.issues.slice(0, 8).map((issue) => describeIssue(issue, root, lc, data));
  const first = described[0];
  const more = described.slice(1).map((d) => `\n  line ${d.line ?? "?"}, field '${d.field}': ${d.message}`);
  const location: { file: string; line?: number; field: string } = { file, field: first?.field ?? "" };
  if (first?.line !== undefined) location.line = first.line;
  return new ModelmapError("config", `${first?.message ?? "invalid config"}${more.join("")}`, {
    location,
    hint: "the JSON Schema in schema/modelmap.schema.json lists every key (`modelmap config schema`)",
  });
}

function describeIssue(
  issue: Issue,
  root: Node | null,
  lc: LineCounter,
  data: unknown,
): { line: number | undefined; field: string; message: string } {
  const path = issue.path.map((p) => (typeof p === "symbol" ? String(p) : p));
  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const field = fieldPath([...path, key]);
    const line = keyLine(root, path, key, lc) ?? nodeLine(root, path, lc);
    const known = `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `'${k}'`).join(", ")}`;
    return { line, field, message: known };
  }
  // A missing field has no node of its own: point at the object that lacks it.
  let line: number | undefined;
  for (let n = path.length; n >= 0 && line === undefined; n--) line = nodeLine(root, path.slice(0, n), lc);
  return { line, field: fieldPath(path), message: issueMessage(issue, valueAt(data, path)) };
}

function valueAt(data: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = data;
  for (const p of path) v = v !== null && typeof v === "object" ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

function typeName(v: unknown): string {
  return v === null
    ? "null"
    : Array.isArray(v)
      ? "a list"
      : typeof v === "object"
        ? "a mapping"
        : `${typeof v} ${clip(JSON.stringify(v))}`;
}

/** A value echoed in a message: a whole binary file read as YAML must not come back as 4 KB of noise. */
function clip(s: string | undefined, n = 60): string {
  if (s === undefined) return "";
  return s.length > n ? `${s.slice(0, n)}... (${s.length} characters)` : s;
}

function issueMessage(issue: Issue, value: unknown): string {
  if (issue.code === "invalid_type")
    return value === undefined
      ? `required (${issue.expected} expected)`
      : `expected ${issue.expected}, got ${typeName(value)}`;
  if (issue.code === "invalid_value") return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "invalid_union") return "expected {preset: NAME} or {text: TEXT}, or see the schema";
  return issue.message;
}

function nodeAt(root: Node | null, path: ReadonlyArray<string | number>): Node | null {
  let node: unknown = root;
  for (const p of path) {
    if (!node || typeof node !== "object" || !("get" in node)) return null;
    node = (node as { get(k: unknown, keepScalar: boolean): unknown }).get(p, true);
  }
  return (node as Node | null) ?? null;
}

function nodeLine(root: Node | null, path: ReadonlyArray<string | number>, lc: LineCounter): number | undefined {
  const node = nodeAt(root, path);
  const start = node?.range?.[0];
  return start === undefined ? undefined : lc.linePos(start).line;
}

function keyLine(
  root: Node | null,
  path: ReadonlyArray<string | number>,
  key: string,
  lc: LineCounter,
): number | undefined {
  const map = nodeAt(root, path);
  if (!isMap(map)) return undefined;
  for (const pair of map.items) {
    if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return lc.linePos(pair.key.range[0]).line;
  }
  return undefined;
}

function resolvePaths(c: Config, dir: string): Config {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const models: ModelConfig[] = c.models.map((m) => {
    const out: ModelConfig = { ...m };
    if (m.file !== undefined) out.file = abs(m.file);
    if (m.template?.path !== undefined) out.template = { ...m.template, path: abs(m.template.path) };
    return out;
  });
  const out: Config = { ...c, models };
  if (c.data_dir !== undefined) out.data_dir = abs(c.data_dir);
  return out;
}

/** Finds a model by id, with the list of ids in the hint when it is not there. */
export function findModel(loaded: LoadedConfig, id: string): ModelConfig {
  const m = loaded.config.models.find((x) => x.id === id);
  if (!m)
    throw new ModelmapError("not_found", `no model '${id}' in ${loaded.file}`, {
      hint: `models: ${loaded.config.models.map((x) => x.id).join(", ") || "(none)"}`,
    });
  return m;
}
