import type { Store } from "../store/store.ts";

/**
 * Exports a campaign's votes in the LMSYS battle format (as in the public Chatbot Arena dumps):
 * model_a is the model shown on the left. Gold items are quality checks and are not exported.
 * Conversations are included unless the set is secret.
 */
export interface LmsysBattle {
  question_id: string;
  model_a: string;
  model_b: string;
  winner: "model_a" | "model_b" | "tie" | "tie (bothbad)";
  judge: string;
  turn: number;
  anony: boolean;
  language: string;
  tstamp: number;
  conversation_a?: Array<{ role: string; content: string }>;
  conversation_b?: Array<{ role: string; content: string }>;
}

export async function exportLmsys(store: Store, campaignId: string): Promise<LmsysBattle[]> {
  const campaign = await store.labeling.campaign(campaignId);
  if (!campaign) return [];
  const secret = (await store.judging.getPromptSet(campaign.setName))?.secret ?? true;
  const out: LmsysBattle[] = [];
  const convo = (turns: string[], outputs: string[]) =>
    turns.flatMap((t, i) => [
      { role: "user", content: t },
      { role: "assistant", content: outputs[i] ?? "" },
    ]);
  for await (const v of store.votes.iterate({ sources: [`label:${campaignId}`] })) {
    const b: LmsysBattle = {
      question_id: v.promptId ?? "",
      model_a: v.modelA,
      model_b: v.modelB,
      winner: v.winner === "tie_bothbad" ? "tie (bothbad)" : v.winner,
      judge: v.judge ?? "",
      turn: v.turn ?? 1,
      anony: v.anony ?? true,
      language: v.language ?? "unknown",
      tstamp: v.tstamp ?? 0,
    };
    if (!secret && v.promptId) {
      const pid = v.promptId.slice(campaign.setName.length + 1);
      const prompt = await store.judging.promptItem(campaign.setName, pid);
      const answers = (await store.judging.latestAnswers(campaign.setName, [v.modelA, v.modelB])).filter(
        (a) => a.promptId === pid,
      );
      const a = answers.find((x) => x.model === v.modelA);
      const bb = answers.find((x) => x.model === v.modelB);
      if (prompt && a && bb) {
        b.conversation_a = convo(prompt.turns, a.outputs);
        b.conversation_b = convo(prompt.turns, bb.outputs);
      }
    }
    out.push(b);
  }
  return out;
}
