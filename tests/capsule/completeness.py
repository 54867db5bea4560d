#!/usr/bin/env python3
"""The capsule holds the whole source text, and no date the source lacks.

usage: completeness.py [CAPSULE_DIR [SOURCE_TXT]]

Splits the source into sentences (each line and bullet is a boundary too;
a roman-numeral heading line is one sentence) and fails naming every
sentence that no single page contains.  Quotes, whitespace and a missing
space after a colon are normalised on both sides.  It also checks that
every year and every YYYY-MM-DD date in the pages comes from the source,
and that a post dated by a month or year only says so.
"""

import re
import sys
from datetime import date

sys.dont_write_bytecode = True     # keep the source tree free of __pycache__

from capsulelib import ROOT, Tally, arguments, pages, parse, read_text

QUOTES = str.maketrans({
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
})
BULLET = re.compile(r"^[\u2022\u00b7]\s*")
ROMAN = re.compile(r"^[IVXLC]+\.\s")
# A sentence ends at . ! or ?, possibly inside a closing quote: "evils." Next
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"']))\s+")
INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")

MONTHS = ("January February March April May June July August September "
          "October November December").split()
MONTH = "(" + "|".join(MONTHS) + ")"
FULL_DATE = re.compile(MONTH + r" (\d{1,2}), (\d{4})\b")
MONTH_YEAR = re.compile(MONTH + r" (\d{4})\b")
# Years of this century only: port numbers such as 1965 are not years.
YEAR = re.compile(r"(?<!\d)20\d\d(?!\d)")
ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d\d)-(\d\d)(?!\d)")


def normalise(text):
    text = text.translate(QUOTES)
    text = re.sub(r":(?=[A-Za-z])", ": ", text)
    return re.sub(r"\s+", " ", text).strip()


def sentences(source):
    """The source's sentences, normalised, in order."""
    for raw in source.splitlines():
        line = normalise(BULLET.sub("", raw.strip()))
        if not line:
            continue
        if ROMAN.match(line):
            yield line
            continue
        pending = ""
        for piece in SENTENCE_END.split(line):
            pending = f"{pending} {piece}".strip()
            if INITIAL.search(pending):
                continue            # "K. Tokayev": an initial, not an end
            yield pending
            pending = ""
        if pending:
            yield pending


def page_text(text):
    """A page's readable text: markers stripped, lines joined, normalised."""
    parts = []
    for kind, line, fields in parse(text):
        if kind == "link":
            url, label = fields
            parts.append(label or url or "")
        elif kind == "heading":
            parts.append(line.lstrip("#"))
        elif kind in ("list", "quote", "pre", "text"):
            parts.append(fields)
    return normalise(" ".join(parts))


def source_dates(source):
    """(full dates, (year, month) pairs, years) that the source names."""
    full = {date(int(y), MONTHS.index(m) + 1, int(d))
            for m, d, y in FULL_DATE.findall(source)}
    months = {(int(y), MONTHS.index(m) + 1)
              for m, y in MONTH_YEAR.findall(source)}
    years = {int(y) for y in YEAR.findall(source)}
    return full, months, years


def iso_allowed(y, m, d, full, months, years):
    """A full source date, or the first day of a source month or year."""
    try:
        day = date(y, m, d)
    except ValueError:
        return False
    if day in full:
        return True
    return d == 1 and ((y, m) in months or (m == 1 and y in years))


def check_dates(tally, capsule, texts, source):
    full, months, years = source_dates(source)
    for page, text in texts.items():
        name = page.relative_to(capsule)
        for y in sorted({int(y) for y in YEAR.findall(text)}):
            tally.check(y in years, f"{name}: year {y} is not in the source")
        for y, m, d in sorted(set(ISO_DATE.findall(text))):
            tally.check(iso_allowed(int(y), int(m), int(d), full, months, years),
                        f"{name}: date {y}-{m}-{d} is neither a source date "
                        "nor the first day of a source month or year")
        m = ISO_DATE.match(page.name)
        if m and date(*map(int, m.groups())) not in full:
            tally.check(re.search(r"only the (month|year)", text) is not None,
                        f"{name}: dated by month or year only, but does not "
                        "say the source gives only the month/year")


def main():
    capsule, source_path = arguments()
    tally = Tally()
    # A fresh clone has only what is inside the repository.
    tally.check(len(sys.argv) > 2 or source_path.resolve().is_relative_to(ROOT),
                f"the source text {source_path} is outside the repository")
    if not tally.check(source_path.is_file(), f"no source text at {source_path}"):
        tally.finish()
    source = source_path.read_text(encoding="utf-8")
    texts = {p: read_text(p) or "" for p in pages(capsule)}
    if not tally.check(bool(texts), f"no .gmi pages under {capsule}"):
        tally.finish()
    corpus = [page_text(t) for t in texts.values()]

    wanted = list(dict.fromkeys(sentences(source)))
    for s in wanted:
        tally.check(any(s in c for c in corpus), f"no page contains: {s}")
    print(f"checked {len(wanted)} sentences of {source_path} "
          f"against {len(texts)} pages")

    check_dates(tally, capsule, texts, source)
    tally.finish()


if __name__ == "__main__":
    main()
