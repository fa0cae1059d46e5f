#!/usr/bin/env python3
"""Checks the geometry headless Chromium laid out for `verify diff --html` against the data (tests/Pictures/README.md).

Arguments: the DOM Chromium dumped after load, the same diff as `--json`, and the screenshot. Exits 1 naming the
first rule broken."""
import json
import re
import struct
import sys

EPS = 0.75  # CSS pixels: layout rounds, geometry must not drift further


def fail(message):
    print(f"picture-geometry: {message}", file=sys.stderr)
    sys.exit(1)


dom = open(sys.argv[1], encoding="utf-8").read()
diff = json.load(open(sys.argv[2], encoding="utf-8"))
found = re.search(r'<script type="application/json" id="geometry">(.*?)</script>', dom, re.S)
if not found or not found.group(1).strip():
    fail("the page wrote no geometry: its script did not run")
boxes = json.loads(found.group(1))
for b in boxes:
    b["s"], b["e"] = int(b["start"], 16), int(b["end"], 16)

# One axis: an address lands at one x in every lane, and a higher address never lands further left.
at = {}
for b in boxes:
    for address, x in ((b["s"], b["x"]), (b["e"], b["x"] + b["width"])):
        if b["width"] < 1 and address == b["e"]:
            continue  # a sliver drawn at its minimum width
        if address in at and abs(at[address] - x) > EPS:
            fail(f"address {address:#x} is at x={at[address]:.2f} in one lane and x={x:.2f} in another")
        at.setdefault(address, x)
xs = [at[a] for a in sorted(at)]
if any(later < earlier - EPS for earlier, later in zip(xs, xs[1:])):
    fail("the axis is not monotonic")

# The views: each lane's ranges in address order, adjacent ranges touching, nothing overlapping.
for lane in ("before", "after"):
    ranges = sorted((b for b in boxes if b["lane"] == lane), key=lambda b: b["s"])
    if not ranges:
        fail(f"no '{lane}' ranges drawn")
    for a, b in zip(ranges, ranges[1:]):
        if b["s"] == a["e"] and abs(b["x"] - (a["x"] + a["width"])) > EPS:
            fail(f"{lane}: adjacent ranges {a['start']} and {b['start']} do not touch")
        if b["x"] < a["x"] + a["width"] - EPS:
            fail(f"{lane}: ranges {a['start']} and {b['start']} overlap on screen")
        if abs(b["y"] - a["y"]) > EPS:
            fail(f"{lane}: ranges are not in one band")

# The listeners: one lane per call, in call order, and the windows over the calls that opened and closed them.
for row in diff["listeners"]:
    name = row["listener"]
    calls = sorted((b for b in boxes if b["lane"] == name and b["kind"] in ("map", "unmap")), key=lambda b: int(b["step"]))
    if [int(c["step"]) for c in calls] != list(range(row["ioctls"])):
        fail(f"{name}: {len(calls)} calls drawn for {row['ioctls']} ioctls")
    for c, text in zip(calls, row["operations"]):
        if c["kind"] != ("map" if text.startswith("MAP") else "unmap"):
            fail(f"{name}: call #{c['step']} drawn as {c['kind']} but is '{text}'")
    for a, b in zip(calls, calls[1:]):
        if b["y"] <= a["y"]:
            fail(f"{name}: call #{b['step']} is not below call #{a['step']}")
    windows = [b for b in boxes if b["lane"] == name and b["kind"] == "window"]
    covered = sum(w["e"] - w["s"] for w in windows)
    if covered != row["collateralBytes"]:
        fail(f"{name}: windows cover {covered:#x} bytes, the plan's collateral is {row['collateralBytes']:#x}")
    for w in windows:
        opener = calls[int(w["step"])]
        if opener["kind"] != "unmap" or not (opener["s"] <= w["s"] and w["e"] <= opener["e"]):
            fail(f"{name}: window {w['start']} is not over the UNMAP #{w['step']} that opened it")
        if abs(w["y"] - (opener["y"] - 1)) > 1.5:
            fail(f"{name}: window {w['start']} does not start at the lane of UNMAP #{w['step']}")
        to = int(w["to"])
        if to < len(calls):
            closer = calls[to]
            if closer["kind"] != "map" or not (closer["s"] <= w["s"] and w["e"] <= closer["e"]):
                fail(f"{name}: window {w['start']} is not closed by MAP #{to}")
            if abs((w["y"] + w["height"]) - (closer["y"] - 1)) > 1.5:
                fail(f"{name}: window {w['start']} does not reach the lane of MAP #{to}")

with open(sys.argv[3], "rb") as png:
    head = png.read(24)
if head[:8] != b"\x89PNG\r\n\x1a\n" or struct.unpack(">II", head[16:24]) != (1300, 720):
    fail("the screenshot is not a 1300x720 PNG")
print(f"picture-geometry: {len(boxes)} boxes, {len(diff['listeners'])} listeners checked")
