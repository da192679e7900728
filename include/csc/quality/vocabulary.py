"""Every LA's effective vocabularies in the warehouse: ``ops.la_vocabulary`` and ``ops.la_source_systems``.

An LA's vocabularies are its source-system profile's (include/csc/contract/profiles/) with the LA's own
``vocabulary:`` of config/las.yml applied (:meth:`csc.contract.profiles.Profile.with_vocabulary`). dbt staging maps
codes and roles through these rows (macro ``map_vocabulary``) and the data-quality checks read the same rows, so
both agree on what a value means and which values no map knows.

:func:`refresh_vocabularies` is the one writer. It runs before every check run (with the reference data,
csc.quality.reference) and before every build (csc.transform.build), so an edited profile or ``vocabulary:``
applies the next night. Rows are written for every configured LA under every profile (its overrides applied to
each: a batch loaded with ``csc load --system`` is read with that profile) and for ``la_code = '*'`` (every profile
as shipped), for a batch of an LA that is not configured. ``is_configured`` marks the LA's own system.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from csc.contract.profiles import DEFAULT_SYSTEM, Profile, available_systems, load_profile, normalise
from csc.settings import Settings

ANY_LA = "*"


@dataclass(frozen=True)
class VocabularyRow:
    la_code: str
    system: str
    concept: str
    table_name: str
    column_name: str
    match: str
    source_value: str
    target: str
    is_explicit: bool


def la_system(la: Any) -> str:
    """The LA's configured source system (config/las.yml ``system:``), generic when it names none."""
    # `system:` reaches LocalAuthority with the loader's profile support; until then every LA is generic.
    return getattr(la, "system", None) or DEFAULT_SYSTEM


def la_vocabulary_overrides(la: Any) -> Mapping[str, Mapping[str, object]] | None:
    """The LA's ``vocabulary:`` overrides of its profile's maps (config/las.yml), if any."""
    return getattr(la, "vocabulary", None) or None


def vocabulary_rows(la_code: str, profile: Profile) -> list[VocabularyRow]:
    """Every known source value (normalised) of every vocabulary of ``profile`` with its target."""
    rows = []
    for concept, vocabulary in sorted(profile.vocabularies.items()):
        explicit = {normalise(k) for k in vocabulary.map}
        for source_value, target in sorted(vocabulary.entries().items()):
            rows.append(VocabularyRow(la_code, profile.name, concept, vocabulary.table, vocabulary.column_name,
                                      vocabulary.match, source_value, target, source_value in explicit))
    return rows


def effective_profiles(las: Iterable[Any]) -> list[tuple[str, Profile, bool]]:
    """(la_code, profile with the LA's overrides, is the LA's own system) for every LA and profile, then '*'."""
    out = []
    systems = available_systems()
    for la in las:
        own = la_system(la)
        load_profile(own)  # an unknown system fails here, naming the profiles
        overrides = la_vocabulary_overrides(la)
        for system in systems:
            try:
                profile = load_profile(system).with_vocabulary(overrides)
            except (ValueError, KeyError) as exc:
                if system == own:
                    raise ValueError(f"LA {la.code}: vocabulary: in config/las.yml: {exc}") from None
                profile = load_profile(system)  # overrides meant for the LA's own system only
            out.append((la.code, profile, system == own))
    for system in systems:
        out.append((ANY_LA, load_profile(system), system == DEFAULT_SYSTEM))
    return out


def refresh_vocabularies(conn: psycopg.Connection, settings: Settings) -> dict[str, int]:
    """Replace ``ops.la_vocabulary`` and ``ops.la_source_systems`` with every LA's effective vocabularies, in one
    transaction (rows per LA code returned). Everything is computed before anything changes."""
    from csc.las import la_registry

    try:
        las = list(la_registry(settings))
    except FileNotFoundError:
        las = []
    profiles = effective_profiles(las)
    systems = [(code, p.name, own, p.allocation.role, p.allocation.flag_column, Jsonb(dict(p.worker_columns)))
               for code, p, own in profiles]
    rows = [r for code, p, _ in profiles for r in vocabulary_rows(code, p)]
    with conn.transaction():
        conn.execute("lock table ops.la_vocabulary, ops.la_source_systems in exclusive mode")
        conn.execute("delete from ops.la_vocabulary")
        conn.execute("delete from ops.la_source_systems")
        with conn.cursor() as cur:
            cur.executemany(
                "insert into ops.la_source_systems (la_code, system, is_configured, allocation_role, "
                "allocation_flag_column, worker_columns) values (%s, %s, %s, %s, %s, %s)", systems)
            with cur.copy("copy ops.la_vocabulary (la_code, system, concept, table_name, column_name, match, "
                          "source_value, target, is_explicit) from stdin") as copy:
                for r in rows:
                    copy.write_row((r.la_code, r.system, r.concept, r.table_name, r.column_name, r.match,
                                    r.source_value, r.target, r.is_explicit))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.la_code] = counts.get(r.la_code, 0) + 1
    return counts
