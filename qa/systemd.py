"""`qa service`: run `qa serve` under systemd on a server (docs/deploy.md).

In:  where qa is installed (this interpreter's venv), the user to run as, the data folder.
Out: a unit file (`qa service unit` prints it) and, with `qa service install` as root, the unit in
/etc/systemd/system, the settings file /etc/qa/qa.env (mode 600: it holds the tokens; never
overwritten, so an upgrade keeps it) and the system user. systemd itself is not needed to write them.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError

__all__ = ["UnitOptions", "unit_text", "env_text", "install"]

SERVICE_DATA_DIR = "/var/lib/qa"  # the service's data_dir: StateDirectory=qa


@dataclass(frozen=True)
class UnitOptions:
    executable: str  # the qa command of the venv qa is installed in
    user: str = "qa"
    env_file: str = "/etc/qa/qa.env"


def default_executable() -> str:
    """The `qa` script of the venv this interpreter runs (its bin/ holds both)."""
    return str(Path(sys.executable).with_name("qa"))


def unit_text(opts: UnitOptions) -> str:
    return f"""# qa: offline question answering over Chinese documents (written by `qa service install`).
# Settings (tokens, port, data_dir): {opts.env_file}; logs: journalctl -u qa
[Unit]
Description=qa question answering server
After=network.target

[Service]
Type=simple
User={opts.user}
Group={opts.user}
# data_dir: indexes, collections, audit log and model cache live in /var/lib/qa, kept across upgrades.
StateDirectory=qa
StateDirectoryMode=0750
CacheDirectory=qa
Environment=QA_DATA_DIR={SERVICE_DATA_DIR}
Environment=XDG_CACHE_HOME=/var/cache/qa
Environment=HOME={SERVICE_DATA_DIR}
# Read by systemd as root before the switch to {opts.user}: the file stays root-only (mode 600).
EnvironmentFile=-{opts.env_file}
ExecStart={opts.executable} serve
Restart=on-failure
RestartSec=5
StandardOutput=journal
StandardError=journal
NoNewPrivileges=yes
PrivateTmp=yes
ProtectSystem=strict
ProtectHome=read-only
ReadWritePaths={SERVICE_DATA_DIR}

[Install]
WantedBy=multi-user.target
"""


def env_text() -> str:
    return f"""# qa settings for the service (QA_<NAME>, see `qa settings`). Mode 600: it holds the tokens.
QA_DATA_DIR={SERVICE_DATA_DIR}
QA_HOST=127.0.0.1
QA_PORT=7860
# Behind a reverse proxy under a sub-path (docs/deploy.md):
#QA_ROOT_PATH=/qa
#QA_READ_TOKEN=
#QA_ADMIN_TOKEN=
#QA_EMBED_ORIGINS=https://portal.example.cn
"""


def install(opts: UnitOptions, unit_dir: Path = Path("/etc/systemd/system")) -> list[str]:
    """Write the unit, the settings file (only when missing) and the user; the lines to print."""
    if os.geteuid() != 0:
        raise InputError("`qa service install` writes to /etc and adds a system user: run it as root (sudo).")
    if not Path(opts.executable).is_file():
        raise InputError(f"{opts.executable} does not exist; pass --executable with the venv's bin/qa.")
    said = []
    try:
        pwd.getpwnam(opts.user)
    except KeyError:
        useradd = shutil.which("useradd")
        if useradd is None:
            raise InputError(f"No user {opts.user!r} and no useradd to create it; create it, then rerun.") from None
        cmd = [useradd, "--system", "--home-dir", SERVICE_DATA_DIR, "--no-create-home"]
        subprocess.run([*cmd, "--shell", "/usr/sbin/nologin", opts.user], check=True)
        said.append(f"created system user {opts.user}")
    unit = unit_dir / "qa.service"
    unit.write_text(unit_text(opts), encoding="utf-8")
    said.append(f"wrote {unit}")
    env = Path(opts.env_file)
    env.parent.mkdir(parents=True, exist_ok=True)
    if not env.exists():
        fd = os.open(env, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(env_text())
        said.append(f"wrote {env} (mode 600)")
    else:
        os.chmod(env, 0o600)
        said.append(f"kept {env} (settings and tokens of the earlier install)")
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
        subprocess.run(["systemctl", "daemon-reload"], check=False)
        said.append("start it: systemctl enable --now qa; logs: journalctl -u qa -f")
    else:
        said.append("systemd is not running here; on the server: systemctl daemon-reload && systemctl enable --now qa")
    return said
