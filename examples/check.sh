#!/usr/bin/env bash
# Builds every example implementation and its one-line-bug twin, runs the catalogued properties against each
# (examples/README.md), and exits 0 only when every example passes and every twin is caught by the property it
# should be. Run from anywhere after the solution is built (dotnet build Verify.sln -c Release); .ci/run does.
#
#   examples/check.sh            # the default budget (VERIFY_MAX_TEST, 100 cases per property)
#   VERIFY_MAX_TEST=1000 examples/check.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VERIFY_DLL="$ROOT/src/Cli/bin/Release/net10.0/verify.dll"
[ -f "$VERIFY_DLL" ] || { echo "examples/check.sh: $VERIFY_DLL is missing; build first: dotnet build Verify.sln -c Release" >&2; exit 2; }
verify() { dotnet "$VERIFY_DLL" "$@"; }
for tool in gcc make python3 patch; do
  command -v "$tool" >/dev/null || { echo "examples/check.sh: $tool is not installed (.ci/run installs it from the distribution's packages)" >&2; exit 2; }
done

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
say() { printf '%s\n' "$*"; }
bad() { say "FAIL: $*"; failures=$((failures + 1)); }

# The ids of the properties a --json report lists as failed, space-separated.
failed_ids() { python3 -c 'import json,sys; print(" ".join(p["id"] for p in json.load(sys.stdin)["properties"] if p["result"] == "failed"))'; }

# passes NAME IMPL: every property that judges IMPL holds.
passes() {
  local name=$1 impl=$2 code=0
  verify check --impl "$impl" --json > "$WORK/$name.json" 2> "$WORK/$name.err" || code=$?
  if [ "$code" -eq 0 ]; then
    say "ok: $name passes every property that judges it"
  else
    bad "$name: verify check exited $code; failed: $(failed_ids < "$WORK/$name.json" 2>/dev/null || true)"
    cat "$WORK/$name.err" >&2
  fi
}

# caught NAME IMPL SUITE ID...: the twin fails the suite it breaks, and one of the expected properties is among the
# failures (only that suite runs: shrinking through a child is what takes the time).
caught() {
  local name=$1 impl=$2 suite=$3 code=0
  shift 3
  verify check --impl "$impl" --suite "$suite" --json > "$WORK/$name.json" 2> "$WORK/$name.err" || code=$?
  local ids
  ids=$(failed_ids < "$WORK/$name.json" 2>/dev/null || true)
  if [ "$code" -ne 1 ]; then
    bad "$name: expected verify check to exit 1 (a property failed), got $code"
    cat "$WORK/$name.err" >&2
    return
  fi
  for want in "$@"; do
    if [[ " $ids " == *" $want "* ]]; then
      say "ok: $name is caught by $want (failed: $ids)"
      return
    fi
  done
  bad "$name: expected one of $* to fail, failed: $ids"
}

say "== C: a vfio listener and a 4-level page table (examples/c)"
make -s -C examples/c
# The example's own hand-written conversation first: a broken build fails here with a readable transcript.
(cd examples/c && ./smoke.sh > "$WORK/smoke.out" 2>&1) && say "ok: c-example smoke test" || { bad "c-example: smoke.sh failed"; cat "$WORK/smoke.out" >&2; }
C=examples/c/build
passes c-example "exec:$C/dmaverify-example"
caught c-twin-gather "exec:$C/dmaverify-example-twin" PageTables PT-05
caught c-twin-listener "exec:$C/dmaverify-example-twin-listener" DmaListener DL-01 DL-02 DL-04

# A saved failure of the C twin replays red against the twin and green against the correct build.
verify check --impl "exec:$C/dmaverify-example-twin" --property PT-05 --save-dir "$WORK/saved" > "$WORK/save.out" 2>&1 || true
saved=$(find "$WORK/saved" -name '*.json' 2>/dev/null | head -n 1)
if [ -z "$saved" ]; then
  bad "c-twin-gather: --save-dir saved no scenario"; cat "$WORK/save.out" >&2
else
  code=0; verify replay "$saved" --impl "exec:$C/dmaverify-example-twin" > "$WORK/replay.out" 2>&1 || code=$?
  [ "$code" -eq 1 ] && say "ok: the saved PT-05 case replays red against the twin" || { bad "replay against the twin exited $code, expected 1"; cat "$WORK/replay.out" >&2; }
  code=0; verify replay "$saved" --impl "exec:$C/dmaverify-example" > "$WORK/replay-ok.out" 2>&1 || code=$?
  [ "$code" -eq 0 ] && say "ok: the same case replays green against the correct build" || { bad "replay against the correct build exited $code, expected 0"; cat "$WORK/replay-ok.out" >&2; }
fi

say "== Python: simplify and diff (examples/python)"
python3 examples/python/selftest.py > "$WORK/selftest.out" 2>&1 && say "ok: python-example self-test" || { bad "python-example: selftest.py failed"; cat "$WORK/selftest.out" >&2; }
passes python-example "exec:python3 examples/python/flatview_impl.py"
cp examples/python/flatview_impl.py "$WORK/"
patch -s -d "$WORK" -p1 < examples/python/twin.patch
caught python-twin "exec:python3 $WORK/flatview_impl.py" FlatView FV-03 FV-04 FV-01

say "== C#: the same memory-map suites in process (examples/csharp)"
if dotnet test examples/csharp/MyFlatView.Tests.csproj -c Release > "$WORK/cs.out" 2>&1; then
  say "ok: csharp-example passes every property that judges it"
else
  bad "csharp-example: dotnet test failed"; tail -n 40 "$WORK/cs.out" >&2
fi
code=0; dotnet test examples/csharp/MyFlatView.Tests.csproj -c Release -p:Twin=true > "$WORK/cs-twin.out" 2>&1 || code=$?
if [ "$code" -ne 0 ] && grep -q 'Holds(id: "TD-01")' "$WORK/cs-twin.out"; then
  say "ok: csharp-twin is caught by TD-01"
else
  bad "csharp-twin: expected TD-01 to fail (dotnet test exited $code)"; tail -n 40 "$WORK/cs-twin.out" >&2
fi
# Leave the correct build in place for whoever runs the example next.
dotnet build examples/csharp/MyFlatView.Tests.csproj -c Release > /dev/null 2>&1 || true

if [ "$failures" -ne 0 ]; then
  say "examples/check.sh: $failures check(s) failed"
  exit 1
fi
say "examples/check.sh: every example passes and every twin is caught"
