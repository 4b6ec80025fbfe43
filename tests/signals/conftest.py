"""Shared fixtures for the signals tests: hand-made fixture files and, when present, the real shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "signals"


def shared_data_dir() -> Path | None:
    """``$EVFLEX_SHARED_DATA`` or ``<repo>/../shared/data``; ``None`` when neither exists."""
    env = os.environ.get("EVFLEX_SHARED_DATA")
    folder = Path(env) if env else Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
    return folder.resolve() if folder.is_dir() else None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    folder = shared_data_dir()
    if folder is None:
        pytest.skip("real data not found: set EVFLEX_SHARED_DATA or place it in ../shared/data")
    return folder


def need(folder: Path, pattern: str) -> None:
    if not any(folder.glob(pattern)):
        pytest.skip(f"no {pattern} in {folder}")
