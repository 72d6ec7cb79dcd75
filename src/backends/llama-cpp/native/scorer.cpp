// modelmap's native scorer: log-likelihoods computed on llama.cpp's logits in C++, and greedy generation, on a
// context of its own that shares the model node-llama-cpp loaded (see docs/decisions/0008-native-scorer.md).
//
// node-llama-cpp 3.21.1 exposes logits only as a full-vocabulary probability list built per position (a sort of
// the vocabulary, one JavaScript number per entry, then a Map): that, not the arithmetic, made multiple-choice
// scoring 8-40x slower than llama-perplexity. This addon computes what a request needs and nothing more: the
// target token's log-probability, whether it is the argmax, and (only when asked) E[log p] and Var[log p].
//
// The llama.cpp library is the one node-llama-cpp already loaded (found among the loaded objects, never loaded
// again), so both see the same model in memory. The model pointer is read from node-llama-cpp's wrapped
// AddonModel object, compiled against node-llama-cpp's own header for the layout, and checked before use.
#include <dlfcn.h>
#include <link.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "AddonModel.h"
#include "llama.h"

namespace {

struct Api {
    decltype(&llama_context_default_params) context_default_params = nullptr;
    decltype(&llama_init_from_model) init_from_model = nullptr;
    decltype(&llama_free) free_context = nullptr;
    decltype(&llama_decode) decode = nullptr;
    decltype(&llama_get_logits_ith) get_logits_ith = nullptr;
    decltype(&llama_get_memory) get_memory = nullptr;
    decltype(&llama_memory_seq_rm) seq_rm = nullptr;
    decltype(&llama_memory_seq_cp) seq_cp = nullptr;
    decltype(&llama_memory_clear) memory_clear = nullptr;
    decltype(&llama_model_get_vocab) model_get_vocab = nullptr;
    decltype(&llama_vocab_n_tokens) vocab_n_tokens = nullptr;
    decltype(&llama_n_ctx) n_ctx = nullptr;
    decltype(&llama_n_batch) n_batch = nullptr;
    decltype(&llama_n_ubatch) n_ubatch = nullptr;
    decltype(&llama_n_seq_max) n_seq_max = nullptr;
    decltype(&llama_model_n_ctx_train) n_ctx_train = nullptr;
    decltype(&llama_model_is_recurrent) is_recurrent = nullptr;
    decltype(&llama_model_is_hybrid) is_hybrid = nullptr;
    decltype(&llama_batch_init) batch_init = nullptr;
    decltype(&llama_batch_free) batch_free = nullptr;
    decltype(&llama_vocab_is_eog) is_eog = nullptr;
    decltype(&llama_token_to_piece) token_to_piece = nullptr;
    decltype(&llama_model_n_layer) n_layer = nullptr;
    decltype(&llama_model_n_embd) n_embd = nullptr;
    decltype(&llama_model_n_head) n_head = nullptr;
    decltype(&llama_model_n_head_kv) n_head_kv = nullptr;
    decltype(&llama_state_seq_get_size) state_seq_get_size = nullptr;
    decltype(&llama_state_seq_get_data) state_seq_get_data = nullptr;
    decltype(&llama_state_seq_set_data) state_seq_set_data = nullptr;
    decltype(&llama_model_n_swa) n_swa = nullptr;
};

Api api;
std::string apiError;

int findLibrary(struct dl_phdr_info* info, size_t, void* data) {
    if (info->dlpi_name == nullptr || info->dlpi_name[0] == '\0') return 0;
    void* h = dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD);
    if (h == nullptr) return 0;
    if (dlsym(h, "llama_init_from_model") != nullptr && dlsym(h, "llama_get_logits_ith") != nullptr) {
        *static_cast<void**>(data) = h;
        return 1;
    }
    dlclose(h);
    return 0;
}

template <typename T>
bool bind(void* h, T& slot, const char* name) {
    slot = reinterpret_cast<T>(dlsym(h, name));
    if (slot == nullptr) apiError = std::string("llama.cpp symbol not found: ") + name;
    return slot != nullptr;
}

