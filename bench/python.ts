/**
 * The Python every benchmark compares against: Debian's `python3` (the one `bench/install-anchors.sh`
 * installs, with python3-paramiko and python3-asyncssh beside it), not whichever `python3` comes
 * first on PATH. A pyenv or venv interpreter there is a different build: on this project's machine
 * pyenv's 3.11.7 spawned processes a third slower than Debian's 3.11.2, which flattered shoal.
 */
import { existsSync } from "node:fs";

export const PYTHON = "/usr/bin/python3";

if (!existsSync(PYTHON)) {
  console.error(`bench: ${PYTHON} (Debian's python3) is missing; install the anchors with: bash bench/install-anchors.sh`);
  process.exit(1);
}
