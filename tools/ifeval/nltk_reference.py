"""NLTK's sentence and word tokenization of each text, for comparing modelmap's port with it.

Usage: python3 nltk_reference.py PUNKT_PARAMS.json < texts.jsonl > tokens.jsonl

Each input line is {"text": ...}; each output line is {"sentences": [...], "words": [...]}: what
`PunktSentenceTokenizer(params).tokenize(text)` and `nltk.word_tokenize(text)` return with the English Punkt
parameters in PUNKT_PARAMS.json (NLTK's `punkt/english.pickle`, as modelmap ships it), so that no NLTK data
download is needed.
"""

import json
import sys

import nltk
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        raw = json.load(f)
    params = PunktParameters()
    params.abbrev_types = set(raw["abbrev_types"])
    params.collocations = {tuple(c) for c in raw["collocations"]}
    params.sent_starters = set(raw["sent_starters"])
    for typ, flag in raw["ortho_context"].items():
        params.ortho_context[typ] = flag
    tokenizer = PunktSentenceTokenizer(params)
    nltk.tokenize.load = lambda resource_url, *args, **kwargs: tokenizer

    for line in sys.stdin:
        text = json.loads(line)["text"]
        out = {"sentences": tokenizer.tokenize(text), "words": nltk.word_tokenize(text)}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
