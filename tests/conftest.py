"""Fixtures for the deployment tests: the repository's files, parsed."""

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# The virtualenv's bin: check-jsonschema, gunicorn and python for subprocesses.
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str
    arguments: str


def parse_dockerfile(text: str) -> list[Instruction]:
    """Return the instructions of a Dockerfile, without comments."""
    instructions: list[Instruction] = []
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not logical):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, arguments = logical.partition(" ")
        instructions.append(Instruction(keyword.upper(), arguments.strip()))
        logical = ""
    return instructions


def read_yaml(relative: str) -> Any:
    return yaml.safe_load((ROOT / relative).read_text())


def make_targets(script: str) -> set[str]:
    """Return the make targets that a shell script (or a step's run) invokes."""
    return set(re.findall(r"\bmake\s+([a-z][a-z-]*)", script))


@pytest.fixture(scope="session")
def dockerfile() -> list[Instruction]:
    return parse_dockerfile((ROOT / "Dockerfile").read_text())


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return read_yaml("docker-compose.yml")


@pytest.fixture(scope="session")
def web_startup_script(compose: dict[str, Any]) -> str:
    """Return the web service's start-up shell script, as sh will run it."""
    command = compose["services"]["web"]["command"]
    assert command[:2] == ["sh", "-c"], command
    # Compose unescapes $$ to a literal $ before the shell sees the script.
    return str(command[2]).replace("$$", "$")
