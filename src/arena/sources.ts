import { maySeeStandings, requireStandings, type Viewer } from "../core/access.ts";
import { ModelmapError } from "../core/errors.ts";
import { collect } from "../core/iter.ts";
import type { PairCounts, Vote } from "../core/votes.ts";
import type { Store } from "../store/store.ts";
import { aggregateVotes, applyFilters, mergeCounts } from "./aggregate.ts";
import { type BadRow, readVoteFile, type VoteFormat } from "./read-votes.ts";

/** Where `rank`, `bias` and `agree` get votes: files, or the store's sources. Shared by CLI and server. */
export interface LoadRequest {
  files?: string[];
  /** Stored sources to use when no file is given (all stored votes when empty). */
  sources?: string[];
  filters?: Array<{ field: string; value: string }>;
  strict?: boolean;
  store?: () => Promise<Store>;
}

export interface FileSummary {
  file: string;
  format: VoteFormat | "store";
  votes: number;
  badCount: number;
  bad: BadRow[];
}

export interface LoadedVotes {
  counts: PairCounts;
  /** Row votes in file order; undefined when any input is an aggregated count file. */
  votes: Vote[] | undefined;
  files: FileSummary[];
}

/** The store's vote sources with their counts (`votes list`, `GET /api/votes/sources`). */
export function voteSources(
  store: Store,
): Promise<Array<{ source: string; votes: number; firstAt: string; lastAt: string }>> {
  return store.votes.sources();
}

/**
 * The stored sources a viewer may rank, from those asked for (all when none): a blind labeling campaign's votes
 * (`label:ID` of a `reveal: never` campaign) are the admin's, asked for by name or not (`core/access.ts`).
 */
export async function rankableSources(store: Store, viewer: Viewer, asked: string[]): Promise<string[]> {
  if (viewer.admin) return asked;
  const blind = new Map(
    (await store.labeling.campaigns()).filter((c) => !maySeeStandings(viewer, c)).map((c) => [`label:${c.id}`, c]),
  );
  if (blind.size === 0) return asked;
  for (const s of asked) {
    const c = blind.get(s);
    if (c) requireStandings(viewer, c);
  }
  if (asked.length > 0) return asked;
  const open = (await store.votes.sources()).map((s) => s.source).filter((s) => !blind.has(s));
  if (open.length === 0) throw new ModelmapError("not_found", "no stored votes");
  return open;
}

export async function loadVotes(req: LoadRequest): Promise<LoadedVotes> {
  const filters = req.filters ?? [];
  const files = req.files ?? [];
  if (files.length === 0) {
    if (!req.store) throw new ModelmapError("usage", "no vote files given and no store to read from");
    const store = await req.store();
    const query = { ...(req.sources?.length ? { sources: req.sources } : {}), filters };
    const votes = await collect(store.votes.iterate(query));
    if (votes.length === 0) {
      throw new ModelmapError(
        "not_found",
        `no stored votes${req.sources?.length ? ` in source(s) ${req.sources.join(", ")}` : ""}`,
        {
          hint: "import some with 'modelmap votes import FILE --source NAME', or pass vote files",
        },
      );
    }
    return {
      counts: aggregateVotes(votes),
      votes,
      files: [
        {
          file: `store:${req.sources?.join(",") || "all"}`,
          format: "store",
          votes: votes.length,
          badCount: 0,
          bad: [],
        },
      ],
    };
  }
  const summaries: FileSummary[] = [];
  const countSets: PairCounts[] = [];
  let rows: Vote[] | undefined = [];
  for (const f of files) {
    const vf = readVoteFile(f, { strict: req.strict ?? false });
    summaries.push({
      file: f,
      format: vf.format,
      votes: vf.votes.length,
      badCount: vf.bad.length,
      bad: vf.bad.slice(0, 10),
    });
    if (vf.counts) {
      if (filters.length > 0) {
        throw new ModelmapError("usage", `--filter needs per-vote fields, but ${f} holds aggregated counts`, {
          hint: "filter battle files (JSON/JSONL rows) or stored votes",
        });
      }
      countSets.push(vf.counts);
      rows = undefined;
    } else {
      const kept = applyFilters(vf.votes, filters);
      countSets.push(aggregateVotes(kept));
      rows?.push(...kept);
    }
  }
  const counts = mergeCounts(countSets);
  if (counts.pairs.length === 0) throw new ModelmapError("input", "no votes left after --filter");
  return { counts, votes: rows, files: summaries };
}

/** One line per file with bad rows, for stderr. */
export function describeBadRows(files: FileSummary[]): string[] {
  const out: string[] = [];
  for (const f of files) {
    if (f.badCount === 0) continue;
    out.push(`${f.file}: skipped ${f.badCount} bad row(s) (--strict makes them fatal):`);
    for (const b of f.bad.slice(0, 5))
      out.push(`  line ${b.line}${b.field ? `, field '${b.field}'` : ""}: ${b.reason}`);
    if (f.badCount > 5) out.push(`  ... and ${f.badCount - 5} more`);
  }
  return out;
}
