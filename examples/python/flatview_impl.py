#!/usr/bin/env python3
"""A `flatview` implementation for `verify check --impl exec:...` (docs/protocol.md), stdlib only.

It mirrors three pieces of QEMU's memory core (softmmu/memory.c, now system/memory.c):

  simplify  flatview_simplify() with can_merge()
  diff      address_space_update_topology_pass(), run twice: the delete pass, then the add pass
  replay    listener_add_address_space(), what a listener registered late is told

Addresses are Python ints, so the end of a range at the top of the space (2^64) needs no Int128:
the wire carries inclusive `last` values, which always fit in 64 bits, and `end = last + 1` may be 2^64.
"""

import json
import sys
from dataclasses import dataclass, replace

TOP = 1 << 64  # the end of the 64-bit address space; nothing starts there
HELLO = {"protocol": "dmaverify-impl", "version": 1, "name": "python flatview example", "implements": ["flatview"]}
KINDS = ("ram", "rom-device", "ram-device", "io", "iommu")


@dataclass(frozen=True)
class FlatRange:
    """QEMU's FlatRange: a piece of the address space showing `region` from `offset` on."""

    start: int
    last: int  # inclusive, so the whole space is [0x0, 0xffffffffffffffff]
    region: str  # stands for QEMU's `mr` pointer: same name, same MemoryRegion
    kind: str
    offset: int  # offset_in_region of `start`
    readonly: bool
    nonvolatile: bool
    romd: bool
    dirty: int  # dirty_log_mask
    unmergeable: bool
    priority: int  # informational only: it decides nothing below

    @property
    def size(self):
        return self.last - self.start + 1  # up to 2^64, which is why QEMU's addr.size is an Int128


# --- the three operations -------------------------------------------------------------------------------------------

def can_merge(r1, r2):
    """QEMU's can_merge(r1, r2), r1 directly below r2."""
    return (r1.last + 1 == r2.start  # adjacent (a range ending at 2^64 has no upper neighbour)
            and r1.region == r2.region and r1.kind == r2.kind
            and r1.offset + r1.size == r2.offset  # contiguous in the region too, not only in the address space
            and r1.dirty == r2.dirty
            and r1.romd == r2.romd
            and r1.readonly == r2.readonly
            and r1.nonvolatile == r2.nonvolatile
            and not r1.unmergeable and not r2.unmergeable)


def simplify(view):
    """flatview_simplify(): one pass, growing the range at i while its successor can merge into it."""
    out = []
    for r in view:
        if out and can_merge(out[-1], r):
            # QEMU adds r's size to ranges[i]; the start, offset and attributes stay those of the first range.
            out[-1] = replace(out[-1], last=r.last)
        else:
            out.append(r)
    return out


def flatrange_equal(a, b):
    """QEMU's flatrange_equal(): the dirty mask is deliberately not compared, so a mask change is a nop plus
    log_start/log_stop rather than a delete and add. unmergeable is compared, as docs/semantics.md 2.2 says."""
    return (a.region == b.region and a.kind == b.kind
            and a.start == b.start and a.last == b.last
            and a.offset == b.offset
            and a.romd == b.romd and a.readonly == b.readonly and a.nonvolatile == b.nonvolatile
            and a.unmergeable == b.unmergeable)


def update_topology_pass(old, new, adding):
    """address_space_update_topology_pass(): a merge-walk over two sorted views. The walk is the same in both
    passes; only what it reports differs (deletes when not adding; nops, log changes and adds when adding)."""
    events = []
    iold = inew = 0
    while iold < len(old) or inew < len(new):
        frold = old[iold] if iold < len(old) else None
        frnew = new[inew] if inew < len(new) else None
        if frold is not None and (frnew is None or frold.start < frnew.start
                                  or (frold.start == frnew.start and not flatrange_equal(frold, frnew))):
            # In the old view but not the new one (or changed in place, which has no "modify" callback).
            if not adding:
                events.append(event("region_del", frold))
            iold += 1
        elif frold is not None and flatrange_equal(frold, frnew):
            # In both: the listener keeps it; the add pass tells it about dirty-logging clients that came or went.
            if adding:
                events.append(event("region_nop", frnew))
                if frnew.dirty & ~frold.dirty:
                    events.append(event("log_start", frnew, frold.dirty, frnew.dirty))
                if frold.dirty & ~frnew.dirty:
                    events.append(event("log_stop", frnew, frold.dirty, frnew.dirty))
            iold += 1
            inew += 1
        else:
            # In the new view only.
            if adding:
                events.append(event("region_add", frnew))
            inew += 1
    return events


