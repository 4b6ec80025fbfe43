"""Shared helpers for the ``evflex`` command: one-line errors, atomic file writes, consoles.

Every exception class defined inside the ``evflex`` package describes bad input (each package's base
exception subclasses ``ValueError``), so the CLI prints it as one ``error:`` line and exits 2; anything
else is a bug and keeps its traceback. Files are written to a temporary name and renamed into place, so an
interrupted or failed run never leaves half a file behind.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

__all__ = ["EXIT_BAD_INPUT", "console", "err_console", "fail", "handle_errors", "write_atomic"]

EXIT_BAD_INPUT = 2
console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

P = ParamSpec("P")
R = TypeVar("R")


def fail(message: str) -> typer.Exit:
    """Print ``error: message`` on stderr and return the exit to raise."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # '[live]' is not markup
    return typer.Exit(EXIT_BAD_INPUT)


def _is_evflex_error(exc: BaseException) -> bool:
    return type(exc).__module__.startswith("evflex.") or type(exc).__module__ == "evflex"


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn evflex input errors and file errors into one clear line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except FileNotFoundError as exc:
            raise fail(f"file not found: {exc.filename}; check the path") from None
        except IsADirectoryError as exc:
            raise fail(f"{exc.filename} is a directory; give a file") from None
        except PermissionError as exc:
            raise fail(f"permission denied: {exc.filename}") from None
        except KeyboardInterrupt:
            err_console.print("interrupted: nothing was written")
            raise typer.Exit(130) from None
        except Exception as exc:
            if _is_evflex_error(exc):
                raise fail(str(exc)) from None
            raise

    return wrapper


def write_atomic(path: Path, data: str | bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file in the same directory and an atomic rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
