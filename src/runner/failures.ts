/**
 * Request failures, explained: every command that sends requests to models (eval, generate, judge, the main
 * job) prints its failures as counts by reason, with the first failure's full message, instead of a bare "240
 * failed". A reason is a short, stable phrase for a known cause (the prompt does not fit the context, the
 * server is unreachable, ...), else the error's code or its first clause, so that failures with the same cause
 * count together.
 */

export interface FailureGroup {
  /** What went wrong, in words; the same for every failure of the group. */
  reason: string;
  count: number;
  /** The first failure's full message. */
  first: string;
}

interface Cause {
  test: RegExp;
  /** The reason, from the match; `key` groups failures whose reason text differs only in its numbers. */
  reason: (m: RegExpExecArray) => { key: string; text: string; size?: number };
}

const CAUSES: Cause[] = [
  {
    // llama-cpp's messages (generate, scoring, log-likelihood), also when a server passes them on.
    test: /(?:prompt|request|continuation) (?:has|needs) (\d+) tokens;? (?:but )?the context holds (\d+)/i,
    reason: (m) => ({
      key: `context:${m[2]}`,
      text: `prompt longer than the model's context (${m[1]} > ${m[2]} tokens)`,
      size: Number(m[1]),
    }),
  },
  {
    test: /maximum context length is (\d+) tokens[^.]*?(\d+) tokens/i,
    reason: (m) => ({
      key: `context:${m[1]}`,
      text: `prompt longer than the model's context (${m[2]} > ${m[1]} tokens)`,
      size: Number(m[2]),
    }),
  },
  {
    test: /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|fetch failed|connect(?:ion)? refused/i,
    reason: () => ({ key: "unreachable", text: "model server not reachable" }),
  },
  { test: /timed? ?out|ETIMEDOUT|deadline/i, reason: () => ({ key: "timeout", text: "request timed out" }) },
  { test: /HTTP 429|rate.?limit/i, reason: () => ({ key: "rate", text: "rate limited by the server" }) },
  {
    test: /HTTP 40[13]|unauthori[sz]ed|forbidden|api key/i,
    reason: () => ({ key: "auth", text: "the server refused the credentials" }),
  },
  { test: /HTTP 404.*model|model .*not (?:found|served)/i, reason: () => ({ key: "model", text: "model not served" }) },
  { test: /HTTP 5\d\d/, reason: () => ({ key: "server", text: "the server answered with an error (HTTP 5xx)" }) },
  {
    test: /generation ended with '(\w+)'/,
    reason: (m) => ({ key: `ended:${m[1]}`, text: `generation ended with '${m[1]}'` }),
  },
];

/** The reason of one failure: a known cause in words, else its error code, else the message's first clause. */
export function failureCause(message: string, code?: string): { key: string; text: string; size?: number } {
  for (const c of CAUSES) {
    const m = c.test.exec(message);
    if (m) return c.reason(m);
  }
  if (code !== undefined && code !== "backend" && code !== "internal" && code !== "error")
    return { key: `code:${code}`, text: code };
  // A URL in front (the openai backend's messages) is where, not what.
  const what = message.replace(/^https?:\/\/\S+?:\s+/, "");
  const head = what.split(/[:;\n]/, 1)[0]?.trim() || "error";
  const text = head.length > 80 ? `${head.slice(0, 79)}…` : head;
  return { key: `text:${text}`, text };
}

/**
 * Groups failures by cause, largest group first. A context overflow group names the longest prompt, so that
 * "prompt longer than the model's context (1501 > 96 tokens)" says how much room a judge or model needs.
 */
export function groupFailures(failures: Iterable<{ message: string; code?: string | undefined }>): FailureGroup[] {
  const groups = new Map<string, FailureGroup & { size: number }>();
  for (const f of failures) {
    const c = failureCause(f.message, f.code);
    const g = groups.get(c.key);
    if (!g) groups.set(c.key, { reason: c.text, count: 1, first: f.message, size: c.size ?? 0 });
    else {
      g.count++;
      if ((c.size ?? 0) > g.size) {
        g.size = c.size ?? 0;
        g.reason = c.text;
      }
    }
  }
  return [...groups.values()]
    .map(({ reason, count, first }) => ({ reason, count, first }))
    .sort((a, b) => b.count - a.count || (a.reason < b.reason ? -1 : 1));
}

/**
 * The summary lines: `240 failed: prompt longer than the model's context (1501 > 96 tokens)` (several causes:
 * `12 failed: 10 model server not reachable, 2 request timed out`), then the first failure's full message.
 */
export function failureLines(groups: FailureGroup[]): string[] {
  const total = groups.reduce((s, g) => s + g.count, 0);
  if (total === 0) return [];
  const head =
    groups.length === 1
      ? `${total} failed: ${groups[0]?.reason}`
      : `${total} failed: ${groups.map((g) => `${g.count} ${g.reason}`).join(", ")}`;
  return [head, `first failure: ${groups[0]?.first}`];
}

/** The largest prompt (in tokens) a context overflow reported, and the context it did not fit; undefined if none. */
export function contextShortfall(groups: FailureGroup[]): { needed: number; holds: number } | undefined {
  let out: { needed: number; holds: number } | undefined;
  for (const g of groups) {
    const m = /\((\d+) > (\d+) tokens\)/.exec(g.reason);
    if (m && g.reason.startsWith("prompt longer")) {
      const needed = Number(m[1]);
      if (!out || needed > out.needed) out = { needed, holds: Number(m[2]) };
    }
  }
  return out;
}
