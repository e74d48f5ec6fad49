"""`qa service`: the systemd unit for `qa serve`, checked by systemd's own parser (`systemd-analyze
verify`); systemd does not run on the test machine, so the unit is verified, not started."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from qa.systemd import UnitOptions, env_text, install, unit_text

QA = str(Path(sys.executable).with_name("qa"))


def _verify(unit: Path) -> subprocess.CompletedProcess:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is absent (Debian: apt-get install systemd; scripts/test.sh does it as root)")
    return subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)


def test_the_unit_passes_systemd_analyze_verify(tmp_path):
    out = subprocess.run([sys.executable, "-m", "qa", "service", "unit"], capture_output=True, text=True, check=True)
    unit = tmp_path / "qa.service"
    unit.write_text(out.stdout, encoding="utf-8")
    r = _verify(unit)
    assert r.returncode == 0 and not r.stderr.strip(), r.stderr
    text = out.stdout
    assert f"ExecStart={QA} serve" in text and "User=qa" in text and "Restart=on-failure" in text
    assert "EnvironmentFile=-/etc/qa/qa.env" in text and "StandardOutput=journal" in text
    assert "Environment=QA_DATA_DIR=/var/lib/qa" in text and "StateDirectory=qa" in text


@pytest.mark.parametrize(
    "broken, complaint",
    [
        (("Restart=on-failure", "Restart=sometimes"), "restart specifier"),
        (("User=qa", "Usr=qa"), "Unknown key"),
        ((f"ExecStart={QA} serve", "ExecStart=/nonexistent/qa serve"), "not executable"),
    ],
)
def test_verify_catches_a_broken_unit(tmp_path, broken, complaint):
    unit = tmp_path / "qa.service"
    unit.write_text(unit_text(UnitOptions(QA)).replace(*broken), encoding="utf-8")
    r = _verify(unit)
    assert r.returncode != 0 or r.stderr.strip()
    assert complaint in r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="install writes as root")
def test_install_writes_the_unit_and_a_private_settings_file_kept_on_upgrade(tmp_path):
    env_file = tmp_path / "etc-qa" / "qa.env"
    opts = UnitOptions(QA, user="nobody", env_file=str(env_file))  # an existing user: no useradd here
    said = install(opts, unit_dir=tmp_path)
    assert (tmp_path / "qa.service").read_text(encoding="utf-8") == unit_text(opts)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600 and env_file.read_text(encoding="utf-8") == env_text()
    assert any("mode 600" in line for line in said)
    env_file.write_text("QA_ADMIN_TOKEN=secret\n", encoding="utf-8")
    env_file.chmod(0o644)
    said = install(opts, unit_dir=tmp_path)  # an upgrade: the settings stay, the mode is put right
    assert env_file.read_text(encoding="utf-8") == "QA_ADMIN_TOKEN=secret\n"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600 and any("kept" in line for line in said)
