"""Regenerate requirements.lock and requirements-dev.lock from pyproject.toml in a scratch venv."""

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
venv = Path(sys.argv[1])
pip = str(venv / "bin" / "pip")
project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def freeze() -> list[str]:
    return subprocess.run([pip, "freeze"], check=True, capture_output=True, text=True).stdout.splitlines()


subprocess.run([pip, "install", "--quiet", *project["dependencies"]], check=True)
runtime = freeze()
(ROOT / "requirements.lock").write_text(
    "# Runtime dependencies, pinned. Regenerate: make lock\n" + "\n".join(runtime) + "\n"
)
subprocess.run([pip, "install", "--quiet", *project["optional-dependencies"]["dev"]], check=True)
dev = [line for line in freeze() if line not in runtime]
(ROOT / "requirements-dev.lock").write_text(
    "# Development and test dependencies, pinned. Regenerate: make lock\n-r requirements.lock\n"
    + "\n".join(dev)
    + "\n"
)
