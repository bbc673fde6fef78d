#!/usr/bin/env python3
"""Rows and buffers per statement from auto_explain's JSON plans.

    plan_stats.py summary LOG SAMPLES > DB.tsv
    plan_stats.py compare SMALL.tsv LARGE.tsv [LABEL_SMALL LABEL_LARGE]

summary reads what bench/history_audit.sql prints (auto_explain NOTICEs in
JSON, each path after a NOTICE "PHASE <path>") and writes one line per path
and statement: calls per sample, rows returned, rows read (the rows every
scan node returned or filtered out, times its loops), and shared buffers
(hit + read) of the statement's top node, each averaged per call.  The
statements the audit itself runs (over its sample table) are the whole
path: their line is "[whole path, per sample]", whose buffers include
every statement inside the calls.

compare joins two summaries by path and statement and prints a table with
the ratios, larger over smaller, marking each statement whose rows read or
buffers grow by more than the threshold (GROW, default 1.5 and at least 3
more).
"""
import json
import os
import re
import sys

SCAN_NODES = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Heap Scan", "Tid Scan",
              "Tid Range Scan", "Sample Scan"}


def walk(node, acc):
    loops = node.get("Actual Loops", 1) or 1
    if node.get("Node Type") in SCAN_NODES:
        rel = node.get("Relation Name", "")
        read = (node.get("Actual Rows", 0) + node.get("Rows Removed by Filter", 0)
                + node.get("Rows Removed by Index Recheck", 0)) * loops
        acc["read"] += read
        if node["Node Type"] == "Seq Scan" and node.get("Schema") != "pg_temp" \
                and not rel.startswith("audit_"):
            acc["seqscans"].add(rel)
    for child in node.get("Plans", []):
        walk(child, acc)


def normalize(sql):
    sql = re.sub(r"\s+", " ", sql).strip()
    return sql


def summary(path, samples):
    text = open(path, encoding="utf-8", errors="replace").read()
    phase = None
    stats = {}
    order = []
    # Each message starts with "NOTICE:  " at the start of a line.
    for msg in re.split(r"^(?:psql:[^\n]*?)?NOTICE:  ", text, flags=re.M):
        m = re.match(r"PHASE (\S+)", msg)
        if m:
            phase = m.group(1)
            continue
        m = re.match(r"duration: [0-9.]+ ms  plan:\n", msg)
        if not m or phase in (None, "end"):
            continue
        # The plan, then psql's CONTEXT lines of a nested statement.
        plan = json.JSONDecoder().raw_decode(msg[m.end():])[0]
        query = normalize(plan.get("Query Text", ""))
        top = plan["Plan"]
        acc = {"read": 0, "seqscans": set()}
        walk(top, acc)
        whole = "audit_sample" in query or query.startswith("SELECT ordermgmt.")
        key = (phase, "[whole path, per sample]" if whole else query)
        s = stats.get(key)
        if s is None:
            s = stats[key] = {"calls": 0, "rows": 0, "read": 0, "buffers": 0, "seqscans": set(),
                              "whole": whole}
            order.append(key)
        s["calls"] += 1
        s["rows"] += top.get("Actual Rows", 0) * (top.get("Actual Loops", 1) or 1)
        s["read"] += acc["read"]
        s["buffers"] += top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0)
        s["seqscans"] |= acc["seqscans"]
    for key in order:
        s = stats[key]
        # The whole path runs once for all samples: per sample.
        div = samples if s["whole"] else s["calls"]
        calls = 1 if s["whole"] else s["calls"] / samples
        print("\t".join([key[0], "%.2f" % calls, "%.1f" % (s["rows"] / div),
                         "%.1f" % (s["read"] / div), "%.1f" % (s["buffers"] / div),
                         ",".join(sorted(s["seqscans"])), key[1]]))


def load(path):
    rows = {}
    order = []
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if len(f) < 7:
            continue
        key = (f[0], f[6])
        rows[key] = {"calls": float(f[1]), "rows": float(f[2]), "read": float(f[3]),
                     "buffers": float(f[4]), "seqscans": f[5]}
        order.append(key)
    return rows, order


def ratio(a, b):
    if a == 0:
        return "-" if b == 0 else "new"
    return "%.2f" % (b / a)


def compare(small_path, large_path, label_small, label_large):
    grow = float(os.environ.get("GROW", "1.5"))
    small, order = load(small_path)
    large, order_l = load(large_path)
    for key in order_l:
        if key not in small:
            order.append(key)
    width = int(os.environ.get("SQL_WIDTH", "110"))
    print("| path | calls | rows read %s | rows read %s | ratio | buffers %s | buffers %s | ratio | statement |"
          % (label_small, label_large, label_small, label_large))
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    grown = []
    for key in order:
        a = small.get(key)
        b = large.get(key)
        if a is None or b is None:
            which = label_small if a is None else label_large
            s = a or b
            print("| %s | %.1f | %s | %s | | %s | %s | | only in %s: %s |"
                  % (key[0], s["calls"], "%.0f" % s["read"] if a else "-", "%.0f" % s["read"] if b else "-",
                     "%.0f" % s["buffers"] if a else "-", "%.0f" % s["buffers"] if b else "-",
                     which, key[1][:width]))
            continue
        flag = ""
        if (b["read"] > a["read"] * grow and b["read"] - a["read"] >= 3) or \
           (b["buffers"] > a["buffers"] * grow and b["buffers"] - a["buffers"] >= 3):
            flag = "**GROWS** "
            grown.append(key)
        print("| %s | %.1f | %.1f | %.1f | %s | %.1f | %.1f | %s | %s%s |"
              % (key[0], b["calls"], a["read"], b["read"], ratio(a["read"], b["read"]),
                 a["buffers"], b["buffers"], ratio(a["buffers"], b["buffers"]), flag,
                 key[1][:width].replace("|", "\\|")))
    print()
    print("statements whose rows read or buffers grow by more than %.2fx (and by 3 or more): %d"
          % (grow, len([k for k in grown if not k[1].startswith("[whole")])))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "summary":
        summary(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "compare":
        labels = sys.argv[4:6] if len(sys.argv) >= 6 else ["small", "large"]
        compare(sys.argv[2], sys.argv[3], labels[0], labels[1])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
