"""Stand-in for lm_eval.filters.extraction's base classes (tests only; see ../../README.md)."""
import re


class Filter:
    def __init__(self, **kwargs):
        pass

    def apply(self, resps, docs):
        return resps


class RegexFilter(Filter):
    def __init__(self, regex_pattern=r"#### (\-?[0-9\.\,]+)", group_select=0, fallback="[invalid]"):
        self.regex_pattern = regex_pattern
        self.regex = re.compile(regex_pattern)
        self.group_select = group_select
        self.fallback = fallback

    def apply(self, resps, docs):
        out = []
        for inst in resps:
            filtered = []
            for resp in inst:
                if not isinstance(resp, str):
                    resp = ""
                match = self.regex.findall(resp)
                if match:
                    match = match[self.group_select]
                    if isinstance(match, tuple):
                        match = [m for m in match if m]
                        match = match[0] if match else self.fallback
                    match = match.strip()
                else:
                    match = self.fallback
                filtered.append(match)
            out.append(filtered)
        return out
