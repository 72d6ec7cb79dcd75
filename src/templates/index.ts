export { type IsolatedRenderOptions, renderIsolated } from "./isolated.ts";
export { parseMessages, readMessagesFile } from "./messages.ts";
export { NAMED_TEMPLATES, type NamedTemplate, namedTemplateNames } from "./named.ts";
export { type RenderedPrompt, renderPrompt } from "./prompt.ts";
export {
  type ChatRenderOptions,
  type ChatRenderResult,
  mergeSystemIntoFirstUser,
  type ResolvedTemplate,
  renderChat,
  type TemplateSource,
  templateSupportsSystemRole,
} from "./render.ts";
export { readTokenizerConfig, resolveTemplate, type TemplateInputs, type TemplateSpec } from "./resolve.ts";
export {
  type CompiledTemplate,
  compileTemplate,
  DEFAULT_LIMITS,
  type RenderLimits,
  renderCompiled,
} from "./sandbox.ts";
export {
  type ResolvedSystemPrompt,
  resolveSystemPrompt,
  type SystemPromptSpec,
  withSystemPrompt,
} from "./system-prompt.ts";
