"""Minimal GGUF v3 writer (F32 tensors, llama architecture, byte-level gpt2 tokenizer).

Layout: magic "GGUF", version 3, tensor count, KV count; the KVs; the tensor infos (name, dims in
ggml order = innermost first, type, offset relative to the data section); padding to the alignment;
then each tensor's data, each padded to the alignment (32 bytes, the GGUF default).
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

import tokenizer as tok
from model import TinyLlama

ALIGN = 32
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
GGML_F32 = 0


def _str(s: str) -> bytes:
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _scalar(t: int, v: Any) -> bytes:
    fmt = {T_U8: "B", T_I8: "b", T_U16: "H", T_I16: "h", T_U32: "I", T_I32: "i", T_F32: "f", T_BOOL: "?", T_U64: "Q", T_I64: "q", T_F64: "d"}
    return _str(v) if t == T_STR else struct.pack("<" + fmt[t], v)


def _kv(key: str, t: int, v: Any, item_t: int | None = None) -> bytes:
    out = _str(key) + struct.pack("<I", t)
    if t == T_ARR:
        assert item_t is not None
        out += struct.pack("<IQ", item_t, len(v)) + b"".join(_scalar(item_t, x) for x in v)
    else:
        out += _scalar(t, v)
    return out


def _pad(n: int) -> int:
    return (ALIGN - n % ALIGN) % ALIGN


def tensors_of(model: TinyLlama) -> list[tuple[str, np.ndarray]]:
    """llama.cpp tensor names. A torch Linear weight (out, in) row-major is exactly ggml's (ne0=in, ne1=out)."""
    m = model
    out: list[tuple[str, np.ndarray]] = [("token_embd.weight", m.embed.weight)]
    for i, b in enumerate(m.blocks):
        out += [
            (f"blk.{i}.attn_norm.weight", b.attn_norm.weight),
            (f"blk.{i}.attn_q.weight", b.wq.weight),
            (f"blk.{i}.attn_k.weight", b.wk.weight),
            (f"blk.{i}.attn_v.weight", b.wv.weight),
            (f"blk.{i}.attn_output.weight", b.wo.weight),
            (f"blk.{i}.ffn_norm.weight", b.ffn_norm.weight),
            (f"blk.{i}.ffn_gate.weight", b.w_gate.weight),
            (f"blk.{i}.ffn_up.weight", b.w_up.weight),
            (f"blk.{i}.ffn_down.weight", b.w_down.weight),
        ]
    out.append(("output_norm.weight", m.norm.weight))
    if m.head is not None:
        # Tied models omit output.weight: llama.cpp then reuses token_embd for the output projection.
        out.append(("output.weight", m.head.weight))
    return [(n, t.detach().cpu().float().numpy().astype("<f4")) for n, t in out]


def write_gguf(path: str, model: TinyLlama, name: str, description: str) -> None:
    cfg = model.cfg
    tokens, types = tok.gguf_vocab()
    kvs = [
        _kv("general.architecture", T_STR, "llama"),
        _kv("general.name", T_STR, name),
        _kv("general.description", T_STR, description),
        _kv("general.file_type", T_U32, 0),
        _kv("general.alignment", T_U32, ALIGN),
        _kv("llama.context_length", T_U32, cfg.ctx),
        _kv("llama.embedding_length", T_U32, cfg.dim),
        _kv("llama.block_count", T_U32, cfg.n_layers),
        _kv("llama.feed_forward_length", T_U32, cfg.ffn_dim),
        _kv("llama.attention.head_count", T_U32, cfg.n_heads),
        _kv("llama.attention.head_count_kv", T_U32, cfg.n_heads),
        _kv("llama.attention.layer_norm_rms_epsilon", T_F32, cfg.norm_eps),
        _kv("llama.rope.freq_base", T_F32, cfg.rope_base),
        _kv("llama.rope.dimension_count", T_U32, cfg.dim // cfg.n_heads),
        _kv("llama.vocab_size", T_U32, cfg.vocab_size),
        _kv("tokenizer.ggml.model", T_STR, "gpt2"),
        _kv("tokenizer.ggml.pre", T_STR, "default"),
        _kv("tokenizer.ggml.tokens", T_ARR, tokens, T_STR),
        _kv("tokenizer.ggml.token_type", T_ARR, types, T_I32),
        _kv("tokenizer.ggml.merges", T_ARR, [], T_STR),
        _kv("tokenizer.ggml.bos_token_id", T_U32, tok.BOS_ID),
        _kv("tokenizer.ggml.eos_token_id", T_U32, tok.EOS_ID),
        _kv("tokenizer.ggml.eot_token_id", T_U32, tok.EOS_ID),
        _kv("tokenizer.ggml.padding_token_id", T_U32, tok.PAD_ID),
        _kv("tokenizer.ggml.add_bos_token", T_BOOL, True),
        _kv("tokenizer.ggml.add_eos_token", T_BOOL, False),
        _kv("tokenizer.chat_template", T_STR, tok.CHAT_TEMPLATE),
    ]
    tensors = tensors_of(model)
    infos = b""
    offset = 0
    for n, arr in tensors:
        dims = list(reversed(arr.shape))
        infos += _str(n) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
        infos += struct.pack("<IQ", GGML_F32, offset)
        offset += arr.nbytes + _pad(arr.nbytes)
    head = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kvs)) + b"".join(kvs) + infos
    with open(path, "wb") as f:
        f.write(head + b"\0" * _pad(len(head)))
        for _, arr in tensors:
            f.write(arr.tobytes())
            f.write(b"\0" * _pad(arr.nbytes))
