/**
 * IFEval's scoring, as lm-eval's `ifeval/utils.py` (and its identical copy `leaderboard/ifeval/utils.py`) does
 * it: every instruction of a prompt is checked on the response (strict), and on eight variants of it (loose:
 * the response with its first line, last line or both removed, each also with every `*` deleted); a prompt
 * counts when all its instructions are followed. Prompt-level accuracy is the mean over prompts, instruction
 * level the mean over all instructions of all prompts.
 */
import { z } from "zod";
import { PythonRandom } from "../../core/python-random.ts";
import { buildInstruction } from "./instructions.ts";
import { strip } from "./py-text.ts";

/** One IFEval prompt, as in `google/IFEval` / `input_data.jsonl` (kwargs may carry nulls, as the hub's do). */
export const IfevalDocSchema = z.object({
  key: z.number().int().optional(),
  prompt: z.string(),
  instruction_id_list: z.array(z.string()),
  kwargs: z.array(z.record(z.string(), z.unknown())),
});
export type IfevalDoc = z.infer<typeof IfevalDocSchema>;

export interface FollowResult {
  follow_all_instructions: boolean;
  follow_instruction_list: boolean[];
}

export interface IfevalScores {
  prompt_level_strict_acc: boolean;
  inst_level_strict_acc: boolean[];
  prompt_level_loose_acc: boolean;
  inst_level_loose_acc: boolean[];
}

/** lm-eval seeds Python's global `random` with this before scoring (`simple_evaluate(random_seed=0)`). */
export const LMEVAL_RANDOM_SEED = 0;

function check(doc: IfevalDoc, responses: string[], rng: PythonRandom): FollowResult {
  const list = doc.instruction_id_list.map((id, i) => {
    const follows = buildInstruction(id, doc.kwargs[i] ?? {}, rng);
    return responses.some((r) => strip(r) !== "" && follows(r));
  });
  return { follow_all_instructions: list.every(Boolean), follow_instruction_list: list };
}

/** `test_instruction_following_strict`. */
export function followStrict(doc: IfevalDoc, response: string, rng: PythonRandom): FollowResult {
  return check(doc, [response], rng);
}

/** The eight responses the loose variant tries, in the reference's order. */
export function looseVariants(response: string): string[] {
  const lines = response.split("\n");
  const removeFirst = strip(lines.slice(1).join("\n"));
  const removeLast = strip(lines.slice(0, -1).join("\n"));
  const removeBoth = strip(lines.slice(1, -1).join("\n"));
  const noStars = (s: string) => s.replaceAll("*", "");
  return [
    response,
    noStars(response),
    removeFirst,
    removeLast,
    removeBoth,
    noStars(removeFirst),
    noStars(removeLast),
    noStars(removeBoth),
  ];
}

/** `test_instruction_following_loose`. */
export function followLoose(doc: IfevalDoc, response: string, rng: PythonRandom): FollowResult {
  return check(doc, looseVariants(response), rng);
}

/**
 * `process_results(doc, results)`: both variants for the first response. Each document gets its own generator
 * seeded as lm-eval seeds the global one, so a verdict does not depend on which documents were scored before.
 */
export function ifevalProcessResults(doc: IfevalDoc, response: string): IfevalScores {
  const rng = new PythonRandom(LMEVAL_RANDOM_SEED);
  const strict = followStrict(doc, response, rng);
  const loose = followLoose(doc, response, rng);
  return {
    prompt_level_strict_acc: strict.follow_all_instructions,
    inst_level_strict_acc: strict.follow_instruction_list,
    prompt_level_loose_acc: loose.follow_all_instructions,
    inst_level_loose_acc: loose.follow_instruction_list,
  };
}

/** `agg_inst_level_acc`: the mean over every instruction of every document. */
export function aggInstLevelAcc(items: readonly (readonly boolean[])[]): number {
  let n = 0;
  let followed = 0;
  for (const list of items)
    for (const v of list) {
      n++;
      if (v) followed++;
    }
  return followed / n;
}
