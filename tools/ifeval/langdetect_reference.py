"""Python's langdetect on each text, for comparing modelmap's port with it.

Usage: python3 langdetect_reference.py N_SEEDS < texts.jsonl > detections.jsonl

Each input line is {"text": ...}. Each output line is {"seed0": LANG, "seeds": [LANG for seeds 1..N_SEEDS]}, with
LANG = "error" where langdetect raises (no features). Profiles are loaded in sorted order (as modelmap loads
them); seed 0 is what modelmap reproduces, seeds 1..N stand for the unseeded runs of the reference code, whose
seed comes from the OS on every call.
"""

import json
import os
import sys

import langdetect.detector_factory as factory_module
from langdetect.detector_factory import DetectorFactory
from langdetect.lang_detect_exception import LangDetectException


def main():
    n_seeds = int(sys.argv[1])
    factory = DetectorFactory()
    profiles = factory_module.PROFILES_DIRECTORY
    factory.load_json_profile(
        [open(os.path.join(profiles, name), encoding="utf-8").read() for name in sorted(os.listdir(profiles))]
    )

    def detect(text, seed):
        factory.seed = seed
        detector = factory.create()
        detector.append(text)
        try:
            return detector.detect()
        except LangDetectException:
            return "error"

    for line in sys.stdin:
        text = json.loads(line)["text"]
        out = {"seed0": detect(text, 0), "seeds": [detect(text, s) for s in range(1, n_seeds + 1)]}
        sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