// Binds the llama.cpp functions of the library node-llama-cpp loaded (it must be loaded already).
bool loadApi() {
    if (api.decode != nullptr) return true;
    void* h = nullptr;
    dl_iterate_phdr(findLibrary, &h);
    if (h == nullptr) {
        apiError = "llama.cpp is not loaded in this process (node-llama-cpp must load a model first)";
        return false;
    }
    return bind(h, api.context_default_params, "llama_context_default_params") &&
           bind(h, api.init_from_model, "llama_init_from_model") && bind(h, api.free_context, "llama_free") &&
           bind(h, api.decode, "llama_decode") && bind(h, api.get_logits_ith, "llama_get_logits_ith") &&
           bind(h, api.get_memory, "llama_get_memory") && bind(h, api.seq_rm, "llama_memory_seq_rm") &&
           bind(h, api.seq_cp, "llama_memory_seq_cp") && bind(h, api.memory_clear, "llama_memory_clear") &&
           bind(h, api.model_get_vocab, "llama_model_get_vocab") &&
           bind(h, api.vocab_n_tokens, "llama_vocab_n_tokens") && bind(h, api.n_ctx, "llama_n_ctx") &&
           bind(h, api.n_batch, "llama_n_batch") && bind(h, api.n_ubatch, "llama_n_ubatch") &&
           bind(h, api.n_seq_max, "llama_n_seq_max") && bind(h, api.n_ctx_train, "llama_model_n_ctx_train") &&
           bind(h, api.is_recurrent, "llama_model_is_recurrent") &&
           bind(h, api.is_hybrid, "llama_model_is_hybrid") && bind(h, api.batch_init, "llama_batch_init") &&
           bind(h, api.batch_free, "llama_batch_free") && bind(h, api.is_eog, "llama_vocab_is_eog") &&
           bind(h, api.token_to_piece, "llama_token_to_piece") && bind(h, api.n_layer, "llama_model_n_layer") &&
           bind(h, api.n_embd, "llama_model_n_embd") && bind(h, api.n_head, "llama_model_n_head") &&
           bind(h, api.n_head_kv, "llama_model_n_head_kv") &&
           bind(h, api.state_seq_get_size, "llama_state_seq_get_size") &&
           bind(h, api.state_seq_get_data, "llama_state_seq_get_data") &&
           bind(h, api.state_seq_set_data, "llama_state_seq_set_data") && bind(h, api.n_swa, "llama_model_n_swa");
}

struct Scorer {
    llama_context* ctx = nullptr;
    // Greedy generation's own context (one sequence, no unified cache), when the model is small enough that its
    // second KV cache costs little: llama_decode on a unified cache checks the batch against all 256 possible
    // sequences (a 256 x 256 coupling matrix, llama_batch_allocr::init), 12% of a zoo token under perf.
    llama_context* gen = nullptr;
    std::vector<int32_t> genKv;  // the prompt blocks gen holds in sequence 0
    // Sequence 0 of ctx as llama_state_seq_get_data wrote it (the item blocks a rolling window set aside), or empty.
    std::vector<uint8_t> saved;
    // Sliding-window caches place and prune cells by their own rules; only a plain cache is known to get the
    // copy back into the cells it came from (tested bit for bit), so only it is set aside.
    bool canSave = false;
    const llama_vocab* vocab = nullptr;
    int32_t nVocab = 0;
    bool busy = false;
    std::atomic<bool> cancel{false};
};

// One decode: the batch, which rows to score against which tokens, and the results.
struct DecodeJob {
    Scorer* scorer;
    std::vector<int32_t> tokens, pos, nSeq, seqIds, entryRow, entryTarget;
    std::vector<uint8_t> output;
    bool stats = false;
    std::vector<double> results;  // 4 per entry: logprob, greedy (0/1), mean, variance
    std::string error;
    napi_async_work work = nullptr;
    napi_deferred deferred = nullptr;
};

// Eight lanes through GCC/Clang vector extensions: SSE, AVX or NEON code without intrinsics or -ffast-math.
typedef float F8 __attribute__((vector_size(32)));
typedef int32_t I8 __attribute__((vector_size(32)));
typedef double D8 __attribute__((vector_size(64)));

// exp(x) for x <= 0 (logits minus their maximum), within 2 ulp (Cephes' polynomial); below -87 about 1e-38.
inline F8 expNonPositive(F8 x) {
    const F8 lo = F8{} - 87.0f;
    x = x < lo ? lo : x;
    // Round to nearest by the 1.5 * 2^23 trick (exact for |x * log2(e)| < 2^22).
    const F8 magic = F8{} + 12582912.0f;
    const F8 n = (x * 1.44269504088896341f + magic) - magic;
    const F8 r = (x - n * 0.693145751953125f) - n * 1.42860682030941723212e-6f;
    F8 p = F8{} + 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    const I8 e = __builtin_convertvector(n, I8) << 23;
    I8 bits;
    std::memcpy(&bits, &p, sizeof bits);
    bits += e;
    F8 out;
    std::memcpy(&out, &bits, sizeof out);
    return out;
}

