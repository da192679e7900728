"""Constants of the source-database tests (a module of its own: importing from 'conftest' would pick another folder's
conftest when the suite runs together)."""

from __future__ import annotations

from datetime import date

LA = "901"
FIRST, LAST = date(2026, 10, 1), date(2026, 10, 2)
