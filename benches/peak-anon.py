#!/usr/bin/env python3
"""Runs a command and prints the peak anonymous memory (RssAnon) of it and its descendants summed,
sampled from /proc every 5 ms: what the scanner and its git children allocate, without the page
cache of the files and packs they map (which GNU time's peak RSS counts).

Usage: benches/peak-anon.py CMD [ARGS...]  (the command's output is discarded; exit status kept)
"""
import os, subprocess, sys, time


def tree(pid):
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def anon(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak = 0
while child.poll() is None:
    peak = max(peak, sum(anon(p) for p in tree(child.pid)))
    time.sleep(0.005)
print(f"{peak / 1024:.1f}")
sys.exit(child.returncode)