def diff(old, new):
    """address_space_update_topology(): the delete pass over every listener, then the add pass, so no add
    precedes a delete (a listener never sees two overlapping live sections)."""
    return update_topology_pass(old, new, adding=False) + update_topology_pass(old, new, adding=True)


def replay(view):
    """listener_add_address_space(): a region_add per range of the current view.

    QEMU also follows the add of a logged range with log_start(0, mask); the harness's flatview interface
    asks for exactly the diff from the empty view (docs/semantics.md 2.3, TD-05), which has no log events,
    so none are sent here."""
    return [event("region_add", r) for r in view]


# --- the wire format ------------------------------------------------------------------------------------------------

def parse_hex(value, what):
    # Strict: int(..., 16) alone would also accept "0x1_000", " 0x10" and negative numbers.
    if not isinstance(value, str) or value[:2] not in ("0x", "0X") or len(value) < 3 \
            or any(c not in "0123456789abcdefABCDEF" for c in value[2:]):
        raise ValueError(f"{what}: expected a 0x-prefixed hex string, got {value!r}")
    n = int(value[2:], 16)
    if n >= TOP:
        raise ValueError(f"{what}: {value} does not fit in 64 bits")
    return n


def typed(s, name, kind):
    value = s[name]
    # bool is a subclass of int in Python: keep true/false out of the integer fields.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ValueError(f"section field {name}: expected {kind.__name__}, got {value!r}")
    return value


def parse_section(s):
    if not isinstance(s, dict):
        raise ValueError(f"a section must be an object, got {s!r}")
    r = FlatRange(start=parse_hex(s["start"], "start"), last=parse_hex(s["last"], "last"),
                  region=typed(s, "region", str), kind=typed(s, "kind", str),
                  offset=parse_hex(s["offset"], "offset"),
                  readonly=typed(s, "readonly", bool), nonvolatile=typed(s, "nonvolatile", bool),
                  romd=typed(s, "romd", bool), dirty=typed(s, "dirty", int),
                  unmergeable=typed(s, "unmergeable", bool), priority=typed(s, "priority", int))
    if r.last < r.start:
        raise ValueError(f"section {s['start']}..{s['last']} is empty or reversed")
    if r.kind not in KINDS:
        raise ValueError(f"section kind {r.kind!r} is none of {', '.join(KINDS)}")
    return r


def parse_view(views):
    if not isinstance(views, list):
        raise ValueError("a view must be an array of sections")
    view = [parse_section(s) for s in views]
    for a, b in zip(view, view[1:]):
        if b.start <= a.last:  # sorted by start and pairwise disjoint
            raise ValueError(f"view is not sorted and disjoint at {hex(a.start)} / {hex(b.start)}")
    return view


def section_json(r):
    return {"start": hex(r.start), "last": hex(r.last), "region": r.region, "kind": r.kind, "offset": hex(r.offset),
            "readonly": r.readonly, "nonvolatile": r.nonvolatile, "romd": r.romd, "dirty": r.dirty,
            "unmergeable": r.unmergeable, "priority": r.priority}


def event(name, r, old_mask=None, new_mask=None):
    e = {"event": name, "section": section_json(r)}
    if old_mask is not None:
        e["old"], e["new"] = old_mask, new_mask
    return e


def serve(req):
    """The answer to one request, without its id."""
    call = req.get("call")
    if call in ("reset", "shutdown"):
        return {}  # this implementation keeps no state between requests
    if call == "simplify":
        return {"view": [section_json(r) for r in simplify(parse_view(req["view"]))]}
    if call == "diff":
        return {"events": diff(parse_view(req["old"]), parse_view(req["new"]))}
    if call == "replay":
        return {"events": replay(parse_view(req["view"]))}
    return {"error": f"unknown call {call!r}: this child implements only flatview"}


def send(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")
    sys.stdout.flush()  # verify waits for each answer before it sends the next request


def main():
    send(HELLO)  # first, before reading anything
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            req = json.loads(line)
        except ValueError as e:
            send({"id": None, "error": f"not JSON: {e}"})
            continue
        if not isinstance(req, dict):
            send({"id": None, "error": "a request must be a JSON object"})
            continue
        try:
            answer = serve(req)
        except KeyError as e:
            answer = {"error": f"missing field {e}"}
        except (TypeError, ValueError) as e:
            answer = {"error": str(e)}
        send({"id": req.get("id"), **answer})
        if req.get("call") == "shutdown":
            return 0
    return 0  # stdin closed


if __name__ == "__main__":
    sys.exit(main())