inline F8 load8(const float* p) {
    F8 v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline double sum8(D8 v) {
    double s = 0.0;
    for (int k = 0; k < 8; k++) s += v[k];
    return s;
}

// Scores the entries that share one logits row: one pass for the maximum, one for the normalizer, and (Min-K%++
// only) one more for the mean and variance of log p. Sums are kept in double. The vocabulary's last n % 8
// entries are padded with -inf (weight 0).
void scoreRow(const float* logits, int32_t nVocab, const int32_t* targets, size_t nTargets, bool stats,
              double* out) {
    const int32_t body = nVocab - nVocab % 8;
    F8 tail = F8{} - INFINITY;
    for (int32_t j = body; j < nVocab; j++) tail[j - body] = logits[j];
    F8 m8 = tail;
    for (int32_t j = 0; j < body; j += 8) {
        const F8 x = load8(logits + j);
        m8 = x > m8 ? x : m8;
    }
    float maxLogit = m8[0];
    for (int k = 1; k < 8; k++) maxLogit = m8[k] > maxLogit ? m8[k] : maxLogit;
    // The first maximum, as torch.argmax: eight at a time up to the block that holds it (a scalar scan to it was a
    // quarter of this function's time at a 32k vocabulary, half the row on average), then one by one.
    int32_t argmax = 0;
    const F8 max8 = F8{} + maxLogit;
    for (; argmax < body; argmax += 8) {
        const I8 eq = load8(logits + argmax) == max8;
        uint64_t w[4];
        std::memcpy(w, &eq, sizeof w);
        if ((w[0] | w[1] | w[2] | w[3]) != 0) break;
    }
    while (argmax < nVocab && !(logits[argmax] == maxLogit)) argmax++;
    D8 s8 = D8{};
    for (int32_t j = 0; j < body; j += 8)
        s8 += __builtin_convertvector(expNonPositive(load8(logits + j) - maxLogit), D8);
    s8 += __builtin_convertvector(expNonPositive(tail - maxLogit), D8);
    const double logZ = static_cast<double>(maxLogit) + std::log(sum8(s8));
    double mean = 0.0, variance = 0.0;
    if (stats) {
        // E[log p] and E[(log p)^2] with log p = logit - logZ in double; p = exp of its float rounding, corrected
        // to first order for that rounding. Weights below e^-87 are clamped (they add less than 1e-36).
        D8 m1 = D8{}, m2 = D8{};
        auto add = [&](F8 x) {
            D8 l = __builtin_convertvector(x, D8) - logZ;
            l = l < -87.0 ? D8{} - 87.0 : l;
            l = l > 0.0 ? D8{} : l;
            const F8 lf = __builtin_convertvector(l, F8);
            const D8 p = __builtin_convertvector(expNonPositive(lf), D8) * (1.0 + (l - __builtin_convertvector(lf, D8)));
            m1 += p * l;
            m2 += p * l * l;
        };
        for (int32_t j = 0; j < body; j += 8) add(load8(logits + j));
        if (body < nVocab) add(tail);
        mean = sum8(m1);
        const double second = sum8(m2);
        variance = second - mean * mean > 0.0 ? second - mean * mean : 0.0;
    }
    for (size_t k = 0; k < nTargets; k++) {
        const int32_t t = targets[k];
        double* o = out + 4 * k;
        o[0] = (t >= 0 && t < nVocab) ? static_cast<double>(logits[t]) - logZ : -INFINITY;
        o[1] = t == argmax ? 1.0 : 0.0;
        o[2] = mean;
        o[3] = variance;
    }
}

void executeDecode(napi_env, void* data) {
    auto* job = static_cast<DecodeJob*>(data);
    Scorer* s = job->scorer;
    const int32_t n = static_cast<int32_t>(job->tokens.size());
    if (n > 0) {
        llama_batch batch = api.batch_init(n, 0, 1);
        // llama_batch_init sized seq_id for one id per token; give every token its own list instead.
        std::vector<llama_seq_id*> seqPtrs(n);
        size_t at = 0;
        for (int32_t i = 0; i < n; i++) {
            batch.token[i] = job->tokens[i];
            batch.pos[i] = job->pos[i];
            batch.n_seq_id[i] = job->nSeq[i];
            seqPtrs[i] = job->seqIds.data() + at;
            at += job->nSeq[i];
            batch.logits[i] = job->output[i];
        }
        llama_seq_id** ownSeq = batch.seq_id;
        batch.seq_id = seqPtrs.data();
        batch.n_tokens = n;
        const int32_t rc = api.decode(s->ctx, batch);
        batch.seq_id = ownSeq;
        api.batch_free(batch);
        if (rc != 0) {
            job->error = rc == 1 ? "llama_decode found no room in the KV cache" : "llama_decode failed (" + std::to_string(rc) + ")";
            return;
        }
    }
    const size_t nEntries = job->entryRow.size();
    job->results.assign(4 * nEntries, 0.0);
    // Entries come grouped by row (the caller lists a row's targets together).
    for (size_t k = 0; k < nEntries;) {
        size_t end = k + 1;
        while (end < nEntries && job->entryRow[end] == job->entryRow[k]) end++;
        const float* logits = api.get_logits_ith(s->ctx, job->entryRow[k]);
        if (logits == nullptr) {
            job->error = "llama.cpp has no logits for batch row " + std::to_string(job->entryRow[k]);
            return;
        }
        scoreRow(logits, s->nVocab, job->entryTarget.data() + k, end - k, job->stats, job->results.data() + 4 * k);
        k = end;
    }
}

void completeDecode(napi_env env, napi_status status, void* data) {
    auto* job = static_cast<DecodeJob*>(data);
    job->scorer->busy = false;
    if (status != napi_ok || !job->error.empty()) {
        napi_value msg, err;
        napi_create_string_utf8(env, job->error.empty() ? "native decode cancelled" : job->error.c_str(),
                                NAPI_AUTO_LENGTH, &msg);
        napi_create_error(env, nullptr, msg, &err);
        napi_reject_deferred(env, job->deferred, err);
    } else {
        void* buf = nullptr;
        napi_value ab, arr;
        const size_t bytes = job->results.size() * sizeof(double);
        napi_create_arraybuffer(env, bytes, &buf, &ab);
        if (bytes > 0) std::memcpy(buf, job->results.data(), bytes);
        napi_create_typedarray(env, napi_float64_array, job->results.size(), ab, 0, &arr);
        napi_resolve_deferred(env, job->deferred, arr);
    }
    napi_delete_async_work(env, job->work);
    delete job;
}


// Greedy generation: decode the prompt's tail (its earlier blocks are in the cache), then one token at a time, each
// the argmax (the first maximum, as llama.cpp's greedy sampler), until an end-of-generation token, a stop string
// in the text, the token budget, or cancel().
struct GenerateJob {
    Scorer* scorer;
    std::vector<int32_t> tail;  // on gen: the whole prompt
    int32_t pos0 = 0;
    int32_t block = 0;          // > 0: on gen, the prompt's complete blocks of this size one decode each
    int32_t evaluated = 0;
    int32_t maxTokens = 0;
    std::vector<std::string> stops;
    std::vector<int32_t> out;
    std::string reason = "length";
    std::string error;
    napi_async_work work = nullptr;
    napi_deferred deferred = nullptr;
};

bool decodeOne(llama_context* ctx, const int32_t* tokens, int32_t n, int32_t pos0, std::string& error,
               bool lastLogits = true) {
    llama_batch batch = api.batch_init(n, 0, 1);
    for (int32_t i = 0; i < n; i++) {
        batch.token[i] = tokens[i];
        batch.pos[i] = pos0 + i;
        batch.n_seq_id[i] = 1;
        batch.seq_id[i][0] = 0;
        batch.logits[i] = lastLogits && i == n - 1;
    }
    batch.n_tokens = n;
    const int32_t rc = api.decode(ctx, batch);
    api.batch_free(batch);
    if (rc != 0) error = "llama_decode failed (" + std::to_string(rc) + ")";
    return rc == 0;
}

// On gen, the prompt is laid out as on the scoring context (complete blocks one decode each, kept for the next
// prompt that starts with them, then the rest in one decode), so both give the same numbers.
bool preparePrompt(Scorer* s, GenerateJob* job) {
    const int32_t c = static_cast<int32_t>(job->tail.size());
    const int32_t b = job->block;
    const int32_t cb = (c - 1) / b * b;
    int32_t keep = 0;
    while (keep + b <= cb && keep + b <= static_cast<int32_t>(s->genKv.size()) &&
           std::equal(s->genKv.begin() + keep, s->genKv.begin() + keep + b, job->tail.begin() + keep))
        keep += b;
    api.seq_rm(api.get_memory(s->gen), 0, keep, -1);
    s->genKv.resize(keep);
    for (int32_t p = keep; p < cb; p += b) {
        if (!decodeOne(s->gen, job->tail.data() + p, b, p, job->error, false)) return false;
        s->genKv.insert(s->genKv.end(), job->tail.begin() + p, job->tail.begin() + p + b);
    }
    job->pos0 = cb;
    job->evaluated = c - keep;
    return decodeOne(s->gen, job->tail.data() + cb, c - cb, cb, job->error);
}

void runGenerate(Scorer* s, GenerateJob* job, llama_context* ctx) {
    if (job->block > 0) {
        if (!preparePrompt(s, job)) return;
    } else {
        if (!decodeOne(ctx, job->tail.data(), static_cast<int32_t>(job->tail.size()), job->pos0, job->error)) return;
        job->evaluated = static_cast<int32_t>(job->tail.size());
    }
    int32_t pos = job->block > 0 ? static_cast<int32_t>(job->tail.size())
                                 : job->pos0 + static_cast<int32_t>(job->tail.size());
    size_t longestStop = 0;
    for (const auto& st : job->stops) longestStop = st.size() > longestStop ? st.size() : longestStop;
    std::string text;
    char piece[256];
    while (static_cast<int32_t>(job->out.size()) < job->maxTokens) {
        if (s->cancel.load()) {
            job->reason = "abort";
            return;
        }
        const float* logits = api.get_logits_ith(ctx, -1);
        if (logits == nullptr) {
            job->error = "llama.cpp returned no logits";
            return;
        }
        int32_t best = 0;
        for (int32_t j = 1; j < s->nVocab; j++)
            if (logits[j] > logits[best]) best = j;
        job->out.push_back(best);
        if (api.is_eog(s->vocab, best)) {
            job->reason = "stop";
            return;
        }
        const int32_t n = api.token_to_piece(s->vocab, best, piece, sizeof piece, 0, true);
        if (n > 0) {
            const size_t from = text.size() > longestStop ? text.size() - longestStop : 0;
            text.append(piece, static_cast<size_t>(n));
            for (const auto& st : job->stops)
                if (!st.empty() && text.find(st, from) != std::string::npos) {
                    job->reason = "stop";
                    return;
                }
        }
        if (static_cast<int32_t>(job->out.size()) >= job->maxTokens) return;
        if (!decodeOne(ctx, &best, 1, pos++, job->error)) return;
        job->evaluated++;
    }
}

void executeGenerate(napi_env, void* data) {
    auto* job = static_cast<GenerateJob*>(data);
    Scorer* s = job->scorer;
    if (job->block <= 0) {
        runGenerate(s, job, s->ctx);
        return;
    }
    runGenerate(s, job, s->gen);
    // gen keeps the prompt's complete blocks; after a failure, nothing.
    if (!job->error.empty()) s->genKv.clear();
    api.seq_rm(api.get_memory(s->gen), 0, static_cast<int32_t>(s->genKv.size()), -1);
}

void completeGenerate(napi_env env, napi_status status, void* data) {
    auto* job = static_cast<GenerateJob*>(data);
    job->scorer->busy = false;
    if (status != napi_ok || !job->error.empty()) {
        napi_value msg, err;
        napi_create_string_utf8(env, job->error.empty() ? "native generation cancelled" : job->error.c_str(),
                                NAPI_AUTO_LENGTH, &msg);
        napi_create_error(env, nullptr, msg, &err);
        napi_reject_deferred(env, job->deferred, err);
    } else {
        napi_value result, ab, arr, reason;
        void* buf = nullptr;
        const size_t bytes = job->out.size() * sizeof(int32_t);
        napi_create_arraybuffer(env, bytes, &buf, &ab);
        if (bytes > 0) std::memcpy(buf, job->out.data(), bytes);
        napi_create_typedarray(env, napi_int32_array, job->out.size(), ab, 0, &arr);
        napi_value evaluated;
        napi_create_string_utf8(env, job->reason.c_str(), NAPI_AUTO_LENGTH, &reason);
        napi_create_int32(env, job->evaluated, &evaluated);
        napi_create_object(env, &result);
        napi_set_named_property(env, result, "tokens", arr);
        napi_set_named_property(env, result, "reason", reason);
        napi_set_named_property(env, result, "evaluated", evaluated);
        napi_resolve_deferred(env, job->deferred, result);
    }
    napi_delete_async_work(env, job->work);
    delete job;
}

napi_value throwError(napi_env env, const std::string& message) {
    napi_throw_error(env, "MODELMAP_NATIVE", message.c_str());
    return nullptr;
}

bool int32Array(napi_env env, napi_value v, std::vector<int32_t>& out) {
    napi_typedarray_type type;
    size_t length = 0;
    void* data = nullptr;
    bool is = false;
    if (napi_is_typedarray(env, v, &is) != napi_ok || !is) return false;
    if (napi_get_typedarray_info(env, v, &type, &length, &data, nullptr, nullptr) != napi_ok) return false;
    if (type != napi_int32_array) return false;
    out.assign(static_cast<int32_t*>(data), static_cast<int32_t*>(data) + length);
    return true;
}

int32_t intProp(napi_env env, napi_value obj, const char* name, int32_t fallback) {
    napi_value v;
    bool has = false;
    if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return fallback;
    if (napi_get_named_property(env, obj, name, &v) != napi_ok) return fallback;
    int32_t out = fallback;
    if (napi_get_value_int32(env, v, &out) != napi_ok) return fallback;
    return out;
}

Scorer* unwrapScorer(napi_env env, napi_value v) {
    void* p = nullptr;
    if (napi_get_value_external(env, v, &p) != napi_ok || p == nullptr) return nullptr;
    auto* s = static_cast<Scorer*>(p);
    return s->ctx == nullptr ? nullptr : s;
}

// The open, idle scorer that a call of exactly n arguments names first (its arguments in argv); nullptr, with a
// JavaScript error thrown, when the handle is missing or closed (`usage` says how to call) or the scorer is busy.
Scorer* idleScorer(napi_env env, napi_callback_info info, size_t n, napi_value* argv, const char* usage) {
    size_t argc = n;
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    Scorer* s = argc == n ? unwrapScorer(env, argv[0]) : nullptr;
    if (s == nullptr) {
        throwError(env, std::string(usage) + " on an open scorer");
        return nullptr;
    }
    if (s->busy) {
        throwError(env, "scorer is busy (calls must be serialized)");
        return nullptr;
    }
    return s;
}

// open(addonModel, {contextSize, batchSize, ubatchSize, sequences, threads, flashAttention, generationCells,
// generationKvBytes}) -> handle; a generation context of generationCells cells when its K and V caches (f16)
// take at most generationKvBytes
napi_value Open(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < 2) return throwError(env, "open(addonModel, options)");
    if (!loadApi()) return throwError(env, apiError);
    void* wrapped = nullptr;
    if (napi_unwrap(env, argv[0], &wrapped) != napi_ok || wrapped == nullptr)
        return throwError(env, "not a node-llama-cpp model object");
    auto* am = static_cast<AddonModel*>(wrapped);
    // The layout comes from node-llama-cpp's header; check it before trusting it. llama_model_get_vocab only
    // computes an address (it does not read the model), so a wrong pointer fails this test instead of crashing.
    if (am->model == nullptr || !am->modelLoaded || am->disposed || api.model_get_vocab(am->model) != am->vocab)
        return throwError(env, "node-llama-cpp's model object does not have the expected layout");
    llama_model* model = am->model;
    if (api.is_recurrent(model) || api.is_hybrid(model))
        return throwError(env, "recurrent models keep one state per sequence; the native scorer needs a KV cache");
    llama_context_params p = api.context_default_params();
    p.n_ctx = static_cast<uint32_t>(intProp(env, argv[1], "contextSize", 4096));
    p.n_batch = static_cast<uint32_t>(intProp(env, argv[1], "batchSize", static_cast<int32_t>(p.n_ctx)));
    p.n_ubatch = static_cast<uint32_t>(intProp(env, argv[1], "ubatchSize", 512));
    p.n_seq_max = static_cast<uint32_t>(intProp(env, argv[1], "sequences", 1));
    const int32_t threads = intProp(env, argv[1], "threads", 0);
    if (threads > 0) {
        p.n_threads = threads;
        p.n_threads_batch = threads;
    }
    const int32_t fa = intProp(env, argv[1], "flashAttention", -1);
    p.flash_attn_type = fa < 0 ? LLAMA_FLASH_ATTN_TYPE_AUTO
                               : (fa == 0 ? LLAMA_FLASH_ATTN_TYPE_DISABLED : LLAMA_FLASH_ATTN_TYPE_ENABLED);
    p.kv_unified = true;
    p.no_perf = true;
    p.embeddings = false;
    llama_context* ctx = api.init_from_model(model, p);
    if (ctx == nullptr) return throwError(env, "llama.cpp could not create the scoring context");
    auto* s = new Scorer();
    s->ctx = ctx;
    const int32_t genCells = intProp(env, argv[1], "generationCells", 0);
    const double genLimit = static_cast<double>(intProp(env, argv[1], "generationKvBytes", 0));
    const int32_t heads = api.n_head(model);
    const double kvBytes = 2.0 * 2.0 * genCells * api.n_layer(model) *
                           (heads > 0 ? static_cast<double>(api.n_embd(model)) / heads * api.n_head_kv(model) : 0.0);
    if (genCells > 0 && kvBytes <= genLimit) {
        llama_context_params g = p;
        g.n_ctx = static_cast<uint32_t>(genCells);
        g.n_batch = static_cast<uint32_t>(genCells);
        g.n_seq_max = 1;
        g.kv_unified = false;
        s->gen = api.init_from_model(model, g);  // without it, generation runs on the scoring context
    }
    s->canSave = api.n_swa(model) == 0;
    s->vocab = api.model_get_vocab(model);
    s->nVocab = api.vocab_n_tokens(s->vocab);
    napi_value handle;
    napi_create_external(env, s, nullptr, nullptr, &handle);
    return handle;
}

