import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { isSeq, LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { fieldPath, ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";
import { hashOf } from "../core/hash.ts";
import { detectImportFormat, type ImportFormat, importedSetName, importRows } from "./importers.ts";
import {
  type PromptItem,
  type PromptSet,
  promptItemSchema,
  type SetMeta,
  setMetaSchema,
  yamlSetFileSchema,
} from "./schema.ts";

interface Parsed {
  meta: SetMeta;
  items: Array<{ item: PromptItem; file: string; line: number }>;
}

function zodError(err: z.ZodError, file: string, line: number | undefined, prefix = ""): ModelmapError {
  const issue = err.issues[0];
  const field = issue ? prefix + fieldPath(issue.path) : prefix;
  const location: { file: string; line?: number; field?: string } = { file };
  if (line !== undefined) location.line = line;
  if (field) location.field = field;
  return new ModelmapError("input", issue?.message ?? "invalid prompt item", {
    location,
    hint: "a prompt item has id, category, turns[] and optional reference and tags (see README: Prompt sets)",
  });
}

/** Native JSONL: one item per line; an optional first line `{"set": {...}}` carries set metadata. */
function parseJsonl(file: string, text: string): Parsed {
  const out: Parsed = { meta: {}, items: [] };
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch (e) {
      throw new ModelmapError("input", `invalid JSON: ${(e as Error).message}`, { location: { file, line: i + 1 } });
    }
    if (out.items.length === 0 && row && typeof row === "object" && "set" in row && Object.keys(row).length === 1) {
      const m = setMetaSchema.safeParse((row as { set: unknown }).set);
      if (!m.success) throw zodError(m.error, file, i + 1, "set.");
      out.meta = m.data;
      continue;
    }
    const r = promptItemSchema.safeParse(row);
    if (!r.success) throw zodError(r.error, file, i + 1);
    out.items.push({ item: r.data, file, line: i + 1 });
  }
  return out;
}

function parseYaml(file: string, text: string): Parsed {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const first = doc.errors[0];
  if (first) {
    const line = lc.linePos(first.pos[0]).line;
    throw new ModelmapError("input", `invalid YAML: ${first.message.split("\n")[0]}`, { location: { file, line } });
  }
  const data = yamlValue(doc, file);
  const top = yamlSetFileSchema.safeParse(data);
  if (!top.success) throw zodError(top.error, file, undefined);
  const { prompts, ...meta } = top.data;
  const seq = doc.get("prompts", true);
  const out: Parsed = { meta, items: [] };
  prompts.forEach((p, idx) => {
    const node = isSeq(seq) ? seq.items[idx] : undefined;
    const offset = node && typeof node === "object" && "range" in node ? (node.range as [number])[0] : undefined;
    const line = offset === undefined ? undefined : lc.linePos(offset).line;
    const r = promptItemSchema.safeParse(p);
    if (!r.success) throw zodError(r.error, file, line, `prompts[${idx}].`);
    out.items.push({ item: r.data, file, line: line ?? 0 });
  });
  return out;
}

/** A YAML document's value; an alias bomb ("Excessive alias count") is an input error naming the file. */
function yamlValue(doc: { toJS(): unknown }, file: string): unknown {
  try {
    return doc.toJS();
  } catch (e) {
    throw new ModelmapError("input", `invalid YAML: ${(e as Error).message}`, { location: { file } });
  }
}

function parseFile(file: string, format: ImportFormat | "auto"): Parsed {
  const text = readUserText(file, "prompt set file");
  const ext = extname(file).toLowerCase();
  if (ext === ".yaml" || ext === ".yml") return parseYaml(file, text);
  if (ext !== ".jsonl" && ext !== ".json") {
    throw new ModelmapError("input", `unsupported prompt-set file type '${ext}'`, {
      location: { file },
      hint: "use .yaml, .yml or .jsonl",
    });
  }
  const fmt = format === "auto" ? detectImportFormat(file, text) : format;
  if (fmt === "native") return parseJsonl(file, text);
  return { meta: { name: importedSetName(fmt, file) }, items: importRows(fmt, file, text) };
}

/**
 * Loads a prompt set from a YAML/JSONL file or a folder of them (merged, files in name order; a folder's
 * `_set.yaml` may carry only metadata). MT-bench, Vicuna-bench and Arena-Hard question files are detected
 * and converted on the fly. Duplicate ids are an error naming both places.
 */
export function loadPromptSet(path: string, opts: { format?: ImportFormat | "auto"; name?: string } = {}): PromptSet {
  if (!existsSync(path)) {
    throw new ModelmapError("not_found", `prompt set '${path}' does not exist`, {
      hint: "pass a .yaml/.jsonl file or a folder of them (e.g. prompts/heldout)",
    });
  }
  const format = opts.format ?? "auto";
  const files: string[] = [];
  const isDir = statSync(path).isDirectory();
  if (isDir) {
    for (const f of readdirSync(path).sort()) {
      if (/\.(ya?ml|jsonl)$/i.test(f)) files.push(join(path, f));
    }
    if (files.length === 0) throw new ModelmapError("input", `folder ${path} holds no .yaml or .jsonl files`);
  } else {
    files.push(path);
  }
  let meta: SetMeta = {};
  const items: PromptItem[] = [];
  const seen = new Map<string, string>();
  for (const f of files) {
    let parsed: Parsed;
    if (isDir && basename(f).startsWith("_set.")) {
      const m = setMetaSchema.safeParse(yamlValue(parseDocument(readUserText(f, "prompt set file")), f));
      if (!m.success) throw zodError(m.error, f, undefined);
      parsed = { meta: m.data, items: [] };
    } else {
      parsed = parseFile(f, format);
    }
    meta = mergeMeta(meta, parsed.meta, f);
    for (const { item, file, line } of parsed.items) {
      const prev = seen.get(item.id);
      if (prev) {
        throw new ModelmapError("input", `duplicate prompt id '${item.id}' (first seen at ${prev})`, {
          location: { file, line, field: "id" },
        });
      }
      seen.set(item.id, `${file}:${line}`);
      items.push(item);
    }
  }
  if (items.length === 0)
    throw new ModelmapError("input", `prompt set ${path} has no prompts`, { location: { file: path } });
  const name = opts.name ?? meta.name ?? basename(path).replace(/\.(ya?ml|jsonl|json)$/i, "");
  const set: PromptSet = {
    name,
    secret: meta.secret ?? false,
    contentHash: hashOf({ meta: { ...meta, name }, items }),
    items,
    origin: path,
  };
  if (meta.description !== undefined) set.description = meta.description;
  if (meta.canary !== undefined) set.canary = meta.canary;
  return set;
}

function mergeMeta(a: SetMeta, b: SetMeta, file: string): SetMeta {
  const out: SetMeta = { ...a };
  for (const k of Object.keys(b) as Array<keyof SetMeta>) {
    const v = b[k];
    if (v === undefined) continue;
    if (out[k] !== undefined && out[k] !== v) {
      throw new ModelmapError("input", `set metadata '${k}' differs between files of one set`, {
        location: { file, field: k },
      });
    }
    (out as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** Serializes a set as native JSONL (metadata line first), e.g. to save an imported public set. */
export function toJsonl(set: PromptSet): string {
  const meta: SetMeta = { name: set.name };
  if (set.description !== undefined) meta.description = set.description;
  if (set.secret) meta.secret = true;
  if (set.canary !== undefined) meta.canary = set.canary;
  return [JSON.stringify({ set: meta }), ...set.items.map((i) => JSON.stringify(i))].join("\n") + "\n";
}
