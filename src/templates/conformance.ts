/**
 * Conformance of modelmap's template rendering against llama.cpp's chat-template test table (36 real
 * templates with the expected rendering of one fixed conversation). Used by a test and by
 * bench/template-conformance.ts; the data stays in ../shared/data and is read from there.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import type { ChatMessage } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import { type ResolvedTemplate, renderChat } from "./render.ts";

const Case = z.object({
  name: z.string(),
  template_str: z.string(),
  expected_output: z.string(),
  expected_output_jinja: z.string(),
  bos_token: z.string().optional(),
  eos_token: z.string().optional(),
  supported_with_jinja: z.boolean().optional(),
});

const CaseFile = z.object({
  conversation: z.array(z.object({ role: z.enum(["system", "user", "assistant"]), content: z.string() })),
  cases: z.array(Case),
});

export const CONFORMANCE_DATA = "llamacpp_chat_template_tests/test_chat_template_cases.json";

export interface CaseResult {
  name: string;
  status: "match" | "differ" | "skipped";
  /** Why it differs or was skipped. */
  reason: string;
  /** Adjustments the renderer made (e.g. system-merged-into-first-user). */
  adjustments: string[];
  firstDifference?: string;
}

export interface ConformanceReport {
  cases: CaseResult[];
  summary: { total: number; match: number; matchWithoutAdjustments: number; differ: number; skipped: number };
}

export function loadConformanceCases(dataDir: string) {
  const file = join(dataDir, CONFORMANCE_DATA);
  if (!existsSync(file))
    throw new ModelmapError("not_found", `conformance data missing: ${file}`, {
      hint: "the shared data folder ../shared/data must be present (see its README.md)",
    });
  return CaseFile.parse(JSON.parse(readFileSync(file, "utf8")));
}

function firstDifference(got: string, want: string): string {
  let i = 0;
  while (i < got.length && i < want.length && got[i] === want[i]) i++;
  const ctx = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 20), i + 30));
  return `at offset ${i}: got ${ctx(got)} expected ${ctx(want)}`;
}

/** Explains a mismatch from what the expected text contains that the conversation does not. */
function explain(got: string, want: string, conversation: ChatMessage[]): string {
  if (/tool_call|tool_response|get_weather/.test(want) && !conversation.some((m) => m.content.includes("weather")))
    return "the expected text renders tool-call and tool-response messages that are not in the shared conversation";
  if (got.trim() === want.trim()) return "differs only in leading/trailing whitespace";
  return "output differs";
}

/** `dataDir`: the shared data folder (../shared/data from the repository root), named by the caller. */
export function runConformance(dataDir: string): ConformanceReport {
  const data = loadConformanceCases(dataDir);
  const conversation: ChatMessage[] = data.conversation;
  const results: CaseResult[] = [];
  for (const c of data.cases) {
    if (c.supported_with_jinja === false) {
      results.push({
        name: c.name,
        status: "skipped",
        reason: "llama.cpp marks it unsupported with Jinja (no Jinja expectation)",
        adjustments: [],
      });
      continue;
    }
    const want = c.expected_output_jinja || c.expected_output;
    const t: ResolvedTemplate = {
      source: "tokenizer_config",
      name: undefined,
      template: c.template_str,
      hash: sha256(c.template_str),
      origin: `case:${c.name}`,
      bosToken: c.bos_token ?? "",
      eosToken: c.eos_token ?? "",
      stop: [],
    };
    try {
      const r = renderChat(t, conversation, { addGenerationPrompt: true, now: new Date("2024-07-26T00:00:00Z") });
      if (r.text === want) {
        results.push({ name: c.name, status: "match", reason: "", adjustments: r.adjustments });
      } else {
        results.push({
          name: c.name,
          status: "differ",
          reason: explain(r.text, want, conversation),
          adjustments: r.adjustments,
          firstDifference: firstDifference(r.text, want),
        });
      }
    } catch (e) {
      results.push({
        name: c.name,
        status: "differ",
        reason: `render failed: ${(e as Error).message.split("\n")[0]}`,
        adjustments: [],
      });
    }
  }
  const count = (f: (r: CaseResult) => boolean) => results.filter(f).length;
  return {
    cases: results,
    summary: {
      total: results.length,
      match: count((r) => r.status === "match"),
      matchWithoutAdjustments: count((r) => r.status === "match" && r.adjustments.length === 0),
      differ: count((r) => r.status === "differ"),
      skipped: count((r) => r.status === "skipped"),
    },
  };
}
