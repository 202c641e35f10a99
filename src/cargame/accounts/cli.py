"""`cargame users create|set-role|list`: manage accounts from the command line."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cargame.accounts import migrations, passwords
from cargame.accounts.db import create_db_engine, database_url, session_factory
from cargame.accounts.models import ROLES, User
from cargame.config import Config

Handler = Callable[[argparse.Namespace, Config], int]


class UsersError(Exception):
    """A users command that cannot be carried out; its message is for the operator."""


@contextmanager
def _database(config: Config) -> Iterator[Session]:
    url = database_url(config)
    migrations.upgrade(url)
    engine = create_db_engine(url)
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _read_password(args: argparse.Namespace, username: str) -> str:
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {username}: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise UsersError("the two passwords differ")
    problems = passwords.password_problems(password, username)
    if problems:
        raise UsersError("password too weak: " + " ".join(problems))
    return password


def _create(args: argparse.Namespace, config: Config) -> int:
    username = passwords.normalise_username(args.username)
    problem = passwords.username_problem(username)
    if problem:
        raise UsersError(f"invalid username {username!r}: {problem}")
    password = _read_password(args, username)
    with _database(config) as session:
        password_hash = passwords.hash_password(password)
        session.add(User(username=username, password_hash=password_hash, role=args.role))
        try:
            session.commit()
        except IntegrityError as error:
            raise UsersError(f"username {username!r} is taken") from error
    print(f"created {username} ({args.role})")
    return 0


def _set_role(args: argparse.Namespace, config: Config) -> int:
    username = passwords.normalise_username(args.username)
    with _database(config) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise UsersError(f"no user {username!r}")
        user.role = args.role
        session.commit()
    print(f"{username} is now {args.role}")
    return 0


def _list(args: argparse.Namespace, config: Config) -> int:
    with _database(config) as session:
        for user in session.scalars(select(User).order_by(User.username)):
            print(f"{user.username}\t{user.role}\t{user.created_at:%Y-%m-%d %H:%M} UTC")
    return 0


def _reporting(handler: Handler) -> Handler:
    """Operator mistakes end in one line on stderr and exit status 1, not a traceback."""

    def run(args: argparse.Namespace, config: Config) -> int:
        try:
            return handler(args, config)
        except UsersError as error:
            print(f"cargame users: {error}", file=sys.stderr)
            return 1

    return run


def add_users_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add `users create|set-role|list` to the `cargame` command's subcommands."""
    users = subparsers.add_parser("users", help="create accounts, set roles, list users")
    commands = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    create = commands.add_parser("create", help="create an account (asks for the password)")
    create.add_argument("username")
    create.add_argument("--role", choices=ROLES, default="player")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(handler=_reporting(_create))

    set_role = commands.add_parser("set-role", help="change an account's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=ROLES)
    set_role.set_defaults(handler=_reporting(_set_role))

    listing = commands.add_parser("list", help="list accounts and their roles")
    listing.set_defaults(handler=_reporting(_list))
