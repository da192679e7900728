"""The LAs this install serves (``config/las.yml``): one nightly DAG each, with its own schedule and recipients."""

from __future__ import annotations

from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator


class Recipients(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    data_quality: tuple[EmailStr, ...] = ()
    failures: tuple[EmailStr, ...] = ()


class LocalAuthority(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[0-9A-Za-z]{1,10}$")
    name: str
    landing: Path | None = None
    schedule: str = "30 2 * * *"
    timezone: str = "Europe/London"
    deadline: time = time(7, 0)
    alerts: Recipients = Recipients()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    def landing_dir(self, landing_root: Path) -> Path:
        return self.landing or landing_root / self.code


def load_las(path: Path) -> list[LocalAuthority]:
    """Read and validate the LA configuration. Errors name the file and the offending entry."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise FileNotFoundError(f"LA configuration not found: {path}") from None
    las = []
    for index, entry in enumerate(document.get("las", [])):
        try:
            las.append(LocalAuthority.model_validate(entry))
        except ValueError as exc:
            raise ValueError(f"{path}: entry {index + 1} of 'las' is invalid: {exc}") from None
    codes = [la.code for la in las]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise ValueError(f"{path}: LA codes listed more than once: {', '.join(duplicates)}")
    return las
