#!/usr/bin/env python3
"""The capsule's pages are well-formed gemtext and its links all resolve.

usage: links.py [CAPSULE_DIR]

Walks the whole tree.  Every text file: UTF-8, LF line ends, no CR, no
TAB, a final newline.  Every .gmi page: one level-1 heading, as its first
line; closed preformatted blocks; blank line before every later heading;
at least one link; short link labels (they become Gopher menu items);
every local link resolves inside the capsule (a directory link ends in /
and the directory has an index.gmi); every page but the home page links
to the home page, and the home page reaches every page.  The news feed
follows the gemfeed convention, newest first.  favicon.txt and robots.txt
exist.

What a reader on another host or client would trip over: no link names an
index.gmi (link the directory, / for the home page, so each page has one
address); no host name, loopback address or port is written into the
capsule (it is served on hosts and ports its operator chooses); no link
label names a particular client; each glossary "Used in:" label is the
title (first heading) of the page it opens, and so is each news post's
"Told in:" label.
"""

import re
import sys
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urlsplit

sys.dont_write_bytecode = True     # keep the source tree free of __pycache__

from capsulelib import Tally, arguments, is_local, pages, parse, read_text

TEXT_SUFFIXES = {".gmi", ".txt"}
MAX_LABEL = 60
FEED = Path("news") / "index.gmi"
ENTRY = re.compile(r"=> \S+ (\d{4})-(\d{2})-(\d{2}) .+")
DATED_LABEL = re.compile(r"\d{4}-\d{2}-\d{2}")
GLOSSARY = Path("glossary.gmi")
USED_IN = "Used in: "
TOLD_IN = "Told in: "
# A fixed address: a loopback host, a URL with a port, or a port number.
FIXED_ADDRESS = re.compile(r"\blocalhost\b|\b127\.\d+\.\d+\.\d+\b|\[::1\]"
                           r"|//[^/\s]*:\d+|\bports? \d+", re.IGNORECASE)
CLIENTS = re.compile(r"\b(Lagrange|Amfora|Kristall|Bombadillo|lynx|sacc)\b",
                     re.IGNORECASE)


# Pages tulpar makes itself rather than reads from the tree: the search
# (`search = /search`, on when tulpar runs from flags, as `make run` does).
SERVED = {"/search"}
# ... and beside a gemfeed page (a page of dated links): its Atom feed.
SERVED_BESIDE = {"atom.xml"}


