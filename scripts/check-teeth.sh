#!/usr/bin/env bash
# Shows that each property can fail: applies one deliberate break to the model, runs the property that
# should catch it, expects a failure, and restores the file. Prints one row per break; exits non-zero if a
# break went unnoticed. Not part of CI (it rebuilds once per break); run it after changing a property.
# What CI covers: tests/Properties/BrokenVariantTests.cs runs every variant in src/Harness/Variants (broken
# re-implementations plugged into the suites at run time, no source edits) at the default budget and asserts each is
# caught and shrinks to a handful of steps; add a variant there (one line in BrokenVariants.All) rather than a row
# here. This script stays for breaks inside the library that no variant reaches (validation, listener order,
# the naive listener, the entry limit). scripts/loop-demo.sh shows one break going through check --save and replay.
set -uo pipefail
cd "$(dirname "$0")/.."

# Optional argument: run only the breaks whose property filter contains it (e.g. DL, FV_01).
only="${1:-}"
missed=0
check() {
  local file="$1" from="$2" to="$3" filter="$4" what="$5"
  if [ -n "$only" ] && [[ "$filter" != *"$only"* ]]; then return; fi
  cp "$file" /tmp/teeth.bak
  if ! grep -qF -- "$from" "$file"; then echo "SETUP  $what: pattern not found in $file"; missed=1; return; fi
  python3 - "$file" "$from" "$to" <<'PY'
import sys
p, a, b = sys.argv[1:]
s = open(p).read()
open(p, "w").write(s.replace(a, b, 1))
PY
  local caught=0
  for attempt in 1 2 3; do
    if ! dotnet test tests/Properties --filter "DisplayName~$filter" >/tmp/teeth.log 2>&1; then caught=1; break; fi
  done
  cp /tmp/teeth.bak "$file"
  # A break that does not compile fails the run too, without any property having caught anything.
  if grep -qE ': error [A-Z]+[0-9]+' /tmp/teeth.log; then
    printf 'BUILD   %-55s does not compile; fix the row\n' "$what"; missed=1; return
  fi
  if [ $caught = 1 ]; then
    printf 'caught  %-55s by %s\n' "$what" "$filter"
  else
    printf 'MISSED  %-55s by %s\n' "$what" "$filter"; missed=1
  fi
}

R=src/MemoryMap/Regions/RegionRenderer.cs
F=src/MemoryMap/Flat/FlatRange.cs
V=src/MemoryMap/Flat/FlatView.cs
D=src/MemoryMap/Topology/TopologyDiff.cs
S=src/MemoryMap/Regions/Subregion.cs
T=src/MemoryMap/Regions/RegionTree.cs

check $S 'return byPriority != 0 ? byPriority : b.Sequence.CompareTo(a.Sequence);' 'return byPriority != 0 ? byPriority : a.Sequence.CompareTo(b.Sequence);' P_FV_01 "priority ties go to the oldest subregion"
check $R 'readOnly |= region.ReadOnly;' 'readOnly = region.ReadOnly;' P_FV_01 "read-only not OR-ed down the path"
check $R 'Visit(region.AliasTarget!, 0, 0, basePoint - region.AliasOffset' 'Visit(region.AliasTarget!, 0, 0, basePoint' P_FV_01 "alias offset ignored"
check $R 'if (!region.Enabled)' 'if (false)' P_FV_01 "disabled regions rendered"
check $T 'RemoveSubregion(child).AddSubregion(_parents[child], child, address, placement.Priority)' 'Update(child, r => r)' P_FV_01 "Move does nothing"
check $V 'if (r.Range.Start < p.Range.End)' 'if (r.Range.Start < p.Range.Start)' P_FV_02 "overlapping ranges accepted"
check $F '& (offsetEnd == r2.OffsetInRegion) & (offsetEnd >= r1.OffsetInRegion)' '& true' P_FV_03 "can_merge forgets the offset check"
check $F '& (r1.ReadOnly == r2.ReadOnly)' '& true' P_FV_03 "can_merge forgets readonly"
check $V 'bits |= (FlatRange.CanMerge(span[k - 1], span[k]) ? 1UL : 0) << bit;' 'bits |= (FlatRange.CanMerge(span[k - 1], span[k]) && (k < 2 || !FlatRange.CanMerge(span[k - 2], span[k - 1])) ? 1UL : 0) << bit;' P_FV_04 "simplify merges only pairs"
check $F '& !(r1.Unmergeable | r2.Unmergeable)' '& !r1.Unmergeable' P_FV_04 "unmergeable right neighbour merged"
check $F '&& a.Unmergeable == b.Unmergeable' '&& a.Unmergeable == b.Unmergeable && a.DirtyLogMask == b.DirtyLogMask' P_TD_02 "flatrange_equal compares the dirty mask"
check $D 'sink.On(new TopologyEvent(TopologyEventKind.LogStop, n, o.DirtyLogMask, n.DirtyLogMask));' '' P_TD_02 "log_stop never sent"
check $D '&& FlatRange.FlatRangeEqual(o, n))' '&& (FlatRange.FlatRangeEqual(o, n) || o.Range.Size == 0x1000))' P_TD_01 "one-page ranges kept whatever changed"
check $D 'private int _nextDelete;
        private int _nextLater = deletes;' 'private int _nextDelete = events.Length - deletes;
        private int _nextLater;' P_TD_03 "adds before deletes"
