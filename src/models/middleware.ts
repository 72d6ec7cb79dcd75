/**
 * Composing a backend from an engine and layers around it, the way the Vercel AI SDK's `wrapLanguageModel`
 * composes middleware: `wrapBackend(inner, a, b)` is a backend whose calls go through `a`, then `b`, then
 * `inner`. A middleware overrides only the calls it cares about (each hook gets `next`, the same call one layer
 * in) and may restate what the backend is (`describe`: identity, capabilities, provenance); every other call
 * passes through untouched, so a layer never has to forward by hand.
 */
import {
  BACKEND_SPEC_VERSION,
  type Backend,
  type BackendCapabilities,
  type BackendProvenance,
  type ModelIdentity,
} from "../backends/types.ts";

export interface BackendDescription {
  identity: ModelIdentity;
  capabilities: BackendCapabilities;
  provenance: BackendProvenance | undefined;
}

type Calls = Omit<Backend, "specVersion" | "identity" | "capabilities" | "provenance">;
type CallName = keyof Calls;
type Fn<K extends CallName> = NonNullable<Calls[K]>;
/** The same call one layer in; undefined for an optional call that the layer below does not have. */
export type Next<K extends CallName> = undefined extends Calls[K] ? Fn<K> | undefined : Fn<K>;
type Hook<K extends CallName> = (next: Next<K>, ...args: Parameters<Fn<K>>) => ReturnType<Fn<K>>;

export type BackendMiddleware = {
  /** What the wrapped backend says it is (default: what the layer below says). */
  describe?(inner: BackendDescription): BackendDescription;
} & { [K in CallName]?: Hook<K> };

const CALLS = [
  "generate",
  "loglikelihood",
  "loglikelihoodRolling",
  "tokenize",
  "detokenize",
  "promptLogprobs",
  "renderChat",
  "listModels",
  "close",
] as const;
// A call added to the Backend contract must be listed above, or wrapped backends would silently drop it.
const everyCall: Exclude<CallName, (typeof CALLS)[number]> extends never ? true : never = true;
void everyCall;

type Loose = (...args: unknown[]) => unknown;

/** `inner` with `middlewares` around it, the first outermost. Without middlewares, `inner` itself. */
export function wrapBackend(inner: Backend, ...middlewares: BackendMiddleware[]): Backend {
  return middlewares.reduceRight(layer, inner);
}

function layer(inner: Backend, mw: BackendMiddleware): Backend {
  const below: BackendDescription = {
    identity: inner.identity,
    capabilities: inner.capabilities,
    provenance: inner.provenance,
  };
  const d = mw.describe ? mw.describe(below) : below;
  const out: Record<string, unknown> = {
    specVersion: BACKEND_SPEC_VERSION,
    identity: d.identity,
    capabilities: d.capabilities,
  };
  if (d.provenance !== undefined) out.provenance = d.provenance;
  for (const name of CALLS) {
    // The contract's calls differ in signature; the hook types above keep each one matched to its own.
    const own = inner[name] as Loose | undefined;
    const next = own && ((...args: unknown[]) => own.apply(inner, args));
    const hook = mw[name] as ((next: Loose | undefined, ...args: unknown[]) => unknown) | undefined;
    if (hook) out[name] = (...args: unknown[]) => hook(next, ...args);
    else if (next) out[name] = next;
  }
  return out as unknown as Backend;
}