class Capsule:
    def __init__(self, root):
        self.root = root.resolve()
        self.tally = Tally()
        self.texts = {p.resolve(): read_text(p) for p in pages(root)}
        self.edges = {}                 # page -> set of local pages it links

    def name(self, path):
        return path.relative_to(self.root).as_posix()

    def resolve(self, page, url):
        """The page a local link names, or a reason it names none."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        if path == "":
            return page, None           # "#fragment" or "?query": this page
        base = self.root if path.startswith("/") else page.parent
        target = (base / path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root):
            return None, "escapes the capsule"
        if target.is_dir():
            if not path.endswith("/"):
                return None, "names a directory without a trailing /"
            target = target / "index.gmi"
        if not target.is_file():
            return None, "does not resolve to a file"
        return target, None


def check_files(c):
    for path in sorted(c.root.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        name = c.name(path)
        text = read_text(path)
        if not c.tally.check(text is not None, f"{name}: not valid UTF-8"):
            continue
        c.tally.check("\r" not in text, f"{name}: has CR (want LF line ends)")
        c.tally.check("\t" not in text, f"{name}: has a TAB")
        c.tally.check(text.endswith("\n"), f"{name}: no final newline")
        for m in FIXED_ADDRESS.finditer(text):
            c.tally.check(False, f"{name}: names a fixed address or port: "
                          f"{m.group(0)!r}")


def check_page(c, page, text):
    name = c.name(page)
    lines = list(parse(text))
    kinds = [k for k, _, _ in lines]
    c.tally.check(lines[0][0] == "heading" and lines[0][2] == 1
                  and lines[0][1].startswith("# "),
                  f"{name}: first line is not a '# ' heading")
    h1 = [line for k, line, level in lines if k == "heading" and level == 1]
    c.tally.check(len(h1) == 1, f"{name}: {len(h1)} level-1 headings, want 1")
    c.tally.check(kinds.count("fence") % 2 == 0,
                  f"{name}: unclosed preformatted block")
    for i in range(1, len(lines)):
        if kinds[i] == "heading":
            c.tally.check(lines[i - 1][1].strip() == "",
                          f"{name}: no blank line before {lines[i][1]!r}")
    links = [fields for k, _, fields in lines if k == "link"]
    c.tally.check(bool(links), f"{name}: no links (a dead end)")
    c.edges[page] = set()
    for url, label in links:
        if not c.tally.check(url is not None, f"{name}: empty link line"):
            continue
        shown = label or url
        c.tally.check(len(shown) <= MAX_LABEL,
                      f"{name}: label over {MAX_LABEL} characters: {shown!r}")
        c.tally.check(not CLIENTS.search(shown),
                      f"{name}: label names a client: {shown!r}")
        if not is_local(url):
            continue
        c.tally.check(urlsplit(url).path.rsplit("/", 1)[-1] != "index.gmi",
                      f"{name}: link {url!r} names an index.gmi (link the "
                      "directory, / for the home page)")
        if urlsplit(url).path in SERVED or \
                urlsplit(url).path.rsplit("/", 1)[-1] in SERVED_BESIDE:
            c.tally.check(True, f"{name}: link {url!r} is served by tulpar")
            continue
        target, why = c.resolve(page, url)
        if c.tally.check(why is None, f"{name}: link {url!r} {why}"):
            c.edges[page].add(target)
    home = c.root / "index.gmi"
    if page != home:
        c.tally.check(home in c.edges[page],
                      f"{name}: does not link to the home page")


def check_reachable(c):
    home = c.root / "index.gmi"
    if not c.tally.check(home in c.texts, "no home page index.gmi"):
        return
    seen, todo = {home}, [home]
    while todo:
        for nxt in c.edges.get(todo.pop(), ()):
            if nxt not in seen and nxt.suffix == ".gmi":
                seen.add(nxt)
                todo.append(nxt)
    for page in sorted(c.texts):
        c.tally.check(page in seen,
                      f"{c.name(page)}: not reachable from the home page")


def check_feed(c):
    feed = c.root / FEED
    text = c.texts.get(feed)
    if not c.tally.check(text is not None, f"no feed page {FEED}"):
        return
    posts = {p for p in c.texts if p.parent == feed.parent and p != feed}
    dates, listed = [], set()
    for kind, line, fields in parse(text):
        if kind != "link" or fields[0] is None or not is_local(fields[0]):
            continue
        target, _ = c.resolve(feed, fields[0])
        label = fields[1] or ""
        if target not in posts and not DATED_LABEL.match(label):
            continue                    # navigation, not an entry
        m = ENTRY.fullmatch(line)
        if not c.tally.check(m is not None,
                             f"{FEED}: entry is not '=> path YYYY-MM-DD Title':"
                             f" {line!r}"):
            continue
        try:
            day = date(*map(int, m.groups()))
        except ValueError:
            c.tally.check(False, f"{FEED}: not a real date: {line!r}")
            continue
        dates.append(day)
        listed.add(target)
        named = DATED_LABEL.match(target.name) if target else None
        if named:
            c.tally.check(named.group(0) == day.isoformat(),
                          f"{FEED}: {target.name} listed as {day}")
    c.tally.check(bool(dates), f"{FEED}: no dated entries")
    c.tally.check(dates == sorted(dates, reverse=True),
                  f"{FEED}: entries are not newest first")
    for post in sorted(posts - listed):
        c.tally.check(False, f"{FEED}: does not list {c.name(post)}")


def title(text):
    """A page's first heading, without its marker."""
    first = text.split("\n", 1)[0]
    return first.lstrip("#").strip()


def check_titled(c, page, prefix):
    """Links labelled prefix + the title of the page they open; how many."""
    n = 0
    for kind, _, fields in parse(c.texts.get(page) or ""):
        if kind != "link" or not (fields[1] or "").startswith(prefix):
            continue
        n += 1
        target, _ = c.resolve(page, fields[0])
        shown = fields[1][len(prefix):]
        want = title(c.texts.get(target) or "") if target else None
        c.tally.check(shown == want,
                      f"{c.name(page)}: label {shown!r} is not the title of "
                      f"{fields[0]}: {want!r}")
    return n


def check_titles(c):
    glossary = c.root / GLOSSARY
    if c.tally.check(glossary in c.texts, f"no glossary page {GLOSSARY}"):
        c.tally.check(check_titled(c, glossary, USED_IN) > 0,
                      f"{GLOSSARY}: no '{USED_IN}' links")
    feed = c.root / FEED
    for post in sorted(p for p in c.texts if p.parent == feed.parent):
        check_titled(c, post, TOLD_IN)


def check_extras(c):
    favicon = c.root / "favicon.txt"
    text = read_text(favicon) if favicon.is_file() else None
    c.tally.check(text is not None and re.fullmatch(r"\S+\n", text) is not None,
                  "favicon.txt: missing, or not one emoji and a newline")
    c.tally.check((c.root / "robots.txt").is_file(), "robots.txt: missing")


def main():
    root, _ = arguments()
    c = Capsule(root)
    if not c.tally.check(bool(c.texts), f"no .gmi pages under {root}"):
        c.tally.finish()
    check_files(c)
    for page, text in sorted(c.texts.items()):
        if text is not None and c.tally.check(text != "",
                                              f"{c.name(page)}: empty"):
            check_page(c, page, text)
    check_reachable(c)
    check_feed(c)
    check_titles(c)
    check_extras(c)
    print(f"checked {len(c.texts)} pages, "
          f"{sum(len(e) for e in c.edges.values())} distinct local links")
    c.tally.finish()


if __name__ == "__main__":
    main()
