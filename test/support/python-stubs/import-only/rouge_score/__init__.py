"""Import-only stand-in (tests): truthfulqa/utils.py imports rouge_score at load time."""
