"""Synthetic nightly extracts of a local authority, with their ground truth: the source of truth every other part
of the pipeline (loader, data-quality checks, dbt indicators) is verified against, to the record.

``generate(...)`` simulates six years of an LA's children's social care (plus a burn-in), takes one extract per
night, optionally injects data faults and renders the files messily, and writes beside each extract (outside its
folder) the true indicator values, the faults and the practice exceptions. No real personal data is used.
"""

from __future__ import annotations

import multiprocessing
import shutil
import time as wall_clock
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from csc.contract import Table
from csc_synthetic import faults as fault_catalogue
from csc_synthetic import full_ssd, render, snapshot, systems, truth, world
from csc_synthetic import nights as night_changes
from csc_synthetic.calendar import financial_year_start
from csc_synthetic.config import GeneratorConfig, load_config
from csc_synthetic.context import Context

EARLIEST_AS_OF = date(2016, 4, 1)
LATEST_AS_OF = date(2035, 12, 31)
MAX_NIGHTS = 366


@dataclass
class NightResult:
    extract_date: date
    extract_dir: Path
    truth_dir: Path
    rows: dict[str, int] = field(default_factory=dict)
    faults: int = 0


@dataclass
class GenerationResult:
    la_code: str
    size: str
    nights: list[NightResult]

    @property
    def total_rows(self) -> int:
        return sum(sum(n.rows.values()) for n in self.nights)


def generate(la_code: str, size: str | int | None, seed: int, as_of: date, out: Path,
             faults: str | Path = "none", nights: int = 1, messy: bool = False,
             progress: Callable[[str], None] | None = None, config: GeneratorConfig | None = None,
             rendering: render.Rendering | None = None) -> GenerationResult:
    """Write ``nights`` consecutive nightly extracts of a synthetic LA (the last on ``as_of``) under ``out``.

    Deterministic: the same arguments give byte-identical files. ``faults``: none, default, all, or a YAML file
    of fault rates (see docs/INDICATOR_RULES.md). ``size``: tiny, small, county, a number of children aged 0-17,
    or None for the LA's configured size. ``rendering``: the export dialect, encoding and date style the files are
    written in (default: csv, UTF-8, ISO), and the source system whose SSD conventions they follow (``systems.py``,
    with the full v1.4.5 table set of ``full_ssd.py``); the simulated LA and its truth do not depend on it.
    """
    rendering = rendering or render.Rendering()
    rendering.check(messy)
    config = config or load_config()
    la = config.la(str(la_code))
    chosen_size = config.size(size if size is not None else la.size)
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, not {seed!r}")
    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise ValueError(f"--as-of must be between {EARLIEST_AS_OF} and {LATEST_AS_OF} (the bank-holiday and "
                         f"population seeds cover {config.seed_years[0]}-{config.seed_years[1]}), not {as_of}")
    if not 1 <= nights <= MAX_NIGHTS:
        raise ValueError(f"--nights must be between 1 and {MAX_NIGHTS}, not {nights}")
    plan = fault_catalogue.plan_from(faults, config)
    started = wall_clock.monotonic()

    def say(message: str) -> None:
        if progress:
            progress(f"[{wall_clock.monotonic() - started:6.1f}s] {message}")

    ctx = Context(config=config, la=la, size=chosen_size, seed=seed, as_of=np.datetime64(as_of, "D"), nights=nights)
    say(f"{la.code} {la.name}: size {chosen_size.name} ({chosen_size.population_0_17:,} children aged 0-17), "
        f"seed {seed}, {nights} night(s) to {as_of}")
    if chosen_size.name != la.size:
        say(f"note: LA {la.code} is configured as {la.size}; its rows in dbt_project/seeds/reference/"
            f"la_population.csv do not describe this {chosen_size.name} extract: use truth/{la.code}/<date>/"
            f"population.csv for its rates")
    simulated = world.build(ctx, say)
    contract = full_ssd.simulated_contract()
    results = []
    previous_rows: dict[str, int] | None = None
    for index, night in enumerate(ctx.night_dates):
        tables = snapshot.take(ctx, simulated, night)
        last_night = index == len(ctx.night_dates) - 1
        if last_night:
            simulated = None  # the world's memory is not needed to write the last night
        tables = night_changes.corrections(ctx, tables, night)
        injected = fault_catalogue.inject(ctx, plan, tables, night, last_night=last_night,
                                          previous_rows=previous_rows)
        tables = injected.tables
        say(f"{night}: {sum(len(t) for t in tables.values()):,} rows, {len(injected.faults)} fault rows")
        result = _write_night(ctx, contract, tables, injected, night, Path(out), messy, rendering)
        previous_rows = result.rows
        results.append(result)
        say(f"{night}: written to {result.extract_dir}")
    return GenerationResult(la_code=la.code, size=chosen_size.name, nights=results)


