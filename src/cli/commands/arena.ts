import type { Command } from "../command.ts";
import { agreeCommand } from "./agree.ts";
import { biasCommand } from "./bias.ts";
import { rankCommand, rankStyleCommand } from "./rank.ts";
import { votesExportCommand, votesImportCommand, votesListCommand } from "./votes.ts";

/** Pairwise votes and arena ratings (issue 2). */
export const ARENA_COMMANDS: Command[] = [
  votesImportCommand,
  votesListCommand,
  votesExportCommand,
  rankCommand,
  rankStyleCommand,
  biasCommand,
  agreeCommand,
];
