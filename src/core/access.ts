/**
 * The one authorization rule for what the server shows: secret prompt sets and blind labeling campaigns.
 * Services apply it to everything they hand out (pages, JSON and downloads alike go through them); the HTTP
 * room only decides who the viewer is (the admin token makes a request an admin's). The CLI works on the
 * database file itself, so it is the database owner: an admin.
 *
 * - A prompt set's texts (prompts, references, answers, judge output) are an admin's to read when the set is
 *   secret, or while a labeling campaign compares its answers: an answer's text next to its model's name tells
 *   a labeler who wrote what they are about to judge.
 * - A campaign's standings (ratings, battles per model) are an admin's to read unless the campaign reveals
 *   models after each vote (`reveal: after`): diffing the standings around one's own vote names the two models,
 *   which such a campaign tells the voter anyway. A `reveal: never` campaign keeps them from everyone else.
 * - Absolute paths of the server's files are never shown to anyone (`publicPath`).
 */
import { basename } from "node:path";
import { ModelmapError } from "./errors.ts";

export interface Viewer {
  readonly admin: boolean;
}

export const ANONYMOUS: Viewer = Object.freeze({ admin: false });
/** The database owner (the CLI) or a request with the admin token. */
export const ADMIN: Viewer = Object.freeze({ admin: true });

export interface SetVisibility {
  name: string;
  secret: boolean;
  /** Ids of the labeling campaigns comparing this set's answers. */
  campaigns: string[];
}

/** Why a viewer may not read a set's texts, or undefined when they may. */
export function setTextsWithheld(viewer: Viewer, set: SetVisibility): string | undefined {
  if (viewer.admin) return undefined;
  if (set.secret)
    return `prompt set '${set.name}' is secret: its prompts, answers and judgments are shown only to the admin`;
  if (set.campaigns.length > 0)
    return `prompt set '${set.name}' is being labeled blind (campaign ${set.campaigns.join(", ")}): its answers and judgments are shown only to the admin`;
  return undefined;
}

export function requireSetTexts(viewer: Viewer, set: SetVisibility): void {
  const why = setTextsWithheld(viewer, set);
  if (why) throw new ModelmapError("auth", why, { hint: "send the admin token: Authorization: Bearer TOKEN" });
}

export function maySeeStandings(viewer: Viewer, campaign: { reveal: "after" | "never" }): boolean {
  return viewer.admin || campaign.reveal === "after";
}

export function requireStandings(viewer: Viewer, campaign: { id: string; reveal: "after" | "never" }): void {
  if (!maySeeStandings(viewer, campaign))
    throw new ModelmapError(
      "auth",
      `campaign '${campaign.id}' is blind (reveal: never): its standings are shown only to the admin`,
      { hint: "send the admin token: Authorization: Bearer TOKEN" },
    );
}

/** A file path as the server may show it: its base name, never where it lives on the server. */
export function publicPath(path: string): string {
  return basename(path);
}