// info(handle) -> {contextSize, batchSize, ubatchSize, sequences, vocabulary}
napi_value Info(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    Scorer* s = argc > 0 ? unwrapScorer(env, argv[0]) : nullptr;
    if (s == nullptr) return throwError(env, "scorer is closed");
    napi_value out, v;
    napi_create_object(env, &out);
    napi_create_uint32(env, api.n_ctx(s->ctx), &v);
    napi_set_named_property(env, out, "contextSize", v);
    napi_create_uint32(env, api.n_batch(s->ctx), &v);
    napi_set_named_property(env, out, "batchSize", v);
    napi_create_uint32(env, api.n_ubatch(s->ctx), &v);
    napi_set_named_property(env, out, "ubatchSize", v);
    napi_create_uint32(env, api.n_seq_max(s->ctx), &v);
    napi_set_named_property(env, out, "sequences", v);
    napi_create_int32(env, s->nVocab, &v);
    napi_set_named_property(env, out, "vocabulary", v);
    napi_get_boolean(env, s->gen != nullptr, &v);
    napi_set_named_property(env, out, "generationContext", v);
    return out;
}

// decode(handle, tokens, pos, nSeq, seqIds, outputRows, entryRows, entryTargets, stats) -> Promise<Float64Array>
napi_value Decode(napi_env env, napi_callback_info info) {
    size_t argc = 9;
    napi_value argv[9];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < 9) return throwError(env, "decode: 9 arguments expected");
    Scorer* s = unwrapScorer(env, argv[0]);
    if (s == nullptr) return throwError(env, "scorer is closed");
    if (s->busy) return throwError(env, "scorer is busy (calls must be serialized)");
    auto* job = new DecodeJob();
    job->scorer = s;
    std::vector<int32_t> outputRows;
    if (!int32Array(env, argv[1], job->tokens) || !int32Array(env, argv[2], job->pos) ||
        !int32Array(env, argv[3], job->nSeq) || !int32Array(env, argv[4], job->seqIds) ||
        !int32Array(env, argv[5], outputRows) || !int32Array(env, argv[6], job->entryRow) ||
        !int32Array(env, argv[7], job->entryTarget)) {
        delete job;
        return throwError(env, "decode: arguments 2-8 must be Int32Arrays");
    }
    napi_get_value_bool(env, argv[8], &job->stats);
    const size_t n = job->tokens.size();
    size_t nIds = 0;
    bool ok = job->pos.size() == n && job->nSeq.size() == n && job->entryRow.size() == job->entryTarget.size();
    for (size_t i = 0; ok && i < n; i++) {
        ok = job->nSeq[i] >= 1;
        nIds += ok ? static_cast<size_t>(job->nSeq[i]) : 0;
    }
    ok = ok && nIds == job->seqIds.size();
    job->output.assign(n, 0);
    for (int32_t r : outputRows) {
        if (r < 0 || static_cast<size_t>(r) >= n) ok = false;
        else job->output[r] = 1;
    }
    for (int32_t r : job->entryRow) {
        if (r < 0 || static_cast<size_t>(r) >= n || !job->output[r]) ok = false;
    }
    if (!ok) {
        delete job;
        return throwError(env, "decode: inconsistent batch arrays");
    }
    napi_value promise, name;
    napi_create_promise(env, &job->deferred, &promise);
    napi_create_string_utf8(env, "modelmap-native-decode", NAPI_AUTO_LENGTH, &name);
    napi_create_async_work(env, nullptr, name, executeDecode, completeDecode, job, &job->work);
    s->busy = true;
    napi_queue_async_work(env, job->work);
    return promise;
}

