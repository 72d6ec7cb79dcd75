"""Byte-level tokenizer shared by training and the GGUF export.

Ids 0..255 are the raw bytes (so any text round-trips), followed by a few control tokens. In the
GGUF the byte tokens are spelled with GPT-2's bytes_to_unicode alphabet and the file says
tokenizer.ggml.model = "gpt2" with no merges: llama.cpp's BPE then yields exactly one token per byte,
which is what this module does.
"""

from __future__ import annotations

import re

BOS = "<|bos|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
PAD = "<|pad|>"
SPECIALS = [BOS, IM_START, IM_END, PAD]
SPECIAL_ID = {s: 256 + i for i, s in enumerate(SPECIALS)}
VOCAB_SIZE = 256 + len(SPECIALS)
BOS_ID = SPECIAL_ID[BOS]
EOS_ID = SPECIAL_ID[IM_END]
PAD_ID = SPECIAL_ID[PAD]

# The chat format the models are trained on (ChatML), as a Hugging Face Jinja template.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_SPECIAL_RE = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")


def encode(text: str, special: bool = True) -> list[int]:
    """Bytes of the text; with special=True the control-token spellings become their ids."""
    if not special:
        return list(text.encode("utf-8"))
    out: list[int] = []
    for part in _SPECIAL_RE.split(text):
        if part in SPECIAL_ID:
            out.append(SPECIAL_ID[part])
        elif part:
            out.extend(part.encode("utf-8"))
    return out


def decode(ids: list[int]) -> str:
    buf = bytearray()
    out = ""
    for i in ids:
        if i < 256:
            buf.append(i)
        else:
            out += buf.decode("utf-8", errors="replace") + SPECIALS[i - 256]
            buf = bytearray()
    return out + buf.decode("utf-8", errors="replace")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte -> printable character map (as in tiktoken / HF tokenizers)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def gguf_vocab() -> tuple[list[str], list[int]]:
    """Token strings and llama.cpp token types (1 = normal, 3 = control) in id order."""
    b2u = bytes_to_unicode()
    tokens = [b2u[b] for b in range(256)] + SPECIALS
    types = [1] * 256 + [3] * len(SPECIALS)
    return tokens, types
