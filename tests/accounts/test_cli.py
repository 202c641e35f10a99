"""`cargame users create|set-role|list` against the configured database."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from cargame import cli
from cargame.accounts.cli import add_users_parser
from cargame.config import Config


def _run(config: Config, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="cargame")
    add_users_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["users", *argv])
    return args.handler(args, config)


def test_create_set_role_and_list(
    config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a long admin passphrase\n"))
    assert _run(config, "create", "Root", "--role", "admin", "--password-stdin") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("another fine passphrase\n"))
    assert _run(config, "create", "ann", "--password-stdin") == 0
    assert _run(config, "set-role", "ann", "analyst") == 0
    capsys.readouterr()
    assert _run(config, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("\t")[:2] for line in lines] == [["ann", "analyst"], ["root", "admin"]]


def test_operator_mistakes_are_reported_without_a_traceback(
    config: Config, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert _run(config, "create", "bob", "--password-stdin") == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert _run(config, "set-role", "nobody", "admin") == 1
    assert "no user 'nobody'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough one\n"))
    assert _run(config, "create", "bob", "--password-stdin") == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a long enough one\n"))
    assert _run(config, "create", "BOB", "--password-stdin") == 1
    assert "taken" in capsys.readouterr().err


def test_the_cargame_command_has_the_users_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CARGAME_PATHS_VAR", str(tmp_path / "var"))
    monkeypatch.setenv("CARGAME_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    with pytest.raises(SystemExit) as help_exit:
        cli.main(["users", "--help"])
    assert help_exit.value.code == 0
    usage = capsys.readouterr().out
    assert all(action in usage for action in ("create", "set-role", "list")), usage
    monkeypatch.setattr("sys.stdin", io.StringIO("a long analyst passphrase\n"))
    assert cli.main(["users", "create", "Ann", "--role", "analyst", "--password-stdin"]) == 0
    assert cli.main(["users", "set-role", "ann", "admin"]) == 0
    capsys.readouterr()
    assert cli.main(["users", "list"]) == 0
    assert [line.split("\t")[:2] for line in capsys.readouterr().out.splitlines()] == [
        ["ann", "admin"]
    ]
    assert (tmp_path / "cli.db").is_file() and not (tmp_path / "var").exists()
