export { OpenAIBackend } from "./backend.ts";
export { type OpenAIBackendOptions, openaiBackendOptionsSchema, type ResolvedOpenAIBackendOptions } from "./options.ts";
export { HttpStatusError, parseRetryAfter, type TransportStats } from "./transport.ts";
