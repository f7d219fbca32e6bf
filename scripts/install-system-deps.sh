#!/usr/bin/env bash
# System packages the project needs: a Java runtime for HermiT (owlready2), and Chromium for the
# browser tests of the Linked Data pages (driven by Playwright with executable_path=/usr/bin/chromium).
# Installs only what is missing; needs root (CI and the dev machines run as root).
set -euo pipefail
missing=()
command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
