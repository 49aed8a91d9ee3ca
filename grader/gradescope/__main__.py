"""`python -m grader.gradescope build|run`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from grader.rubric.model import DEFAULT_RUBRIC


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Gradescope autograder: build the upload zip, or grade inside the image."""


@main.command()
@click.option("--rubric", "rubric_path", type=click.Path(path_type=Path, exists=True),
              default=DEFAULT_RUBRIC, show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=Path("autograder.zip"),
              show_default=True)
def build(rubric_path: Path, out: Path) -> None:
    """Write the autograder zip (setup.sh and run_autograder at its root)."""
    from grader.gradescope.build import build_zip
    from grader.rubric.model import RubricError

    try:
        names = build_zip(rubric_path, out)
    except (RubricError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{out}: {len(names)} files, {out.stat().st_size // 1024} KiB")


@main.command()
@click.option("--root", type=click.Path(path_type=Path), default=None,
              help="The /autograder folder (default: $GRADESCOPE_ROOT or /autograder).")
def run(root: Optional[Path]) -> None:
    """Grade ROOT/submission into ROOT/results/results.json (always written)."""
    from grader.gradescope.run import run_autograder

    run_autograder(root)


if __name__ == "__main__":
    main()
