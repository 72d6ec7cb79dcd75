import type { AnswerStyle } from "../store/judging.ts";

/**
 * Style features of an answer, the covariates of style control (as Chatbot Arena counts them): length and
 * markdown elements. Fenced code blocks are skipped so that a `#` comment or `*` in code is not counted.
 */
export function styleOf(text: string, completionTokens?: number): AnswerStyle {
  let headers = 0;
  let lists = 0;
  let bold = 0;
  let inFence = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      continue;
    }
    if (inFence) continue;
    if (/^#{1,6}\s+\S/.test(line)) headers++;
    if (/^\s*(?:[-*+]|\d{1,3}[.)])\s+\S/.test(line)) lists++;
    bold += (line.match(/\*\*[^*\n]+\*\*|__[^_\n]+__/g) ?? []).length;
  }
  const tokens = completionTokens ?? (text.trim() === "" ? 0 : text.trim().split(/\s+/).length);
  return { chars: text.length, tokens, headers, lists, bold };
}
