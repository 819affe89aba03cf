#!/usr/bin/env bash
# Installs the benchmarks' anchors: Debian's Python stack and SSH fleet tools, and OpenSSH.
# The npm anchors (piscina, tinypool, async-mutex, p-queue) are devDependencies: `npm ci` brings them.
set -euo pipefail
packages=(python3 python3-paramiko python3-asyncssh pssh pdsh clustershell openssh-server openssh-client)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then echo "bench: anchors present"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "bench: missing ${missing[*]}; install them with:"
  echo "  sudo apt-get install -y ${missing[*]}"
  exit 1
fi
echo "bench: installing ${missing[*]}"
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