// generate(handle, tail, pos0, maxTokens, stops, block) -> Promise<{tokens: Int32Array, reason, evaluated}>; greedy,
// sequence 0. block 0: on the scoring context, `tail` the prompt's tokens from pos0 (the earlier ones in its cache);
// block > 0: on the generation context, `tail` the whole prompt (pos0 unused).
napi_value Generate(napi_env env, napi_callback_info info) {
    size_t argc = 6;
    napi_value argv[6];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < 5) return throwError(env, "generate: 5 arguments expected");
    Scorer* s = unwrapScorer(env, argv[0]);
    if (s == nullptr) return throwError(env, "scorer is closed");
    if (s->busy) return throwError(env, "scorer is busy (calls must be serialized)");
    auto* job = new GenerateJob();
    job->scorer = s;
    bool isArray = false;
    uint32_t nStops = 0;
    if (!int32Array(env, argv[1], job->tail) || job->tail.empty() || napi_get_value_int32(env, argv[2], &job->pos0) != napi_ok ||
        napi_get_value_int32(env, argv[3], &job->maxTokens) != napi_ok || napi_is_array(env, argv[4], &isArray) != napi_ok ||
        !isArray || napi_get_array_length(env, argv[4], &nStops) != napi_ok) {
        delete job;
        return throwError(env, "generate(handle, tail: Int32Array, pos0, maxTokens, stops: string[], block)");
    }
    if (argc >= 6 && napi_get_value_int32(env, argv[5], &job->block) != napi_ok) job->block = 0;
    if (job->block > 0 && s->gen == nullptr) {
        delete job;
        return throwError(env, "generate: this scorer has no generation context");
    }
    for (uint32_t i = 0; i < nStops; i++) {
        napi_value v;
        size_t len = 0;
        napi_get_element(env, argv[4], i, &v);
        if (napi_get_value_string_utf8(env, v, nullptr, 0, &len) != napi_ok) {
            delete job;
            return throwError(env, "generate: stops must be strings");
        }
        std::string st(len, '\0');
        napi_get_value_string_utf8(env, v, st.data(), len + 1, &len);
        job->stops.push_back(st);
    }
    napi_value promise, name;
    napi_create_promise(env, &job->deferred, &promise);
    napi_create_string_utf8(env, "modelmap-native-generate", NAPI_AUTO_LENGTH, &name);
    napi_create_async_work(env, nullptr, name, executeGenerate, completeGenerate, job, &job->work);
    s->busy = true;
    s->cancel.store(false);
    napi_queue_async_work(env, job->work);
    return promise;
}

