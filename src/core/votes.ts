import { z } from "zod";

/** Outcome of one battle, in LMSYS spelling. `model_a` is the model shown first where the order is known. */
export const WINNERS = ["model_a", "model_b", "tie", "tie_bothbad"] as const;
export type Winner = (typeof WINNERS)[number];

/** One pairwise vote, from a human labeler or an LLM judge. */
export interface Vote {
  promptId?: string | undefined;
  modelA: string;
  modelB: string;
  winner: Winner;
  /** Human id or judge model; undefined when the source does not say. */
  judge?: string | undefined;
  /**
   * Which model was shown first (or on the left). In LMSYS data model_a is the first shown; votes made by
   * modelmap record it explicitly; aggregated counts do not know it.
   */
  shownFirst?: "model_a" | "model_b" | undefined;
  category?: string | undefined;
  language?: string | undefined;
  turn?: number | undefined;
  tstamp?: number | undefined;
  anony?: boolean | undefined;
  /** The judge's raw text or a labeler's reason, where there is one. */
  rationale?: string | undefined;
}

/** Where a vote came from: file and line, for error messages and provenance. */
export interface VoteOrigin {
  file: string;
  line: number;
}

export const winnerSchema = z.enum(WINNERS);

/** Accepts the spellings found in the wild and maps them to the canonical four. */
export function normalizeWinner(raw: unknown): Winner | undefined {
  if (typeof raw !== "string") return undefined;
  const s = raw.trim().toLowerCase();
  switch (s) {
    case "model_a":
    case "a":
      return "model_a";
    case "model_b":
    case "b":
      return "model_b";
    case "tie":
      return "tie";
    case "tie (bothbad)":
    case "tie_bothbad":
    case "tie(bothbad)":
    case "bothbad":
    case "both_bad":
      return "tie_bothbad";
    default:
      return undefined;
  }
}

/**
 * Aggregated battle counts between models, the form the rating code works on. Ties of both kinds count
 * half a win for each side in Bradley-Terry; they are kept apart so reports can show them.
 */
export interface PairCounts {
  models: string[];
  /** For each pair (i < j): wins of i, wins of j, ties, bothbad ties. */
  pairs: Array<{ i: number; j: number; winsI: number; winsJ: number; ties: number; tiesBothbad: number }>;
}