check src/MemoryMap/Topology/MemoryTopology.cs 'for (int i = _listeners.Length - 1; i >= 0; i--)' 'for (int i = 0; i < _listeners.Length; i++)' P_TD_03 "deletes in forward listener order"
check $D 'events[_nextLater++] = new TopologyEvent(TopologyEventKind.Add, n);' 'events[_nextLater++] = new TopologyEvent(TopologyEventKind.Add, n with { ReadOnly = false });' P_TD_04 "added ranges lose read-only"
check $D '            events.Add(new TopologyEvent(TopologyEventKind.Add, r));' '            if (events.Count < view.Count - 1) events.Add(new TopologyEvent(TopologyEventKind.Add, r));' P_TD_05 "replay skips the last range"

P=src/Vfio/DmaPlanner.cs
C=src/Vfio/CoalescingListener.cs
N=src/Vfio/NaiveVfioListener.cs
check $P '            if (!finished && !AddPieces(fresh, d, AddressRange.FromBounds(cursor, d.Iova.End), options, splitPoints))' '            if (false && !finished && !AddPieces(fresh, d, AddressRange.FromBounds(cursor, d.Iova.End), options, splitPoints))' P_DL_01 "planner forgets the tail of a new mapping"
check $P 'bool bisect = options.Backend.UnmapMayBisect;' 'bool bisect = true;' P_DL_02 "planner bisects under type1 v2"
check $P '        a.Writable == b.Writable
        && unchecked(a.Offset - a.Iova.Start)' '        a.Writable == b.Writable && a.Iova.Start == b.Iova.Start
        && unchecked(a.Offset - a.Iova.Start)' P_DL_03 "listener compares ranges, not translation"
check $P '            bytes += r.Size;' '            bytes += r.Size / 2;' P_DL_04 "plan under-reports its collateral"
check $C '        _histories.Add(container, MappingSet.Simulator(container.Traits with { EntryLimit = int.MaxValue }, []));
        Transaction++;
        return PlanAndApply(container);' '        _histories.Add(container, MappingSet.Simulator(container.Traits with { EntryLimit = int.MaxValue }, []));
        Transaction++;
        return DmaPlan.Empty;' P_DL_05 "hot-plugged container gets no replay"
check $N '                Issue(container, new DmaOperation.Unmap(mapping.Iova));' '                Issue(container, new DmaOperation.Unmap(mapping.Iova.ShiftUp(0)));
                Issue(container, new DmaOperation.Unmap(mapping.Iova));' P_DL_06 "naive listener issues an extra UNMAP per delete"
check $C '        if (!plan.ExceedsEntryLimit)
        {
            Apply(container, history, plan);' '        if (true)
        {
            Apply(container, history, plan);' P_DL_07 "plans over the entry limit are applied"

L=src/IommuModel/Lifecycle/DeviceLifecycle.Table.cs
check $L '        No(Detached, SwitchDomain, Always, NotAttached),' '' P_VI_03 "life-cycle table loses a row"
check $L 'Go(Passthrough, DmaRemappingOff, Always, RemappingOff, PinEffect.Keep,' 'Go(Passthrough, DmaRemappingOff, Always, RemappingOff, PinEffect.Release,' P_VI_03 "remapping off in passthrough drops mdev pins"
check $L '(_, t) => t.NewDomain == t.Domain);' '(_, t) => false);' P_VI_03 "same-domain switch guard never holds"

exit $missed