// cancel(handle): a running generate() stops after its current token (safe to call from JavaScript any time)
napi_value Cancel(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    Scorer* s = argc == 1 ? unwrapScorer(env, argv[0]) : nullptr;
    if (s != nullptr) s->cancel.store(true);
    return nullptr;
}

// seqRm(handle, seq, p0, p1) -> boolean; seq -1: every sequence; p1 -1: to the end
napi_value SeqRm(napi_env env, napi_callback_info info) {
    napi_value argv[4];
    Scorer* s = idleScorer(env, info, 4, argv, "seqRm(handle, seq, p0, p1)");
    if (s == nullptr) return nullptr;
    int32_t seq, p0, p1;
    napi_get_value_int32(env, argv[1], &seq);
    napi_get_value_int32(env, argv[2], &p0);
    napi_get_value_int32(env, argv[3], &p1);
    napi_value out;
    napi_get_boolean(env, api.seq_rm(api.get_memory(s->ctx), seq, p0, p1), &out);
    return out;
}

// seqCp(handle, src, dst, p0, p1)
napi_value SeqCp(napi_env env, napi_callback_info info) {
    napi_value argv[5];
    Scorer* s = idleScorer(env, info, 5, argv, "seqCp(handle, src, dst, p0, p1)");
    if (s == nullptr) return nullptr;
    int32_t src, dst, p0, p1;
    napi_get_value_int32(env, argv[1], &src);
    napi_get_value_int32(env, argv[2], &dst);
    napi_get_value_int32(env, argv[3], &p0);
    napi_get_value_int32(env, argv[4], &p1);
    api.seq_cp(api.get_memory(s->ctx), src, dst, p0, p1);
    return nullptr;
}

