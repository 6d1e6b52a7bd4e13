"""Production settings and the `dure` command, exercised in real subprocesses."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

DURE = [sys.executable, "-m", "dure"]


def run_dure(*args: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DURE_TESTING")
    }
    environment.update({"DURE_VAR_DIR": str(tmp_path / "var"), **env})
    # A guard against a hung command, not a speed check: a full migrate takes 15–20 s on an
    # idle 2-core machine and several times that when the machine is busy.
    return subprocess.run(  # noqa: S603 - our own CLI with fixed arguments
        [*DURE, *args], capture_output=True, text=True, env=environment, timeout=600, check=False
    )


def test_production_settings_refuse_to_start_without_a_real_secret_key(tmp_path):
    result = run_dure("check", tmp_path=tmp_path, DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_settings_refuse_a_short_secret_key(tmp_path):
    result = run_dure("check", tmp_path=tmp_path, DEBUG="false", SECRET_KEY="too-short")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_dure(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="dure.example.kr",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_dure_command_accepts_hyphenated_command_names(tmp_path):
    result = run_dure("load-reference", "--help", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "기준 정보" in result.stdout


def test_demo_loader_refuses_to_run_in_production(tmp_path):
    result = run_dure(
        "load-demo", tmp_path=tmp_path, DEBUG="false", SECRET_KEY=secrets.token_urlsafe(64)
    )
    assert result.returncode != 0
    assert "development only" in result.stderr


def test_default_database_is_sqlite_in_wal_mode_under_var(tmp_path):
    import sqlite3

    result = run_dure("migrate", "--noinput", "-v", "0", tmp_path=tmp_path, DATABASE_URL="")
    assert result.returncode == 0, result.stderr
    database = tmp_path / "var" / "dure.sqlite3"
    assert database.exists()
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"directory_organisation", "search_fts", "core_auditevent"} <= tables


def test_only_the_test_suite_hashes_passwords_with_the_fast_hasher(tmp_path, settings):
    show = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    result = run_dure("shell", "-c", show, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
