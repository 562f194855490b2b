#!/usr/bin/env bash
# Installs everything ctorch needs on Debian 12, idempotently: apt packages, the pinned Python
# venv at .venv, and the tree-sitter C grammar. Fast (a few dpkg queries) when all is present.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config
  libzmq3-dev libjansson-dev libssl-dev uuid-dev
  libtcc-dev tcc libtree-sitter-dev libedit-dev
  libopenblas-openmp-dev libgc-dev libcriterion-dev
  libpng-dev zlib1g-dev libcairo2-dev fonts-dejavu-core
  python3-venv python3-torch python3-numpy
  dataset-fashion-mnist chromium
)
# The C grammar's generated parser comes from its PyPI source release (never committed);
# 0.23.4 is generated for language ABI 14, which Debian 12's tree-sitter 0.20 runtime accepts.
TS_C_VERSION=0.23.4
TS_C_SHA256=9215c7888dd019038f162ea5646178f6e129cd2b49fc506d14becf5e426121d7
TS_C_DIR=build/third_party/tree-sitter-c

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

stamp=.venv/.requirements.sha256
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "deps: creating .venv"
  [ -x .venv/bin/python ] || /usr/bin/python3 -m venv --system-site-packages .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi

if [ ! -f "$TS_C_DIR/src/parser.c" ]; then
  echo "deps: fetching tree-sitter-c $TS_C_VERSION"
  tmp=$(mktemp -d)
  .venv/bin/pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    "tree-sitter-c==$TS_C_VERSION" -d "$tmp"
  echo "$TS_C_SHA256  $tmp/tree_sitter_c-$TS_C_VERSION.tar.gz" | sha256sum -c --quiet
  mkdir -p "$TS_C_DIR"
  tar -xzf "$tmp/tree_sitter_c-$TS_C_VERSION.tar.gz" -C "$TS_C_DIR" --strip-components=1 \
    "tree_sitter_c-$TS_C_VERSION/src" "tree_sitter_c-$TS_C_VERSION/LICENSE"
  rm -rf "$tmp"
fi