// clear(handle): empties the KV cache (data too, so that no earlier state can reach a later result)
napi_value Clear(napi_env env, napi_callback_info info) {
    napi_value argv[1];
    Scorer* s = idleScorer(env, info, 1, argv, "clear(handle)");
    if (s == nullptr) return nullptr;
    api.memory_clear(api.get_memory(s->ctx), true);
    if (s->gen != nullptr) api.memory_clear(api.get_memory(s->gen), true);
    s->genKv.clear();
    std::vector<uint8_t>().swap(s->saved);
    return nullptr;
}

// save(handle, maxBytes) -> boolean: copies sequence 0's cells (positions, keys, values) out of the scoring cache,
// if they take at most maxBytes and the model has no sliding-window cache; false (and nothing kept) otherwise.
napi_value Save(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    Scorer* s = idleScorer(env, info, 2, argv, "save(handle, maxBytes)");
    if (s == nullptr) return nullptr;
    double maxBytes = 0;
    napi_get_value_double(env, argv[1], &maxBytes);
    std::vector<uint8_t>().swap(s->saved);
    const size_t size = s->canSave ? api.state_seq_get_size(s->ctx, 0) : 0;
    bool ok = size > 0 && static_cast<double>(size) <= maxBytes;
    if (ok) {
        s->saved.resize(size);
        ok = api.state_seq_get_data(s->ctx, s->saved.data(), size, 0) == size;
        if (!ok) std::vector<uint8_t>().swap(s->saved);
    }
    napi_value out;
    napi_get_boolean(env, ok, &out);
    return out;
}

