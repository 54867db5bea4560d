"""Shared helpers for the capsule tests: arguments, the page walk, a
gemtext line parser and the pass/fail tally.  Python 3.11 stdlib only."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CAPSULE = ROOT / "capsule"
# The source text the capsule publishes, kept in the repository so the
# tests run on a fresh clone.
DEFAULT_SOURCE = ROOT / "tests" / "capsule" / "seed" / "chairmanship.txt"

LINK = re.compile(r"=>[ \t]*(\S+)(?:[ \t]+(.*\S))?[ \t]*$")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def arguments():
    """Return (capsule dir, source path) from argv, with the defaults."""
    argv = sys.argv[1:]
    capsule = Path(argv[0]) if len(argv) > 0 else DEFAULT_CAPSULE
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    return capsule, source


def pages(capsule):
    """Every .gmi file under the capsule, in a stable order."""
    return sorted(p for p in capsule.rglob("*.gmi") if p.is_file())


def read_text(path):
    """The file's text, or None when it is not valid UTF-8."""
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return None


def parse(text):
    """Yield (kind, line, fields) for each gemtext line.

    kind is one of: link, heading, list, quote, fence, pre, text.
    For a link, fields is (url, label or None); for a heading, its level;
    for list, quote and text, the line's text without its marker.
    """
    pre = False
    for line in text.split("\n"):
        if line.startswith("```"):
            pre = not pre
            yield "fence", line, None
        elif pre:
            yield "pre", line, line
        elif line.startswith("=>"):
            m = LINK.match(line)
            yield "link", line, (m.group(1), m.group(2)) if m else (None, None)
        elif line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            yield "heading", line, min(level, 3)
        elif line.startswith("* "):
            yield "list", line, line[2:]
        elif line.startswith(">"):
            yield "quote", line, line[1:]
        else:
            yield "text", line, line


def is_local(url):
    """A link with neither a scheme nor a network location."""
    return not SCHEME.match(url) and not url.startswith("//")


class Tally:
    """Counts checks; prints each failure as it happens."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL: {what}")
        return ok

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)
