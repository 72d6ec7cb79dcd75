/**
 * Reading a conversation from a file: a JSON array of {role, content}, an object {"messages": [...]} (the
 * OpenAI request shape), or JSONL with one message per line. Errors name the file, the line and the field.
 */
import { existsSync } from "node:fs";
import { z } from "zod";
import type { ChatMessage } from "../backends/types.ts";
import { ModelmapError } from "../core/errors.ts";
import { readUserText } from "../core/files.ts";

const Message = z.strictObject({ role: z.enum(["system", "user", "assistant"]), content: z.string() });
const Messages = z.union([z.array(Message), z.strictObject({ messages: z.array(Message) })]);

export function parseMessages(text: string, file: string): ChatMessage[] {
  const trimmed = text.trim();
  if (trimmed.startsWith("[") || trimmed.startsWith('{"messages"') || /^\{\s*"messages"/.test(trimmed)) {
    let raw: unknown;
    try {
      raw = JSON.parse(trimmed);
    } catch (e) {
      throw new ModelmapError("input", `not valid JSON: ${(e as Error).message}`, { location: { file } });
    }
    const r = Messages.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ModelmapError(
        "input",
        `expected a list of {role: system|user|assistant, content: string}: ${issue?.message ?? ""}`,
        {
          location: { file, field: issue?.path.join(".") ?? "" },
        },
      );
    }
    return Array.isArray(r.data) ? r.data : r.data.messages;
  }
  const out: ChatMessage[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? "";
    if (line === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (e) {
      throw new ModelmapError("input", `not valid JSON: ${(e as Error).message}`, { location: { file, line: i + 1 } });
    }
    const r = Message.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new ModelmapError(
        "input",
        `expected {role: system|user|assistant, content: string}: ${issue?.message ?? ""}`,
        {
          location: { file, line: i + 1, field: issue?.path.join(".") ?? "" },
        },
      );
    }
    out.push(r.data);
  }
  if (out.length === 0) throw new ModelmapError("input", "no messages", { location: { file } });
  return out;
}

export function readMessagesFile(file: string): ChatMessage[] {
  if (!existsSync(file))
    throw new ModelmapError("not_found", `messages file not found: ${file}`, { location: { file } });
  return parseMessages(readUserText(file, "messages file"), file);
}
