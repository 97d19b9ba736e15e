"""Fixtures for the passes/ library tests; plain helpers live in helpers.py."""

from __future__ import annotations

import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # when pytest runs without ``python -m`` from the repo root
    sys.path.insert(0, str(ROOT))

from passes.apple import PassSigner, StoreCardSpec  # noqa: E402
from tests.passes.helpers import example_signer, load_generator, make_spec  # noqa: E402


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """certs/example/generate.py, to mint chains the way the example one was made."""
    return load_generator()


@pytest.fixture(scope="session")
def signer() -> PassSigner:
    return example_signer()


@pytest.fixture
def spec() -> StoreCardSpec:
    return make_spec()
