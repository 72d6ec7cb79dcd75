/**
 * Which files of a dataset repository make which split of a configuration, as Hugging Face `datasets` decides:
 * the `configs:` list of README.md's YAML header (`config_name`, `data_files` as `{split, path}` patterns,
 * `data_dir`, `default`), else its default patterns (shards `data/{split}-00000-of-00001.*`, then a split keyword
 * in a folder name, then in a file name, else everything is `train`). Patterns are fsspec globs (`*` within a path
 * segment, `**` across segments, `[...]` classes); hidden files and `__`-prefixed folders are left out, as
 * `datasets` leaves them out. The dataset viewer's Parquet conversion (`CONFIG/SPLIT/0000.parquet`) resolves by the
 * same rules once the configuration's folder is taken as the base.
 */
import { parse } from "yaml";
import { z } from "zod";

/** Formats modelmap reads (see tasks/dataset.ts), compressed or not. */
const READABLE = /\.(parquet|jsonl|ndjson|json|csv)(\.(gz|bz2))?$/i;
const IGNORED_NAMES = new Set([
  "README.md",
  "config.json",
  "dataset_info.json",
  "dataset_infos.json",
  "dummy_data.zip",
  "dataset_dict.json",
]);

const SPLIT_KEYWORDS: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["train", ["train", "training"]],
  ["validation", ["validation", "valid", "dev", "val"]],
  ["test", ["test", "testing", "eval", "evaluation"]],
];
const SEP = "[-._ 0-9]";
const DIR_NAME_PATTERNS = ["**/{k}/**", `**/{k}${SEP}*/**`, `**/*${SEP}{k}/**`, `**/*${SEP}{k}${SEP}*/**`];
const FILE_NAME_PATTERNS = [`**/{k}${SEP}*`, `**/*${SEP}{k}${SEP}*`];
const SHARDED = /^data\/(\w+)-\d{5}-of-\d{5}[^/]*\.[^/]+$/;

