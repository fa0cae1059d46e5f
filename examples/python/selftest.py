#!/usr/bin/env python3
"""Quick self-test of flatview_impl.py (stdlib only): runs it as a child over the protocol, checks hand-worked
answers, then applies twin.patch to a temporary copy and shows that the twin fails at least one case.

    python3 examples/python/selftest.py          # exit 0: impl passes every case and the twin is caught
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
IMPL = os.path.join(HERE, "flatview_impl.py")
PATCH = os.path.join(HERE, "twin.patch")
TOP_LAST = "0xffffffffffffffff"


def sec(start, last, region="pc.ram", offset=None, kind="ram", dirty=0, readonly=False, romd=True,
        unmergeable=False, priority=0):
    """A section with QEMU's usual defaults; the offset defaults to the start (RAM mapped 1:1)."""
    return {"start": start, "last": last, "region": region, "kind": kind, "offset": offset or start,
            "readonly": readonly, "nonvolatile": False, "romd": romd, "dirty": dirty,
            "unmergeable": unmergeable, "priority": priority}


def ev(name, section, **masks):
    return {"event": name, "section": section, **masks}


# (name, request without id, expected answer without id); every answer is worked out by hand.
CASES = [
    ("reset", {"call": "reset"}, {}),
    ("simplify: three contiguous pieces of pc.ram become one; the i/o range after them stays",
     {"call": "simplify", "view": [sec("0x0", "0x9ffff"), sec("0xA0000", "0xbffff"), sec("0xc0000", "0xfffff"),
                                   sec("0x100000", "0x100fff", region="ioapic", kind="io", offset="0x0")]},
     {"view": [sec("0x0", "0xfffff"), sec("0x100000", "0x100fff", region="ioapic", kind="io", offset="0x0")]}),
    ("simplify: adjacent pieces of one region at non-contiguous offsets (0x0+0x1000 != 0x5000) do not merge",
     {"call": "simplify", "view": [sec("0x0", "0xfff", offset="0x0"), sec("0x1000", "0x1fff", offset="0x5000")]},
     {"view": [sec("0x0", "0xfff", offset="0x0"), sec("0x1000", "0x1fff", offset="0x5000")]}),
    ("simplify: the dirty mask and unmergeable keep neighbours apart",
     {"call": "simplify", "view": [sec("0x0", "0xfff"), sec("0x1000", "0x1fff", dirty=4),
                                   sec("0x2000", "0x2fff", dirty=4, unmergeable=True)]},
     {"view": [sec("0x0", "0xfff"), sec("0x1000", "0x1fff", dirty=4),
               sec("0x2000", "0x2fff", dirty=4, unmergeable=True)]}),
    ("simplify: the two top pages of the 2^64 space merge into one range ending at 0xffffffffffffffff",
     {"call": "simplify", "view": [sec("0xffffffffffffe000", "0xffffffffffffefff", region="bar", offset="0x0"),
                                   sec("0xfffffffffffff000", TOP_LAST, region="bar", offset="0x1000")]},
     {"view": [sec("0xffffffffffffe000", TOP_LAST, region="bar", offset="0x0")]}),
    ("diff: migration starts logging pc.ram (dirty 0 -> 4): region_nop then log_start, no del/add",
     {"call": "diff", "old": [sec("0x0", "0x7fffffff")], "new": [sec("0x0", "0x7fffffff", dirty=4)]},
     {"events": [ev("region_nop", sec("0x0", "0x7fffffff", dirty=4)),
                 ev("log_start", sec("0x0", "0x7fffffff", dirty=4), old=0, new=4)]}),
    ("diff: dirty 1 -> 2 both gains and loses a client: nop, log_start, log_stop",
     {"call": "diff", "old": [sec("0xa0000", "0xbffff", region="vga.vram", offset="0x0", dirty=1)],
      "new": [sec("0xa0000", "0xbffff", region="vga.vram", offset="0x0", dirty=2)]},
     {"events": [ev("region_nop", sec("0xa0000", "0xbffff", region="vga.vram", offset="0x0", dirty=2)),
                 ev("log_start", sec("0xa0000", "0xbffff", region="vga.vram", offset="0x0", dirty=2), old=1, new=2),
                 ev("log_stop", sec("0xa0000", "0xbffff", region="vga.vram", offset="0x0", dirty=2), old=1, new=2)]}),
    ("diff: A + B -> A' is del A, del B, add A'; the untouched range at the top of 2^64 is a nop",
     {"call": "diff",
      "old": [sec("0x0", "0x1fff"), sec("0x2000", "0x3fff", readonly=True),
              sec("0xfffffffffffff000", TOP_LAST, region="top", offset="0x0")],
      "new": [sec("0x0", "0x3fff"), sec("0xfffffffffffff000", TOP_LAST, region="top", offset="0x0")]},
     {"events": [ev("region_del", sec("0x0", "0x1fff")), ev("region_del", sec("0x2000", "0x3fff", readonly=True)),
                 ev("region_add", sec("0x0", "0x3fff")),
                 ev("region_nop", sec("0xfffffffffffff000", TOP_LAST, region="top", offset="0x0"))]}),
    ("diff: a read-only flip in place is del then add (no modify callback)",
     {"call": "diff", "old": [sec("0xe0000", "0xfffff", region="pc.bios", offset="0x0")],
      "new": [sec("0xe0000", "0xfffff", region="pc.bios", offset="0x0", readonly=True)]},
     {"events": [ev("region_del", sec("0xe0000", "0xfffff", region="pc.bios", offset="0x0")),
                 ev("region_add", sec("0xe0000", "0xfffff", region="pc.bios", offset="0x0", readonly=True))]}),
    ("replay: one region_add per range, the whole-2^64 iommu range included",
     {"call": "replay", "view": [sec("0x0", TOP_LAST, region="vtd-iommu", kind="iommu", offset="0x0")]},
     {"events": [ev("region_add", sec("0x0", TOP_LAST, region="vtd-iommu", kind="iommu", offset="0x0"))]}),
    ("replay: two ranges in address order",
     {"call": "replay", "view": [sec("0x0", "0x9ffff"), sec("0x100000", "0x7fffffff", dirty=4)]},
     {"events": [ev("region_add", sec("0x0", "0x9ffff")), ev("region_add", sec("0x100000", "0x7fffffff", dirty=4))]}),
]


