"""Reference data the rules read, copied from the dbt seeds so there is one source of codes, bank holidays and
population.

``dbt_project/seeds/reference/code_lists.csv`` (codes with their valid collection years), ``bank_holidays.csv``
(England and Wales, written by the generator from the ``holidays`` library) and ``la_population.csv`` (the 0-17
population the rate indicators divide by) are loaded into ``ops.dq_code_lists``, ``ops.dq_calendar`` and
``ops.dq_population`` when their content changes, so that the checks can run before dbt has built anything. An LA's
own ``population:`` file (config/las.yml) replaces its seed rows there; dbt's rates read those rows
(``stg_ops__la_population``), so the population is refreshed before every build too.
"""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from pathlib import Path

import psycopg

from csc.settings import Settings

CALENDAR_FIRST = date(1990, 1, 1)
CALENDAR_LAST = date(2060, 12, 31)


def seed_path(settings: Settings, name: str) -> Path:
    return settings.dbt_project_dir / "seeds" / "reference" / name


def refresh_reference_data(conn: psycopg.Connection, settings: Settings) -> dict[str, bool]:
    """Bring the code lists and the working-day calendar up to date with the seed files (one transaction each)."""
    return {
        "code_lists": _refresh(conn, "code_lists", seed_path(settings, "code_lists.csv"), _load_code_lists),
        "bank_holidays": _refresh(conn, "bank_holidays", seed_path(settings, "bank_holidays.csv"), _load_calendar),
        "la_population": refresh_population(conn, settings),
    }


def refresh_population(conn: psycopg.Connection, settings: Settings) -> bool:
    """Bring ``ops.dq_population`` up to date with the seed and the LAs' own ``population:`` files (run before every
    check run and every build, so that the checks and dbt's rates read the same rows). A bad file is refused with
    file, line and field, and nothing is changed."""
    files = _la_population_files(settings)
    return _refresh(conn, "la_population", seed_path(settings, "la_population.csv"),
                    lambda c, text, path: _load_population(c, text, path, files), extra=files)


def _la_population_files(settings: Settings) -> list[tuple[str, Path]]:
    """The LAs' own population files (``population:`` in las.yml): (LA code, path)."""
    from csc.las import la_registry

    try:
        registry = la_registry(settings)
    except FileNotFoundError:
        return []
    root = settings.dbt_project_dir.parent
    return [(la.code, la.population_path(root)) for la in registry if la.population is not None]


def _refresh(conn: psycopg.Connection, name: str, path: Path, load, extra: list[tuple[str, Path]] = ()) -> bool:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"Reference data for the data-quality checks not found: {path}") from None
    digest = hashlib.sha256(content)
    for la_code, other in extra:  # an LA's own file (its content, and whose it is, are part of the version)
        digest.update(f"\0{la_code}\0".encode())
        digest.update(other.read_bytes() if other.exists() else b"(missing)")
    digest = digest.hexdigest()
    with conn.transaction():
        # Serialise concurrent refreshes (two LAs checked at once): the second finds the work done.
        conn.execute("lock table ops.dq_reference_versions in exclusive mode")
        row = conn.execute("select content_sha256 from ops.dq_reference_versions where name = %s", (name,)).fetchone()
        if row and row[0] == digest:
            return False
        load(conn, content.decode("utf-8-sig"), path)
        conn.execute(
            "insert into ops.dq_reference_versions (name, content_sha256, refreshed_at) values (%s, %s, now()) "
            "on conflict (name) do update set content_sha256 = excluded.content_sha256, refreshed_at = now()",
            (name, digest))
    return True


def _year(value: str, path: Path, line: int) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"{path}, line {line}: year {value!r} is not a whole number")
    return int(value)


def _load_code_lists(conn: psycopg.Connection, text: str, path: Path) -> None:
    rows = []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        rows.append((record["code_list"].strip(), record["code"].strip(), record.get("description"),
                     _year(record.get("valid_from_year", ""), path, line),
                     _year(record.get("valid_to_year", ""), path, line)))
    conn.execute("delete from ops.dq_code_lists")
    with conn.cursor() as cur:
        cur.executemany(
            "insert into ops.dq_code_lists (code_list, code, normalised_code, description, valid_from_year, "
            "valid_to_year) values (%s, %s, ops.dq_normalised_code(%s, %s), %s, %s, %s)",
            [(cl, code, cl, code, desc, vf, vt) for cl, code, desc, vf, vt in rows])


def _load_calendar(conn: psycopg.Connection, text: str, path: Path) -> None:
    holidays = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    column = next((i for i, name in enumerate(header) if name.strip() in ("date", "holiday_date")), None)
    if column is None:
        raise ValueError(f"{path}: no 'date' column in the header {header}")
    for line, record in enumerate(reader, start=2):
        try:
            holidays.append(date.fromisoformat(record[column].strip()))
        except (IndexError, ValueError) as exc:
            raise ValueError(f"{path}, line {line}: not a date: {exc}") from None
    conn.execute("delete from ops.dq_calendar")
    conn.execute(
        """
        insert into ops.dq_calendar (day, is_working_day, working_day_number)
        select day, working, sum(case when working then 1 else 0 end) over (order by day)::integer
        from (
            select g::date as day, extract(isodow from g) < 6 and not (g::date = any(%s::date[])) as working
            from generate_series(%s::date, %s::date, interval '1 day') g
        ) days
        """,
        (holidays, CALENDAR_FIRST, CALENDAR_LAST))


def _load_population(conn: psycopg.Connection, text: str, path: Path,
                     la_files: list[tuple[str, Path]] = ()) -> None:
    """The seed's rows, each LA with its own ``population:`` file taking its rows from that file instead (checked:
    errors name file, line and field)."""
    from csc.las import read_population_file

    own = {la_code: read_population_file(la_path, la_code) for la_code, la_path in la_files}
    files = dict(la_files)
    rows = []
    for line, record in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        year, population = (_year(record.get(name) or "", path, line) for name in ("year", "population_0_17"))
        if year is None or population is None or not (record.get("la_code") or "").strip():
            raise ValueError(f"{path}, line {line}: la_code, year and population_0_17 are required")
        if record["la_code"].strip() not in own:
            rows.append((record["la_code"].strip(), year, population, None))
    rows += [(*row, str(files[la_code])) for la_code, la_rows in own.items() for row in la_rows]
    conn.execute("delete from ops.dq_population")
    with conn.cursor() as cur:
        cur.executemany("insert into ops.dq_population (la_code, year, population_0_17, population_file) "
                        "values (%s, %s, %s, %s)", rows)
