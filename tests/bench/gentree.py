#!/usr/bin/env python3
"""Generates a content tree for tulpar's tree benchmarks (issue 11).

    gentree.py [--seed N] [--text] COUNT SIZE DIR

COUNT pages of about SIZE bytes each, written under DIR (created; it must
not exist or be empty), the same bytes for the same arguments:

- gemtext (default): DIR/index.gmi links to every directory; page i is
  DIR/aNNN/bNN/pNNNNNN.gmi, so no directory holds more than 100 entries;
  each page has a heading, paragraphs, links to five other pages (so the
  Gopher menus have items of type 1), one to its directory and one to
  another site, and one to a text file when there are any.
- --text: the pages are plain-text files DIR/aNNN/bNN/pNNNNNN.txt (the
  1 500 x 600 KiB tree: files tulpar loads whole, up to 1 MiB).

page_path(i) and page_paths() are importable, so trees.py asks for the same
pages the tree holds.
"""

import argparse
import os
import random
import sys

WORDS_SEED = 1965


def page_path(i, text=False):
    """The path of page i inside the tree, with a leading slash."""
    return "/a%03d/b%02d/p%06d.%s" % (i // 10000, (i // 100) % 100, i,
                                      "txt" if text else "gmi")


def page_paths(count, text=False):
    return [page_path(i, text) for i in range(count)]


def filler(rng, size):
    """size bytes of words in lines of at most 70 columns."""
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz")
                     for _ in range(rng.randint(2, 9))) for _ in range(2000)]
    out, line, n = [], [], 0
    while n < size:
        w = rng.choice(words)
        if sum(len(x) + 1 for x in line) + len(w) > 70:
            s = " ".join(line) + "\n"
            out.append(s)
            n += len(s)
            line = []
        line.append(w)
    return "".join(out)


class Tree:
    def __init__(self, count, size, text, seed):
        self.count, self.size, self.text = count, size, text
        self.rng = random.Random(seed)
        # One block of words, sliced per page: generating 200 MB of text
        # word by word would take minutes.
        self.block = filler(random.Random(WORDS_SEED), 1 << 20)

    def slice(self, n):
        """About n bytes of whole lines from a seeded place in the block."""
        start = self.rng.randrange(0, len(self.block) - n - 200)
        start = self.block.index("\n", start) + 1
        end = self.block.rfind("\n", start, start + max(n, 1)) + 1
        return self.block[start:end if end > start else start + n]

    def gemtext(self, i):
        links = ["=> %s page %d" % (page_path(j), j) for j in
                 (self.rng.randrange(self.count) for _ in range(5))]
        d = page_path(i).rsplit("/", 1)[0] + "/"
        links.append("=> %s this directory" % d)
        links.append("=> gemini://example.org/ another site")
        head = "# Page %d\n\n" % i
        tail = "\n" + "\n".join(links) + "\n"
        body = max(self.size - len(head) - len(tail), 0)
        lines = self.slice(body - body // 560).split("\n")
        # A blank line after every 8: paragraphs, as Gopher menus wrap them.
        paras = ["\n".join(lines[k:k + 8]) for k in range(0, len(lines), 8)]
        return head + "\n\n".join(paras) + tail

    def write(self, root):
        os.makedirs(root, exist_ok=True)
        if os.listdir(root):
            raise SystemExit("gentree: %s is not empty" % root)
        made = set()
        for i in range(self.count):
            p = page_path(i, self.text)
            d = os.path.join(root, p[1:].rsplit("/", 1)[0])
            if d not in made:
                os.makedirs(d, exist_ok=True)
                made.add(d)
            body = self.slice(self.size) if self.text else self.gemtext(i)
            with open(os.path.join(root, p[1:]), "w") as f:
                f.write(body)
        tops = sorted({page_path(i, self.text).split("/")[1]
                       for i in range(self.count)})
        with open(os.path.join(root, "index.gmi"), "w") as f:
            f.write("# A generated tree: %d %s of %d bytes\n\n" %
                    (self.count, "text files" if self.text else "pages",
                     self.size))
            for t in tops:
                f.write("=> /%s/ %s\n" % (t, t))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--text", action="store_true")
    ap.add_argument("count", type=int)
    ap.add_argument("size", type=int)
    ap.add_argument("dir")
    a = ap.parse_args()
    if a.count < 1 or a.size < 200 or a.size > 900 * 1024:
        ap.error("count >= 1, 200 <= size <= 921600")
    Tree(a.count, a.size, a.text, a.seed).write(a.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
