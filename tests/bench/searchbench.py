"""Search rows for bench.py (issue 15): server CPU per search request against
a static page in the same rounds, and the index's memory against the text
it indexes, on the capsule and on a generated tree of 10 000 pages.

bench.py calls rows(b, rounds, seconds) for the full run and smoke(b, check)
for `make bench-smoke`. BENCH_SEARCH_PAGES sets the generated tree's size.
"""

import os
import random
import re
import statistics
import subprocess

import bench

PAGES = bench.env_num("BENCH_SEARCH_PAGES", 10000)
# Two words of middling frequency, one common word, and a phrase.
QUERIES = ["/search?w0100%20w0200", "/search?w0030",
           "/search?%22w0001%20w0002%22"]
CAPSULE_QUERIES = ["/search?SCO%20summit", "/search?Almaty",
                   "/search?%22investment%20synergy%22"]


def make_tree(root, n, seed=7):
    """n pages of ~3.6 KB drawn from a Zipf-like vocabulary, 100 a directory."""
    rnd = random.Random(seed)
    vocab = ["w%04d" % i for i in range(20000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    for i in range(n):
        d = os.path.join(root, "d%03d" % (i // 100))
        os.makedirs(d, exist_ok=True)
        words = rnd.choices(vocab, weights, k=600)
        lines = ["# Page %d %s" % (i, words[0]), ""]
        lines += [" ".join(words[j:j + 15]) + "." for j in range(0, 600, 15)]
        with open(os.path.join(d, "p%05d.gmi" % i), "w") as f:
            f.write("\n".join(lines) + "\n")


def text_bytes(root):
    total = 0
    for d, _, files in os.walk(root):
        total += sum(os.path.getsize(os.path.join(d, f)) for f in files
                     if f.endswith((".gmi", ".txt")) and not f.startswith("."))
    return total


def index_kib(b, root):
    """The index size `tulpar -n` reports for a root, in KiB."""
    out = subprocess.run([bench.TULPAR, "-n", "-d", root, "-T", b.certdir,
                          "-H", "localhost", "-G", "127.0.0.1:%d" %
                          bench.free_port(), "-P", "127.0.0.1:%d" %
                          bench.free_port()], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, timeout=300).stdout.decode()
    m = re.search(r"search \S+: (\d+) pages indexed, (\d+) KiB", out)
    if m is None:
        raise RuntimeError("tulpar -n names no search index: " + out[-300:])
    return int(m.group(1)), int(m.group(2))


def cpu_rounds(b, root, paths, rounds, seconds, conc):
    """us/req of a static page and of each query, interleaved by round."""
    t = b.start_tulpar(["-d", root])
    base = "gemini://localhost:%d" % int(t.urls["gemini"].split(":")[2]
                                         .split("/")[0])
    static = base + paths[0]
    res = {}
    try:
        for url in [static] + [base + q for q in paths[1:]]:
            bench.loadgen(url, "-c", 4, "-n", 50)  # warm-up
        for rnd in range(rounds):
            order = [static] + [base + q for q in paths[1:]]
            if rnd % 2:
                order.reverse()
            for url in order:
                r = b.measured(t, url, [], seconds, conc)
                res.setdefault(url, []).append(r)
                bench.log("search round %d %-40s %7.1f us/req ok %d errors %d"
                          % (rnd + 1, url[len(base):], r["us_per_req"],
                             r["ok"], r["errors"]))
    finally:
        t.stop()
    return static, res


def rows(b, rounds, seconds):
    """Table rows: (scenario, server, measured, ratio, target, ok, ...)."""
    out = []
    tree = os.path.join(b.tmp, "search-tree")
    make_tree(tree, PAGES)
    capsule = os.path.join(bench.ROOT, "capsule")
    for name, root, static, queries in (
            ("capsule", capsule, "/timeline.gmi", CAPSULE_QUERIES),
            ("%d pages" % PAGES, tree, "/d000/p00001.gmi", QUERIES)):
        st, res = cpu_rounds(b, root, [static] + queries, rounds, seconds,
                             bench.CONC)
        for url, runs in res.items():
            if url == st:
                continue
            ratios = bench.per_round(runs, res[st], "us_per_req")
            worst = statistics.median(ratios) if ratios else float("inf")
            q = url[url.index("/search"):]
            target = name != "capsule"
            out.append(dict(
                scenario="search %s" % name, server="tulpar",
                measured=bench.med_range([r["us_per_req"] for r in runs],
                                         "%.0f") + " us/req",
                ratio=bench.med_range(ratios, "%.2f") + " x static",
                target="<= 3x static page" if target else "(information)",
                ok=(worst <= 3.0) if target else None,
                errors=sum(r["errors"] for r in runs),
                notes="%s; static %s us/req" % (q, bench.med_range(
                    [r["us_per_req"] for r in res[st]], "%.0f"))))
        docs, kib = index_kib(b, root)
        text = text_bytes(root)
        ratio = kib * 1024.0 / max(text, 1)
        out.append(dict(
            scenario="search index %s" % name, server="tulpar",
            measured="%d KiB for %d KiB of text" % (kib, text // 1024),
            ratio="%.2f x text" % ratio, target="<= 0.5x text",
            ok=ratio <= 0.5, errors="", notes="%d pages indexed" % docs))
    return out


def smoke(b, check):
    """A search on the capsule answers on both protocols."""
    t = b.start_tulpar()
    try:
        port = int(t.urls["gemini"].split(":")[2].split("/")[0])
        check("tulpar search", bench.loadgen(
            "gemini://localhost:%d/search?Almaty" % port, "-c", 2, "-n", 10))
        gport = int(t.urls["gopher"].split(":")[2].split("/")[0])
        check("tulpar gopher search", bench.loadgen(
            "gopher://localhost:%d/7/search\tAlmaty" % gport, "-c", 2,
            "-n", 10))
    finally:
        t.stop()


def only(b):
    """BENCH_ONLY=search: these rows alone, BENCH_ROUNDS x BENCH_SECONDS."""
    table = bench.Table()
    for row in rows(b, bench.ROUNDS, bench.SECONDS):
        table.add(**row)
    return table.report("tulpar search benchmark: %d rounds x %gs, "
                        "concurrency %d" % (bench.ROUNDS, bench.SECONDS,
                                            bench.CONC))