def run(impl):
    """Runs every case against `impl`; returns the names of the cases that failed (an exception if the child
    breaks the protocol itself)."""
    child = subprocess.Popen([sys.executable, impl], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    failed = []
    try:
        hello = json.loads(child.stdout.readline())
        want = {"protocol": "dmaverify-impl", "version": 1, "name": "python flatview example",
                "implements": ["flatview"]}
        if hello != want:
            failed.append("hello")
            print(f"  FAIL hello: {hello}")

        def ask(n, request):
            child.stdin.write(json.dumps({"id": n, **request}) + "\n")
            child.stdin.flush()
            return json.loads(child.stdout.readline())

        n = 0
        for name, request, expected in CASES:
            n += 1
            got = ask(n, request)
            if got == {"id": n, **expected}:
                print(f"  ok   {name}")
            else:
                failed.append(name)
                print(f"  FAIL {name}\n       expected {json.dumps({'id': n, **expected})}\n       got      {json.dumps(got)}")

        # An unknown call is answered with an error, and the child goes on serving.
        n += 1
        got = ask(n, {"call": "map_pages"})
        ok = got.get("id") == n and isinstance(got.get("error"), str)
        print(f"  {'ok  ' if ok else 'FAIL'} unknown call answers an error: {json.dumps(got)}")
        if not ok:
            failed.append("unknown call")

        n += 1
        got = ask(n, {"call": "shutdown"})
        child.stdin.close()
        rc = child.wait(timeout=10)
        ok = got == {"id": n} and rc == 0
        print(f"  {'ok  ' if ok else 'FAIL'} shutdown answers and exits 0 (answer {json.dumps(got)}, exit {rc})")
        if not ok:
            failed.append("shutdown")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return failed


def main():
    print(f"flatview_impl.py ({IMPL}):")
    failed = run(IMPL)
    if failed:
        print(f"FAILED: {len(failed)} case(s)")
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(IMPL, tmp)
        with open(PATCH) as patch:
            subprocess.run(["patch", "--quiet", "-d", tmp, "-p1"], stdin=patch, check=True)
        print("twin (twin.patch applied to a temporary copy):")
        twin_failed = run(os.path.join(tmp, "flatview_impl.py"))
    if not twin_failed:
        print("FAILED: the twin passes every case, so the cases do not catch the offset bug")
        return 1
    print(f"PASSED: flatview_impl.py passes every case; the twin fails {len(twin_failed)} (as it should)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