def _write_night(ctx: Context, contract, tables: dict[str, pd.DataFrame], injected, night: np.datetime64,
                 out: Path, messy: bool, rendering: render.Rendering | None = None) -> NightResult:
    rendering = rendering or render.Rendering()
    night_date = night.astype(date)
    extract_dir = out / ctx.la.code / night_date.isoformat()
    truth_dir = out / "truth" / ctx.la.code / night_date.isoformat()
    source_system = ctx.la.source_system if rendering.system == "generic" else rendering.system
    manifest = render.Manifest(la_code=ctx.la.code, la_name=ctx.la.name, extract_date=night_date,
                               source_system=source_system, ssd_version=str(ctx.p.ssd_version),
                               extract_time=datetime.strptime(str(ctx.p.extract_time), "%H:%M").time(),
                               timezone=str(ctx.p.timezone))
    staging = truth_dir.with_name(f".{truth_dir.name}.partial")
    _fresh(staging)
    rows = sum(len(t) for t in tables.values())
    parallel = ("fork" in multiprocessing.get_all_start_methods()
                and rows >= int(ctx.p.performance.truth_beside_rendering_from_rows))
    truth_job = _TruthJob(lambda: _write_truth(ctx, contract, tables, injected, night, staging), parallel)
    try:
        files: list[render.WrittenFile] = []
        for shaped in _shaped(ctx, tables, injected, night, rendering):
            table, frame = shaped.table, shaped.frame
            style = render.messy_style(table, ctx.seed, frame) if messy else render.CLEAN
            style = rendering.style(style, table, str(ctx.p.ssd_version))
            files.append(render.WrittenFile(name=table.file_name, table=table.name, rows=len(frame),
                                            data=render.render(frame, table, style)))
        files = fault_catalogue.damage_files(injected, files)
        for written in files:
            manifest.add(written)
        manifest = fault_catalogue.damage_manifest(injected, manifest)
        done = ({"manifest.json": manifest.to_json()} if rendering.manifest
                else {rendering.marker: (manifest.extracted_at + "\n").encode("utf-8")})
        _replace_dir(extract_dir, {f.name: f.data for f in files} | done)
    except BaseException:
        truth_job.abandon()
        raise
    truth_job.finish()
    _swap(staging, truth_dir)
    return NightResult(extract_date=night_date, extract_dir=extract_dir, truth_dir=truth_dir,
                       rows={t.name: len(tables[t.name]) for t in contract}, faults=len(injected.faults))


def _shaped(ctx: Context, tables: dict[str, pd.DataFrame], injected, night: np.datetime64,
            rendering: render.Rendering) -> list[systems.Shaped]:
    """The night's files in the rendering's system conventions, with the full SSD table set if asked for."""
    extra = (full_ssd.build(tables, night, ctx.seed, ctx.la) if rendering.with_full_ssd else {})
    faulty = {(row.table, row.primary_key) for row in injected.faults.itertuples() if row.primary_key != ""}
    return systems.shape(tables, extra, rendering.system, str(ctx.p.ssd_version), faulty, night, ctx.seed,
                         rendering.with_allocated_flag)


