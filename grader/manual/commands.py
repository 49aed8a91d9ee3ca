"""`grade manual users ...`: the TA accounts the app asks for when it is on the network,
and the command group that puts them beside `grade manual REPORTS` (which serves)."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import click


class ManualGroup(click.Group):
    """`grade manual REPORTS ...` serves (the `serve` command); `grade manual users ...`
    manages accounts."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        sub = args and args[0] in self.commands and not os.path.isdir(args[0])
        if args and not sub and args[0] not in ("-h", "--help"):
            args = ["serve", *args]
        return super().parse_args(ctx, args)


def _accounts(reports: Optional[Path]):  # noqa: ANN202 - Accounts, imported late
    from grader.classroom.records import report_folders
    from grader.manual.accounts import Accounts
    from grader.written.store import DB_NAME

    folder = (reports or Path.cwd()).resolve()
    if not (folder / DB_NAME).is_file() and not report_folders(folder):
        click.echo(f"grade: {folder} holds no reports (folders with results.json): give "
                   "--reports, the folder `grade manual` serves", err=True)
        sys.exit(2)
    accounts = Accounts(folder / DB_NAME)
    accounts.ensure()
    return accounts


REPORTS = click.option("--reports", type=click.Path(path_type=Path, exists=True,
                                                    file_okay=False),
                       help="The reports folder the app serves (default: this folder).")


@click.group("users")
def users() -> None:
    """TA accounts, needed when the app is served beyond this machine (--host)."""


@users.command("add")
@click.argument("name")
@REPORTS
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
def add(name: str, reports: Optional[Path], password_stdin: bool) -> None:
    """Create the account NAME (or set its password), asking for the password. Its
    sessions end."""
    from grader.manual.accounts import AccountError

    accounts = _accounts(reports)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        name = accounts.add(name, password)
    except AccountError as exc:
        click.echo(f"grade: {exc}", err=True)
        sys.exit(2)
    click.echo(f"account {name}: ready (password stored as a salted scrypt hash)")


@users.command("list")
@REPORTS
def list_(reports: Optional[Path]) -> None:
    """The accounts, when each was created, and their open sessions."""
    import time

    for a in _accounts(reports).list():
        created = time.strftime("%Y-%m-%d %H:%M", time.localtime(a.created))
        click.echo(f"{a.name}\tcreated {created}\t{a.sessions} open sessions")


@users.command("remove")
@click.argument("name")
@REPORTS
def remove(name: str, reports: Optional[Path]) -> None:
    """Delete the account NAME and end its sessions (its grades stay, under its name)."""
    if not _accounts(reports).remove(name):
        click.echo(f"grade: no account {name!r}", err=True)
        sys.exit(2)
    click.echo(f"account {name}: removed")