/** One path segment of a glob as a regular expression. */
function segmentToRegExp(seg: string): string {
  let out = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === "*") {
      if (seg[i + 1] === "*") {
        out += ".*";
        i++;
      } else out += "[^/]*";
    } else if (c === "?") out += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 2);
      if (end < 0) out += "\\[";
      else {
        let body = seg.slice(i + 1, end);
        const negate = body.startsWith("!");
        if (negate) body = body.slice(1);
        out += `[${negate ? "^" : ""}${body.replace(/\\/g, "\\\\")}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return out;
}

/** An fsspec-style glob (relative path) as an anchored regular expression. */
export function globToRegExp(glob: string): RegExp {
  const segs = glob.replace(/^\.\//, "").split("/");
  let re = "";
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === "**") re += last ? ".*" : "(?:[^/]+/)*";
    else re += segmentToRegExp(seg) + (last ? "" : "/");
  });
  return new RegExp(`^${re}$`);
}

function hidden(rel: string, pattern: string): boolean {
  const asked = pattern.split("/").some((s) => s.startsWith(".") || s.startsWith("__"));
  if (asked) return false;
  const segs = rel.split("/");
  return segs.some((s, i) => s.startsWith(".") || (i < segs.length - 1 && s.startsWith("__")));
}

/** Paths (under `base`) matching the patterns, each pattern's matches sorted, first match kept. */
function matchAll(paths: readonly string[], patterns: readonly string[], base: string): string[] {
  const prefix = base === "" ? "" : `${base.replace(/\/+$/, "")}/`;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const pattern of patterns) {
    const re = globToRegExp(pattern);
    const hits = paths
      .filter((p) => p.startsWith(prefix))
      .filter((p) => {
        const rel = p.slice(prefix.length);
        const name = rel.split("/").pop() ?? rel;
        return !IGNORED_NAMES.has(name) && re.test(rel) && !hidden(rel, pattern);
      })
      .sort();
    for (const h of hits)
      if (!seen.has(h)) {
        seen.add(h);
        out.push(h);
      }
  }
  return out;
}

/** `data_files` in any form `datasets` accepts: a pattern, a list, `{split: pattern(s)}`, `[{split, path}]`. */
export function splitPatterns(dataFiles: unknown): Map<string, string[]> | undefined {
  const list = (v: unknown): string[] | undefined =>
    typeof v === "string" ? [v] : Array.isArray(v) && v.every((x) => typeof x === "string") ? v : undefined;
  const out = new Map<string, string[]>();
  const simple = list(dataFiles);
  if (simple) {
    out.set("train", simple);
    return out;
  }
  if (Array.isArray(dataFiles)) {
    for (const item of dataFiles) {
      const r = z.object({ split: z.string(), path: z.union([z.string(), z.array(z.string())]) }).safeParse(item);
      if (!r.success) return undefined;
      out.set(r.data.split, [...(out.get(r.data.split) ?? []), ...(list(r.data.path) ?? [])]);
    }
    return out;
  }
  if (dataFiles && typeof dataFiles === "object") {
    for (const [split, v] of Object.entries(dataFiles)) {
      const l = list(v);
      if (!l) return undefined;
      out.set(split, l);
    }
    return out;
  }
  return undefined;
}

const ConfigEntry = z.object({
  config_name: z.union([z.string(), z.number()]).transform(String).optional(),
  data_files: z.unknown().optional(),
  data_dir: z.string().optional(),
  default: z.boolean().optional(),
});
export interface ReadmeConfig {
  name: string;
  dataFiles?: unknown;
  dataDir?: string;
  default: boolean;
}

/** The `configs:` of a dataset card's YAML header, or undefined when it has none (or no header). */
export function readmeConfigs(readme: string): ReadmeConfig[] | undefined {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\s*(\r?\n|$)/.exec(readme.replace(/^\uFEFF/, ""));
  if (!m) return undefined;
  let meta: unknown;
  try {
    meta = parse(m[1] as string);
  } catch {
    return undefined;
  }
  const raw = (meta as { configs?: unknown } | null)?.configs;
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const out: ReadmeConfig[] = [];
  for (const c of raw) {
    const r = ConfigEntry.safeParse(c);
    if (!r.success) continue;
    out.push({
      name: r.data.config_name ?? "default",
      ...(r.data.data_files !== undefined ? { dataFiles: r.data.data_files } : {}),
      ...(r.data.data_dir !== undefined ? { dataDir: r.data.data_dir } : {}),
      default: r.data.default === true,
    });
  }
  return out.length > 0 ? out : undefined;
}

export type SplitResolution =
  | { ok: true; splits: Map<string, string[]>; how: string }
  | { ok: false; reason: string; configs?: string[] };

function formatKey(p: string): string {
  const m = READABLE.exec(p);
  if (m) return (m[1] as string).toLowerCase().replace("ndjson", "jsonl");
  return (/\.([^./]+)$/.exec(p)?.[1] ?? "(none)").toLowerCase();
}

/** `datasets`' default patterns under `base`: shards, split folders, split file names, else all is train. */
function defaultSplits(paths: readonly string[], base: string): Map<string, string[]> {
  const prefix = base === "" ? "" : `${base}/`;
  const sharded = new Map<string, string[]>();
  for (const p of [...paths].sort()) {
    if (!p.startsWith(prefix)) continue;
    const m = SHARDED.exec(p.slice(prefix.length));
    if (m) sharded.set(m[1] as string, [...(sharded.get(m[1] as string) ?? []), p]);
  }
  if (sharded.size > 0) return sharded;
  for (const group of [DIR_NAME_PATTERNS, FILE_NAME_PATTERNS]) {
    const out = new Map<string, string[]>();
    for (const [split, keywords] of SPLIT_KEYWORDS) {
      const files = matchAll(
        paths,
        keywords.flatMap((k) => group.map((g) => g.replaceAll("{k}", k))),
        base,
      );
      if (files.length > 0) out.set(split, files);
    }
    if (out.size > 0) return out;
  }
  const all = matchAll(paths, ["**"], base);
  return all.length > 0 ? new Map([["train", all]]) : new Map();
}

/**
 * The dataset viewer's Parquet conversion (`refs/convert/parquet`): `CONFIG/SPLIT/NNNN.parquet`, where a split too
 * big to convert whole is in `CONFIG/partial-SPLIT/`. Split names are the folder names, whatever they are.
 */
function convertedLayout(paths: readonly string[], base: string): Map<string, string[]> | undefined {
  const under = paths.filter((p) => p.startsWith(`${base}/`)).sort();
  if (under.length === 0) return undefined;
  const out = new Map<string, string[]>();
  for (const p of under) {
    const m = /^([^/]+)\/[^/]+\.parquet$/.exec(p.slice(base.length + 1));
    if (!m) return undefined;
    const split = (m[1] as string).replace(/^partial-/, "");
    out.set(split, [...(out.get(split) ?? []), p]);
  }
  return out;
}

/**
 * Split name -> repository paths for configuration `config` (null: the default one), from the repository's file
 * list and its README.md. `dataFiles`/`dataDir` are a task's `dataset_kwargs` (they replace the card's configs).
 */
export function resolveSplits(
  paths: readonly string[],
  opts: { readme?: string; config: string | null; dataFiles?: unknown; dataDir?: string },
): SplitResolution {
  const explicit = (dataFiles: unknown, base: string, source: string): Map<string, string[]> | SplitResolution => {
    const patterns = splitPatterns(dataFiles);
    if (!patterns) return { ok: false, reason: `${source}: data_files is not a pattern, a list or {split: pattern}` };
    // A split whose files are absent is left out (a partial local copy; an old revision): a task that reads it is
    // told which splits there are. No split at all is an error.
    const out = new Map<string, string[]>();
    const unmatched: string[] = [];
    for (const [split, pats] of patterns) {
      const files = matchAll(paths, pats, base);
      if (files.length === 0) unmatched.push(...pats);
      else out.set(split, files);
    }
    if (out.size === 0) return { ok: false, reason: `${source}: no file matches ${unmatched.join(", ")}` };
    return out;
  };
  const configs = opts.readme === undefined ? undefined : readmeConfigs(opts.readme);
  let found: Map<string, string[]>;
  let how: string;
  if (opts.dataFiles !== undefined) {
    const r = explicit(opts.dataFiles, opts.dataDir ?? "", "dataset_kwargs");
    if (!(r instanceof Map)) return r;
    found = r;
    how = "dataset_kwargs.data_files";
  } else if (configs && opts.dataDir === undefined) {
    const names = configs.map((c) => c.name);
    const chosen =
      opts.config !== null
        ? configs.find((c) => c.name === opts.config)
        : (configs.find((c) => c.default) ??
          (configs.length === 1 ? configs[0] : configs.find((c) => c.name === "default")));
    if (!chosen)
      return {
        ok: false,
        reason:
          opts.config === null
            ? `the dataset has several configurations and none is the default (${names.join(", ")}): set dataset_name`
            : `no configuration '${opts.config}' in its README.md (it lists ${names.join(", ")})`,
        configs: names,
      };
    if (chosen.dataFiles !== undefined) {
      const r = explicit(chosen.dataFiles, chosen.dataDir ?? "", `README.md configuration '${chosen.name}'`);
      if (!(r instanceof Map)) return r;
      found = r;
    } else found = defaultSplits(paths, chosen.dataDir ?? "");
    how = `README.md configuration '${chosen.name}'`;
  } else {
    let base = opts.dataDir ?? "";
    if (opts.config !== null && opts.config !== "default" && opts.dataDir === undefined) {
      // No card: the Parquet conversion and most multi-configuration repositories keep one folder per configuration.
      if (!paths.some((p) => p.startsWith(`${opts.config}/`)))
        return {
          ok: false,
          reason: `no configuration '${opts.config}' (no configs in README.md and no folder '${opts.config}/')`,
        };
      base = opts.config;
    }
    const converted = base === "" ? undefined : convertedLayout(paths, base);
    found = converted ?? defaultSplits(paths, base);
    how = converted
      ? `the Parquet conversion's layout ${base}/SPLIT/*.parquet`
      : base === ""
        ? "default file patterns"
        : `default file patterns under ${base}/`;
  }
  if (found.size === 0) return { ok: false, reason: "no data files" };
  // datasets reads the files of the most common format; modelmap must be able to read them.
  const counts = new Map<string, number>();
  for (const files of found.values())
    for (const f of files) counts.set(formatKey(f), (counts.get(formatKey(f)) ?? 0) + 1);
  const top = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "(none)";
  if (!["parquet", "jsonl", "json", "csv"].includes(top))
    return {
      ok: false,
      reason: `its data files are .${top}, which modelmap does not read (parquet, jsonl, json, csv)`,
    };
  for (const [split, files] of found) {
    const kept = files.filter((f) => formatKey(f) === top);
    if (kept.length === 0) found.delete(split);
    else found.set(split, kept);
  }
  return { ok: true, splits: found, how };
}