// restore(handle, keep) -> boolean: puts what save() copied back into sequence 0 (which it replaces; an emptied
// cache gives it the cells it had), unless keep is false; either way the copy is freed.
napi_value Restore(napi_env env, napi_callback_info info) {
    napi_value argv[2];
    Scorer* s = idleScorer(env, info, 2, argv, "restore(handle, keep)");
    if (s == nullptr) return nullptr;
    bool keep = false;
    napi_get_value_bool(env, argv[1], &keep);
    bool ok = false;
    if (keep && !s->saved.empty())
        ok = api.state_seq_set_data(s->ctx, s->saved.data(), s->saved.size(), 0) > 0;
    std::vector<uint8_t>().swap(s->saved);
    napi_value out;
    napi_get_boolean(env, ok, &out);
    return out;
}

// close(handle): frees the context (before node-llama-cpp disposes the model)
napi_value Close(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    void* p = nullptr;
    if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || p == nullptr) return nullptr;
    auto* s = static_cast<Scorer*>(p);
    if (s->busy) return throwError(env, "scorer is busy (calls must be serialized)");
    if (s->gen != nullptr) api.free_context(s->gen);
    s->gen = nullptr;
    if (s->ctx != nullptr) api.free_context(s->ctx);
    s->ctx = nullptr;
    std::vector<uint8_t>().swap(s->saved);
    return nullptr;
}

}  // namespace

NAPI_MODULE_INIT() {
    const napi_property_descriptor props[] = {
        {"open", nullptr, Open, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"decode", nullptr, Decode, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"generate", nullptr, Generate, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"cancel", nullptr, Cancel, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"seqRm", nullptr, SeqRm, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"seqCp", nullptr, SeqCp, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"clear", nullptr, Clear, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"save", nullptr, Save, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"restore", nullptr, Restore, nullptr, nullptr, nullptr, napi_default, nullptr},
        {"close", nullptr, Close, nullptr, nullptr, nullptr, napi_default, nullptr},
    };
    napi_define_properties(env, exports, sizeof(props) / sizeof(props[0]), props);
    return exports;
}
