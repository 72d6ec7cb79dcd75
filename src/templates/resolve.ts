/**
 * Choosing a model's chat template, in this order: the GGUF file's own (tokenizer.chat_template), a
 * tokenizer_config.json, a named template the project ships, or none (plain completion). The choice and the
 * template's content hash go into every run log, so a result can always be traced to the exact prompt format.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { ModelmapError } from "../core/errors.ts";
import { sha256 } from "../core/hash.ts";
import { NAMED_TEMPLATES, namedTemplateNames } from "./named.ts";
import type { ResolvedTemplate } from "./render.ts";
import { compileTemplate } from "./sandbox.ts";

export interface TemplateSpec {
  source: "auto" | "gguf" | "tokenizer_config" | "named" | "none";
  /** Named template, or the entry of a tokenizer_config chat_template list (default "default"). */
  name?: string | undefined;
  /** tokenizer_config.json, or a directory holding one. */
  path?: string | undefined;
}

export interface TemplateInputs {
  /** tokenizer.chat_template from the GGUF metadata, read by the caller. */
  ggufChatTemplate?: string | undefined;
  /** Shown in messages, e.g. the GGUF file name. */
  ggufOrigin?: string;
  /** Directory relative paths are resolved against (the config file's). */
  baseDir?: string;
  /** BOS/EOS strings from the model's tokenizer, when known; they win over the template source's. */
  bosToken?: string;
  eosToken?: string;
}

/** HF serializes special tokens as a string or as an AddedToken object with `content`. */
const SpecialToken = z
  .union([z.string(), z.object({ content: z.string() }).loose(), z.null()])
  .optional()
  .transform((v) => (v == null ? undefined : typeof v === "string" ? v : v.content));

const TokenizerConfig = z
  .object({
    chat_template: z
      .union([z.string(), z.array(z.object({ name: z.string(), template: z.string() }).loose())])
      .optional(),
    bos_token: SpecialToken,
    eos_token: SpecialToken,
    add_bos_token: z.boolean().optional(),
  })
  .loose();

export interface TokenizerConfigTemplate {
  template: string;
  name: string | undefined;
  bosToken: string | undefined;
  eosToken: string | undefined;
  addBosToken: boolean | undefined;
  file: string;
}

/** Reads the chat template (and special tokens) from a tokenizer_config.json or the directory holding one. */
export function readTokenizerConfig(path: string, entryName?: string): TokenizerConfigTemplate {
  const file = existsSync(path) && statSync(path).isDirectory() ? join(path, "tokenizer_config.json") : path;
  if (!existsSync(file))
    throw new ModelmapError("not_found", `tokenizer config not found: ${file}`, { location: { file } });
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new ModelmapError("input", `not valid JSON: ${(e as Error).message}`, { location: { file } });
  }
  const parsed = TokenizerConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelmapError("input", `unexpected tokenizer config: ${issue?.message ?? "invalid"}`, {
      location: { file, field: issue?.path.join(".") ?? "" },
    });
  }
  const ct = parsed.data.chat_template;
  if (ct === undefined)
    throw new ModelmapError("not_found", "tokenizer config has no chat_template", {
      location: { file, field: "chat_template" },
    });
  let template: string;
  let name: string | undefined;
  if (typeof ct === "string") {
    template = ct;
  } else {
    const wanted = entryName ?? "default";
    const entry = ct.find((e) => e.name === wanted);
    if (!entry)
      throw new ModelmapError("not_found", `no chat template named '${wanted}'`, {
        location: { file, field: "chat_template" },
        hint: `available: ${ct.map((e) => e.name).join(", ")}`,
      });
    template = entry.template;
    name = entry.name;
  }
  return {
    template,
    name,
    bosToken: parsed.data.bos_token,
    eosToken: parsed.data.eos_token,
    addBosToken: parsed.data.add_bos_token,
    file,
  };
}

function named(name: string): ResolvedTemplate {
  const t = NAMED_TEMPLATES.get(name);
  if (!t)
    throw new ModelmapError("not_found", `unknown named template '${name}'`, {
      hint: `named templates: ${namedTemplateNames().join(", ")}`,
    });
  return {
    source: "named",
    name,
    template: t.template,
    hash: sha256(t.template),
    origin: `named:${name}`,
    bosToken: t.bosToken,
    eosToken: t.eosToken,
    stop: t.stop,
  };
}

function none(): ResolvedTemplate {
  return { source: "none", name: undefined, template: undefined, hash: sha256(""), origin: "none", stop: [] };
}

function fromGguf(template: string, origin: string): ResolvedTemplate {
  return { source: "gguf", name: undefined, template, hash: sha256(template), origin, stop: [] };
}

function fromTokenizerConfig(spec: TemplateSpec, baseDir: string | undefined): ResolvedTemplate {
  if (!spec.path)
    throw new ModelmapError("config", "template.source is tokenizer_config but template.path is not set", {
      location: { field: "template.path" },
    });
  const p = baseDir && !spec.path.startsWith("/") ? join(baseDir, spec.path) : spec.path;
  const tc = readTokenizerConfig(p, spec.name);
  const r: ResolvedTemplate = {
    source: "tokenizer_config",
    name: tc.name,
    template: tc.template,
    hash: sha256(tc.template),
    origin: tc.file,
    stop: tc.eosToken ? [tc.eosToken] : [],
  };
  if (tc.bosToken !== undefined) r.bosToken = tc.bosToken;
  if (tc.eosToken !== undefined) r.eosToken = tc.eosToken;
  if (tc.addBosToken !== undefined) r.addBosToken = tc.addBosToken;
  return r;
}

/**
 * Picks the template per `spec` and checks that it parses (a broken template fails here, pointing into it,
 * before any request is sent).
 */
export function resolveTemplate(spec: TemplateSpec, inputs: TemplateInputs = {}): ResolvedTemplate {
  const gguf = inputs.ggufChatTemplate?.trim() ? inputs.ggufChatTemplate : undefined;
  const ggufOrigin = inputs.ggufOrigin ?? "gguf";
  let r: ResolvedTemplate;
  switch (spec.source) {
    case "gguf":
      if (!gguf)
        throw new ModelmapError("not_found", `${ggufOrigin} has no tokenizer.chat_template`, {
          hint: "set template.source to named (with template.name) or none",
        });
      r = fromGguf(gguf, `gguf:${ggufOrigin}`);
      break;
    case "tokenizer_config":
      r = fromTokenizerConfig(spec, inputs.baseDir);
      break;
    case "named":
      if (!spec.name)
        throw new ModelmapError("config", "template.source is named but template.name is not set", {
          location: { field: "template.name" },
          hint: `named templates: ${namedTemplateNames().join(", ")}`,
        });
      r = named(spec.name);
      break;
    case "none":
      r = none();
      break;
    case "auto":
      if (gguf) r = fromGguf(gguf, `gguf:${ggufOrigin}`);
      else if (spec.path) r = fromTokenizerConfig(spec, inputs.baseDir);
      else if (spec.name) r = named(spec.name);
      else r = none();
      break;
  }
  if (inputs.bosToken !== undefined) r.bosToken = inputs.bosToken;
  if (inputs.eosToken !== undefined) {
    r.eosToken = inputs.eosToken;
    if (!r.stop.includes(inputs.eosToken) && inputs.eosToken !== "") r.stop = [...r.stop, inputs.eosToken];
  }
  if (r.template !== undefined) compileTemplate(r.template, r.origin);
  return r;
}
