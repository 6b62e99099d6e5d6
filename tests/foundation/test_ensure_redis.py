"""`make run` / `make test` on a fresh machine: Redis is installed when it can be, else named."""

from __future__ import annotations

import os
import stat

import pytest
from django.core.management import CommandError, call_command


@pytest.fixture
def machine_without_redis(tmp_path, monkeypatch, settings):
    """PATH holds only a recording apt-get; nothing answers at REDIS_URL."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt-get.log"
    apt_get = bin_dir / "apt-get"
    apt_get.write_text(f'#!/bin/sh\necho "$@" >> {log}\n')
    apt_get.chmod(apt_get.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bin_dir))
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    return log


def test_as_root_it_installs_redis_server_with_apt_get(machine_without_redis, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(CommandError):  # the recording apt-get installs nothing
        call_command("ensure_redis", "--install")
    assert machine_without_redis.read_text().splitlines() == ["update -qq", "install -y -qq redis-server"]


def test_without_root_it_says_exactly_what_to_install(machine_without_redis, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(CommandError) as error:
        call_command("ensure_redis", "--install")
    assert "redis-server is not installed" in str(error.value)
    assert "sudo apt-get install redis-server" in str(error.value)
    assert not machine_without_redis.exists()


def test_without_install_it_never_runs_apt_get(machine_without_redis, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    with pytest.raises(CommandError):
        call_command("ensure_redis")
    assert not machine_without_redis.exists()
