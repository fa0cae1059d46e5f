#!/usr/bin/env bash
# Packs `verify` from this clone and installs it as the repository's local tool, so `dotnet verify ...` works here
# (the version in .config/dotnet-tools.json is the one in Directory.Build.props). With --global, installs it on PATH
# as `verify` instead (dotnet tool install -g). The packages land in artifacts/packages.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -1)
dotnet pack src/Cli -c Release -o artifacts/packages --nologo -v quiet
if [[ "${1:-}" == "--global" ]]; then
  dotnet tool update -g DmaVerify.Tool --version "$version" --add-source artifacts/packages
else
  # The manifest pins the version; a repack of the same version must replace the cached one.
  rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/dmaverify.tool/$version"
  dotnet tool restore --add-source artifacts/packages
  echo "installed: run 'dotnet verify --help'"
fi
