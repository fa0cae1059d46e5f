#!/usr/bin/env bash
# The bug-to-regression loop, end to end: break can_merge (it forgets the offset check), let `verify check` find and
# save the shrunk failure, see the saved scenario fail as a regression test and under `verify replay`, restore the
# model, see the same file pass, and delete it. The source is restored and the file deleted even when a step fails,
# so the demo leaves the tree as it found it. Exits non-zero if any step did not behave as described.
set -uo pipefail
cd "$(dirname "$0")/.."
export NO_COLOR=1 TERM=dumb

F=src/MemoryMap/Flat/FlatRange.cs
FROM='            & (offsetEnd == r2.OffsetInRegion) & (offsetEnd >= r1.OffsetInRegion)'
CASES=tests/Regressions/Cases
backup=$(mktemp)
cases_before=$(mktemp)
saved=""
cp "$F" "$backup"
find "$CASES" -type f | sort >"$cases_before"
# Restores the model and deletes every case saved since the start, even one written while the demo was being
# stopped (bash runs this trap only after the running dotnet has finished).
restore() {
  cp "$backup" "$F" && rm -f "$backup"
  find "$CASES" -type f | sort | comm -13 "$cases_before" - | xargs -r rm -f
  find "$CASES" -mindepth 1 -type d -empty -delete
  rm -f "$cases_before"
}
trap restore EXIT
trap 'exit 130' INT TERM

status=0
step() { printf '\n==> %s\n' "$*"; }
expect() { # expect WHAT WANTED ACTUAL
  if [ "$2" = "$3" ]; then echo "ok: $1 (exit $3)"; else echo "UNEXPECTED: $1 (exit $3, wanted $2)"; status=1; fi
}

step "break $F: can_merge forgets the offset check"
if ! grep -qF -- "$FROM" "$F"; then echo "pattern not found in $F; update the demo"; exit 2; fi
python3 - "$F" "$FROM" <<'PY'
import sys
p, a = sys.argv[1:]
s = open(p).read()
open(p, "w").write(s.replace(a + "\n", "", 1))
PY
git --no-pager diff --stat -- "$F"

step "verify check --property FV-03 --save"
out=$(dotnet run --project src/Cli -c Release -- check --property FV-03 --save 2>&1); rc=$?
echo "$out" | grep -E 'FV-03|Falsifiable|broken|address 0x|^range|saved:' | head -20
expect "FV-03 fails on the broken model" 1 "$rc"
saved=$(echo "$out" | sed -n 's/^saved: //p' | head -1)
if [ -z "$saved" ] || [ ! -f "$saved" ]; then echo "no saved scenario"; exit 1; fi
echo "saved scenario: $saved"
name=$(basename "$saved" .json)

step "dotnet test tests/Regressions --filter DisplayName~$name (broken model)"
dotnet test tests/Regressions -c Release --filter "DisplayName~$name" >/tmp/loop-demo-test.log 2>&1; rc=$?
grep -E '^\s+(Passed|Failed) |Failed!|Passed!' /tmp/loop-demo-test.log | head -5
expect "the saved case fails as a regression test" 1 "$rc"

step "verify replay $saved (broken model)"
dotnet run --project src/Cli -c Release -- replay "$saved"; rc=$?
expect "replay reports the broken expectation" 1 "$rc"

step "restore $F"
cp "$backup" "$F"
git --no-pager diff --stat -- "$F"

step "dotnet test tests/Regressions --filter DisplayName~$name (restored model)"
dotnet test tests/Regressions -c Release --filter "DisplayName~$name" >/tmp/loop-demo-test.log 2>&1; rc=$?
grep -E '^\s+(Passed|Failed) |Failed!|Passed!' /tmp/loop-demo-test.log | head -5
expect "the saved case passes on the real model" 0 "$rc"

step "verify replay $saved (restored model)"
dotnet run --project src/Cli -c Release -- replay "$saved" | tail -3; rc=${PIPESTATUS[0]}
expect "replay holds" 0 "$rc"

step "delete $saved"
rm -f "$saved"
git status --short
exit $status
