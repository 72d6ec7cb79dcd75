/**
 * The Python program `--python-hooks` runs in its child process (passed with `python3 -c`). It reads one request
 * (JSON) on stdin and writes one answer (JSON) on file descriptor 3, so that whatever the hook prints cannot be
 * mistaken for the answer. Before the hook module is imported it:
 * - turns the network off: proxies unset, Hugging Face libraries set offline, and Internet sockets refused
 *   (`socket.socket` for AF_INET/AF_INET6, `create_connection`, `getaddrinfo`). This guards against a hook that
 *   downloads by accident; it is not a sandbox against hostile code;
 * - seeds `random` from the request's state (GPQA's shuffle) and numpy with lm-eval's default 1234;
 * - provides a small stand-in for Hugging Face `datasets` when that package is not installed (`Dataset` with
 *   map/filter/select/iteration/columns, map merging each returned dict into the row as HF does).
 * The hook module is loaded from its file as lm-eval loads it (`importlib.util.spec_from_file_location`, module
 * name `lm_eval.tasks.<path>` inside an lm_eval/tasks tree).
 */
export const PYTHON_CHILD = `
import json, math, os, sys, traceback

_OUT = os.fdopen(3, "w", encoding="utf-8")
_NET_MSG = "network access is disabled for lm-eval hooks run by modelmap --python-hooks"

def _answer(obj):
    _OUT.write(json.dumps(obj, allow_nan=False))
    _OUT.flush()

def _dec(o):
    if isinstance(o, dict) and len(o) == 1 and "$float" in o:
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[o["$float"]]
    return o

def _enc(v, path="result"):
    if isinstance(v, float) and not math.isfinite(v):
        return {"$float": "nan" if v != v else ("inf" if v > 0 else "-inf")}
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, dict):
        return {str(k): _enc(x, path) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_enc(x, path) for x in v]
    if hasattr(v, "to_list") and callable(v.to_list):
        return _enc(v.to_list(), path)
    if hasattr(v, "tolist") and callable(v.tolist):
        return _enc(v.tolist(), path)
    if hasattr(v, "item") and callable(v.item):
        return _enc(v.item(), path)
    if isinstance(v, (set, frozenset)):
        return [_enc(x, path) for x in sorted(v, key=repr)]
    if hasattr(v, "__iter__") and not isinstance(v, (bytes, bytearray)):
        return [_enc(x, path) for x in v]
    raise TypeError("the hook returned a %s, which modelmap cannot pass back" % type(v).__name__)

for _k in list(os.environ):
    if _k.lower() in ("http_proxy", "https_proxy", "all_proxy", "ftp_proxy", "no_proxy"):
        del os.environ[_k]
os.environ.update({"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})

import socket as _socket_mod
_RealSocket = _socket_mod.socket

class _NoNetSocket(_RealSocket):
    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        fam = _socket_mod.AF_INET if family == -1 else family
        if fileno is None and fam in (_socket_mod.AF_INET, _socket_mod.AF_INET6):
            raise OSError(_NET_MSG)
        super().__init__(family, type, proto, fileno)

def _blocked(*a, **k):
    raise OSError(_NET_MSG)

_socket_mod.socket = _NoNetSocket
_socket_mod.SocketType = _NoNetSocket
_socket_mod.create_connection = _blocked
_socket_mod.getaddrinfo = _blocked
_socket_mod.gethostbyname = _blocked
_socket_mod.gethostbyname_ex = _blocked

REQ = json.loads(sys.stdin.read(), object_hook=_dec)
for _p in reversed(REQ.get("python_path", [])):
    sys.path.insert(0, _p)

import random
random.setstate((3, tuple(REQ["random_state"]), None))
try:
    import numpy as _np
    _np.random.seed(1234)
except ImportError:
    pass

def _install_datasets_standin():
    import types

    class Dataset:
        def __init__(self, rows):
            self._rows = [dict(r) for r in rows]

        @classmethod
        def from_list(cls, rows):
            return cls(rows)

        def __len__(self):
            return len(self._rows)

        def __iter__(self):
            return iter([dict(r) for r in self._rows])

        def __getitem__(self, key):
            if isinstance(key, str):
                return [r.get(key) for r in self._rows]
            if isinstance(key, slice):
                rows = self._rows[key]
                cols = self.column_names
                return {c: [r.get(c) for r in rows] for c in cols}
            return dict(self._rows[key])

        @property
        def column_names(self):
            cols = []
            for r in self._rows:
                for k in r:
                    if k not in cols:
                        cols.append(k)
            return cols

        @property
        def features(self):
            return {c: None for c in self.column_names}

        @property
        def num_rows(self):
            return len(self._rows)

        def to_list(self):
            return [dict(r) for r in self._rows]

        def map(self, function=None, with_indices=False, batched=False, remove_columns=None, fn_kwargs=None, **_ignored):
            fn_kwargs = fn_kwargs or {}
            if function is None:
                return Dataset(self._rows)
            if batched:
                raise NotImplementedError("modelmap's stand-in for datasets.Dataset.map does not support batched=True; install the 'datasets' package for python3")
            out = []
            for i, r in enumerate(self._rows):
                row = dict(r)
                res = function(row, i, **fn_kwargs) if with_indices else function(row, **fn_kwargs)
                new = dict(r)
                if isinstance(remove_columns, str):
                    remove_columns = [remove_columns]
                for c in remove_columns or []:
                    new.pop(c, None)
                if res is not None:
                    new.update(res)
                out.append(new)
            return Dataset(out)

        def filter(self, function=None, with_indices=False, fn_kwargs=None, **_ignored):
            fn_kwargs = fn_kwargs or {}
            keep = []
            for i, r in enumerate(self._rows):
                ok = function(dict(r), i, **fn_kwargs) if with_indices else function(dict(r), **fn_kwargs)
                if ok:
                    keep.append(r)
            return Dataset(keep)

        def select(self, indices, **_ignored):
            return Dataset([self._rows[i] for i in indices])

        def remove_columns(self, columns):
            if isinstance(columns, str):
                columns = [columns]
            return Dataset([{k: v for k, v in r.items() if k not in columns} for r in self._rows])

        def rename_column(self, old, new):
            return Dataset([{(new if k == old else k): v for k, v in r.items()} for r in self._rows])

        def add_column(self, name, column, **_ignored):
            return Dataset([dict(r, **{name: v}) for r, v in zip(self._rows, column)])

        def shuffle(self, *a, **k):
            raise NotImplementedError("modelmap's stand-in for datasets.Dataset does not shuffle (HF's shuffle is not reproduced); install the 'datasets' package for python3")

    mod = types.ModuleType("datasets")
    mod.Dataset = Dataset
    mod.DatasetDict = dict
    mod.__version__ = "0.0.0-modelmap-standin"
    mod.__modelmap_standin__ = True
    sys.modules["datasets"] = mod

try:
    import datasets as _datasets
except ImportError:
    _install_datasets_standin()
    import datasets as _datasets

def _load_module(path):
    import importlib.util
    p = os.path.abspath(path)
    marker = os.sep + os.path.join("lm_eval", "tasks") + os.sep
    at = p.find(marker)
    if at >= 0:
        name = "lm_eval.tasks." + p[at + len(marker):][:-3].replace(os.sep, ".")
    else:
        name = p[:-3]
    spec = importlib.util.spec_from_file_location(name, p)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load module from %s" % p)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules[name] = module
    return module

def _frame_line(tb, path):
    line = None
    for fr in traceback.extract_tb(tb):
        if os.path.abspath(fr.filename) == os.path.abspath(path):
            line = fr.lineno
    return line

def _tupled(results):
    out = []
    for r in results:
        if isinstance(r, list) and len(r) == 2 and isinstance(r[0], (int, float)) and isinstance(r[1], bool):
            out.append(tuple(r))
        else:
            out.append(r)
    return out

try:
    module = _load_module(REQ["module"])
except BaseException as e:
    _answer({"error": {"stage": "import", "type": type(e).__name__, "missing": getattr(e, "name", None) if isinstance(e, ImportError) else None,
                       "message": str(e), "line": _frame_line(e.__traceback__, REQ["module"]), "traceback": traceback.format_exc()[-4000:]}})
    sys.exit(0)

fn = getattr(module, REQ["function"], None)
if fn is None:
    _answer({"error": {"stage": "lookup", "type": "AttributeError", "message": "module has no attribute %r" % REQ["function"]}})
    sys.exit(0)

try:
    kind = REQ["kind"]
    if kind == "process_docs":
        result = fn(_datasets.Dataset.from_list(REQ["docs"]))
    elif kind in ("doc_to_text", "doc_to_target", "doc_to_choice"):
        result = [fn(d) for d in REQ["docs"]]
    elif kind == "process_results":
        result = [fn(it["doc"], _tupled(it["results"])) for it in REQ["items"]]
    elif kind == "aggregation":
        result = fn(REQ["items"])
    elif kind == "fewshot_samples":
        result = fn()
    elif kind == "filter":
        result = [r for r in fn(**REQ["kwargs"]).apply(REQ["resps"], REQ["docs"])]
    else:
        raise ValueError("unknown hook kind %r" % kind)
    _answer({"ok": _enc(result), "random_state": list(random.getstate()[1]),
             "datasets": "stand-in" if getattr(_datasets, "__modelmap_standin__", False) else "datasets " + str(getattr(_datasets, "__version__", "?"))})
except BaseException as e:
    _answer({"error": {"stage": "call", "type": type(e).__name__, "missing": getattr(e, "name", None) if isinstance(e, ImportError) else None,
                       "message": str(e), "line": _frame_line(e.__traceback__, REQ["module"]), "traceback": traceback.format_exc()[-4000:]}})
`;
