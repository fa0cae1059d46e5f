#!/usr/bin/env bash
# Rewrites docs/api/*.txt, the public surface of the library packages, after a deliberate API change.
# tests/Architecture compares the libraries with these files and fails on any difference; it never writes them.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run --project tools/ApiSnapshot -c Release -- "$PWD"
git --no-pager diff --stat -- docs/api
