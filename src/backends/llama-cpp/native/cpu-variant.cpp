// Chooses which of the prebuilt engine's ggml CPU variants (libggml-cpu-haswell.so, -zen4.so, ...) node-llama-cpp
// runs on, without touching node-llama-cpp (see docs/decisions/0012-cpu-variant.md).
//
// node-llama-cpp asks ggml to load "the best" CPU variant only when no device is registered yet
// (Llama.js: loadBackends(), then loadBackends(dir) when getGpuType() is null). ggml's registry is a static of
// libggml: this addon, run before node-llama-cpp's, dlopen()s the very libggml file node-llama-cpp's addon links
// (same path, same soname, so the loader hands node-llama-cpp the same object and the same registry) and registers
// the chosen variant with ggml_backend_load(). node-llama-cpp then finds a CPU device and loads no other.
// `inspect()` reads the registry back afterwards, so the choice is checked rather than assumed.
#include <dlfcn.h>
#include <link.h>
#include <node_api.h>

#include <string>
#include <vector>

#include "ggml-backend.h"

namespace {

struct Api {
    decltype(&ggml_backend_load) load = nullptr;
    decltype(&ggml_backend_reg_count) reg_count = nullptr;
    decltype(&ggml_backend_reg_get) reg_get = nullptr;
    decltype(&ggml_backend_reg_name) reg_name = nullptr;
    decltype(&ggml_backend_dev_count) dev_count = nullptr;
    decltype(&ggml_backend_dev_get) dev_get = nullptr;
    decltype(&ggml_backend_dev_type) dev_type = nullptr;
};

template <typename T>
bool bind(void* h, T& fn, const char* name, std::string& err) {
    fn = reinterpret_cast<T>(dlsym(h, name));
    if (fn == nullptr) err = std::string("symbol ") + name + " not found in libggml";
    return fn != nullptr;
}

bool bindAll(void* h, Api& a, std::string& err) {
    return bind(h, a.load, "ggml_backend_load", err) && bind(h, a.reg_count, "ggml_backend_reg_count", err) &&
           bind(h, a.reg_get, "ggml_backend_reg_get", err) && bind(h, a.reg_name, "ggml_backend_reg_name", err) &&
           bind(h, a.dev_count, "ggml_backend_dev_count", err) && bind(h, a.dev_get, "ggml_backend_dev_get", err) &&
           bind(h, a.dev_type, "ggml_backend_dev_type", err);
}

std::string arg(napi_env env, napi_value v) {
    size_t n = 0;
    napi_get_value_string_utf8(env, v, nullptr, 0, &n);
    std::string s(n, '\0');
    napi_get_value_string_utf8(env, v, s.data(), n + 1, &n);
    return s;
}

napi_value str(napi_env env, const std::string& s) {
    napi_value v;
    napi_create_string_utf8(env, s.c_str(), s.size(), &v);
    return v;
}

napi_value fail(napi_env env, const std::string& msg) {
    napi_throw_error(env, nullptr, msg.c_str());
    return nullptr;
}

// preload(libggmlPath, variantPath): registers the variant in libggml's registry; throws with the reason if it
// cannot (a CPU backend is already registered, the file does not load, or the CPU lacks its instructions).
napi_value preload(napi_env env, napi_callback_info info) {
    size_t argc = 2;
    napi_value argv[2];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < 2) return fail(env, "preload(libggml, variant): two paths expected");
    const std::string lib = arg(env, argv[0]);
    const std::string variant = arg(env, argv[1]);
    // RTLD_GLOBAL: node-llama-cpp's addon, loaded later, resolves its ggml symbols to this same object.
    void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (h == nullptr) return fail(env, std::string("cannot load ") + lib + ": " + dlerror());
    Api a;
    std::string err;
    if (!bindAll(h, a, err)) return fail(env, err);
    for (size_t i = 0; i < a.dev_count(); i++) {
        if (a.dev_type(a.dev_get(i)) == GGML_BACKEND_DEVICE_TYPE_CPU)
            return fail(env, "a CPU backend is already registered (the engine was started before the choice)");
    }
    // ggml logs "loaded CPU backend from ..." to stderr before node-llama-cpp installs its logger: keep it quiet,
    // then restore ggml's default (node-llama-cpp sets its own when its addon loads).
    auto log_set = reinterpret_cast<decltype(&ggml_log_set)>(dlsym(h, "ggml_log_set"));
    if (log_set != nullptr) log_set([](ggml_log_level, const char*, void*) {}, nullptr);
    ggml_backend_reg_t reg = a.load(variant.c_str());
    if (log_set != nullptr) log_set(nullptr, nullptr);
    if (reg == nullptr)
        return fail(env, "ggml could not load " + variant + " (is it built for instructions this CPU lacks?)");
    return nullptr;
}

int collect(struct dl_phdr_info* info, size_t, void* data) {
    if (info->dlpi_name != nullptr && std::string(info->dlpi_name).find("libggml-cpu") != std::string::npos)
        static_cast<std::vector<std::string>*>(data)->push_back(info->dlpi_name);
    return 0;
}

// inspect(libggmlPath): {backends: string[], cpuDevices: number, cpuLibraries: string[]} of the registry in that
// libggml, and the ggml CPU libraries mapped in the process, without loading anything new.
napi_value inspect(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
    if (argc < 1) return fail(env, "inspect(libggml): a path expected");
    const std::string lib = arg(env, argv[0]);
    void* h = dlopen(lib.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (h == nullptr) return fail(env, lib + " is not loaded in this process");
    Api a;
    std::string err;
    if (!bindAll(h, a, err)) return fail(env, err);
    napi_value out, backends, libs, n;
    napi_create_object(env, &out);
    napi_create_array(env, &backends);
    for (size_t i = 0; i < a.reg_count(); i++)
        napi_set_element(env, backends, static_cast<uint32_t>(i), str(env, a.reg_name(a.reg_get(i))));
    uint32_t cpu = 0;
    for (size_t i = 0; i < a.dev_count(); i++)
        if (a.dev_type(a.dev_get(i)) == GGML_BACKEND_DEVICE_TYPE_CPU) cpu++;
    napi_create_uint32(env, cpu, &n);
    std::vector<std::string> paths;
    dl_iterate_phdr(collect, &paths);
    napi_create_array(env, &libs);
    for (size_t i = 0; i < paths.size(); i++) napi_set_element(env, libs, static_cast<uint32_t>(i), str(env, paths[i]));
    napi_set_named_property(env, out, "backends", backends);
    napi_set_named_property(env, out, "cpuDevices", n);
    napi_set_named_property(env, out, "cpuLibraries", libs);
    return out;
}

}  // namespace

NAPI_MODULE_INIT() {
    napi_value f;
    napi_create_function(env, "preload", NAPI_AUTO_LENGTH, preload, nullptr, &f);
    napi_set_named_property(env, exports, "preload", f);
    napi_create_function(env, "inspect", NAPI_AUTO_LENGTH, inspect, nullptr, &f);
    napi_set_named_property(env, exports, "inspect", f);
    return exports;
}
