/** The in-process GGUF backend. node-llama-cpp is loaded only when a model is opened. */
export {
  type ChatRenderContext,
  type ChatRenderer,
  LlamaCppBackend,
  type LlamaCppOptions,
  openLlamaCppBackend,
} from "./backend.ts";
export { type GgufTokenizer, openGgufTokenizer } from "./tokenizer.ts";
export { encodePair, moveTrailingSpace, rollingWindows } from "./tokens.ts";