def _write_truth(ctx: Context, contract, tables: dict[str, pd.DataFrame], injected, night: np.datetime64,
                 folder: Path) -> None:
    """indicators.csv, faults.csv, exceptions.csv and population.csv of one night, computed from its tables."""
    faulty = {(row.table, row.primary_key) for row in injected.faults.itertuples() if row.primary_key != ""}
    keys = {t.name: list(row_keys(tables[t.name], t)) for t in contract}
    indicator_truth = truth.IndicatorTruth(tables, night, ctx.window_start(night), ctx.population, faulty, keys)
    indicators = indicator_truth.rows(ctx.la.code)
    exceptions = truth.exceptions(indicator_truth)
    years = range(int(financial_year_start(np.array([ctx.window_start(night)]))[0]),
                  int(financial_year_start(np.array([night]))[0]) + 1)
    population = pd.DataFrame({"year": list(years), "population_0_17": [ctx.population(y) for y in years]})
    render.write_csv(folder / "indicators.csv", truth.INDICATOR_COLUMNS, indicators)
    render.write_csv(folder / "faults.csv", fault_catalogue.FAULT_COLUMNS, injected.faults)
    render.write_csv(folder / "exceptions.csv", truth.EXCEPTION_COLUMNS, exceptions)
    render.write_csv(folder / "population.csv", ["year", "population_0_17"], population)
    for system in systems.deriving_systems():
        _write_carried_truth(ctx, contract, tables, night, injected, keys, folder / "systems" / system, system)


def _write_carried_truth(ctx: Context, contract, tables: dict[str, pd.DataFrame], night: np.datetime64, injected,
                         keys: dict[str, list], folder: Path, system: str) -> None:
    """The truth as ``system``'s SSD carries the night (``systems.carried``), where that differs from the LA's: its
    indicators and the records that make the difference (``carried.csv``). The records whose child the system's
    links cannot reach count for no one; those that fail a rule only for how the system carries them
    (``truth.carried_failures``) fail DQ_PASS_RATE, and a fault written only into columns the system does not have
    (Mosaic's ``cont_contact_source_code``) is not in its extract. Written for every rendering, so that the truth
    files are the same whichever system the extract is rendered in."""
    carried = systems.carried(tables, system)
    profile = systems.profile_of(system)
    unwritten = {(t.name, c) for t in contract for c in t.column_names
                 if profile.is_absent(t.name, c) and profile.derivation(t.name, c) is None}
    in_extract = [not (cells and cells <= unwritten) for cells in injected.touched]
    faulty = {(row.table, row.primary_key) for row, kept in zip(injected.faults.itertuples(), in_extract, strict=True)
              if kept and row.primary_key != ""}
    if not carried.loses_anything and all(in_extract):
        return
    failures = truth.carried_failures(tables, carried.tables, carried.no_child, night, keys)
    failing = faulty | set(zip(failures["table"], failures["primary_key"], strict=True))
    carried_truth = truth.IndicatorTruth(carried.tables, night, ctx.window_start(night), ctx.population, failing,
                                         keys)
    folder.mkdir(parents=True)
    render.write_csv(folder / "indicators.csv", truth.INDICATOR_COLUMNS, carried_truth.rows(ctx.la.code))
    render.write_csv(folder / "carried.csv", truth.CARRIED_COLUMNS, failures)


class _TruthJob:
    """The truth of a night computed beside the rendering of its files: in a forked process when the extract is
    large enough to gain from the second core (the files are the same either way), else at once."""

    def __init__(self, run, parallel: bool):
        self.process = None
        if parallel:
            self.process = multiprocessing.get_context("fork").Process(target=run, name="csc-truth")
            self.process.start()
        else:
            run()

    def abandon(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join()

    def finish(self) -> None:
        if self.process is None:
            return
        self.process.join()
        if self.process.exitcode != 0:
            raise RuntimeError(f"computing the ground truth failed (exit code {self.process.exitcode}); "
                               f"its traceback is above")


def row_keys(frame: pd.DataFrame, table: Table) -> np.ndarray:
    """The primary key of each row as faults.csv writes it: columns joined with '|', dates as YYYY-MM-DD."""
    parts = []
    for name in table.primary_key:
        values = frame[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            text = pd.Series(np.datetime_as_string(values.to_numpy().astype("datetime64[D]"), unit="D"))
            text = text.where(values.notna().to_numpy(), "")
        else:
            text = values.fillna("").astype(str).reset_index(drop=True)
        parts.append(text)
    key = parts[0]
    for part in parts[1:]:
        key = key + "|" + part
    return key.to_numpy(dtype=object)


def _fresh(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


def _swap(staging: Path, final: Path) -> None:
    """Replace a folder in one rename, so a reader never sees half an extract."""
    if final.exists():
        shutil.rmtree(final)
    staging.rename(final)


def _replace_dir(final: Path, files: dict[str, bytes]) -> None:
    staging = final.with_name(f".{final.name}.partial")
    _fresh(staging)
    for name, data in files.items():
        (staging / name).write_bytes(data)
    _swap(staging, final)
