"""The extract contract: what each file of a nightly extract must hold, as data (``extract_contract.yml``).

It drives the raw DDL, the loader's header checks, the dbt sources and the structural data-quality rules, so that
none of them can disagree about a table.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

CONTRACT_PATH = Path(__file__).with_name("extract_contract.yml")

ColumnType = Literal["id", "text", "datetime", "flag", "json", "integer", "decimal"]


class Column(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    type: ColumnType
    source_type: str | None = None
    required: bool = False
    # What cannot work without the column (indicators, returns, checks): every required column names it, and a
    # refusal for the column missing from a file quotes it.
    needed_by: str | None = None
    code_list: str | None = None
    identifies: Literal["person", "worker"] | None = None
    personal: bool = False
    # Older names of the column that an extract may still carry (accepted as this column by every profile).
    aliases: tuple[str, ...] = ()
    description: str


class ForeignKey(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    column: str
    references: str  # "<table>.<column>"

    @property
    def table(self) -> str:
        return self.references.split(".", 1)[0]

    @property
    def referenced_column(self) -> str:
        return self.references.split(".", 1)[1]


class Table(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    source: Literal["ssd", "hr"]
    description: str | None = None
    # An optional table may be missing from an extract (the HR files): it then loads as empty, with a notice.
    optional: bool = False
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()
    columns: tuple[Column, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


SYSTEMC_COLUMNS_PATH = Path(__file__).with_name("ssd_v1.4.5_systemc_columns.csv")
# The SSD versions whose SystemC deployment's column order the repository ships (the DDL of that version).
SYSTEMC_ORDERS = {"1.4.5": SYSTEMC_COLUMNS_PATH}


@cache
def _deployed_order(path: Path) -> dict[str, tuple[str, ...]]:
    """Table -> its columns in the deployment's DDL order (a shipped ``ssd_v*_<system>_columns.csv``)."""
    import csv

    order: dict[str, list[str]] = {}
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            order.setdefault(row["table"], []).append(row["column"].strip().lower())
    return {table: tuple(columns) for table, columns in order.items()}


def column_order(table: Table, ssd_version: str | None = None, system: str | None = None) -> tuple[str, ...]:
    """The columns of a headerless (bcp) file of ``table``, in order, for the declared SSD version and system.

    SystemC (v1.4.5): the order of the deployment's DDL (``ssd_v1.4.5_systemc_columns.csv``) for the contract's
    columns, then any contract column that DDL lacks. Other systems, other versions: contract order. The loader
    (csc.ingest.dialects) and the generator (csc_synthetic.render) both ask here.
    """
    contract_order = tuple(table.column_names)
    path = SYSTEMC_ORDERS.get(str(ssd_version or "1.4.5")) if system == "systemc" else None
    if path is None:
        return contract_order
    deployed = [c for c in _deployed_order(path).get(table.name, ()) if c in contract_order]
    return (*deployed, *(c for c in contract_order if c not in deployed))


class Contract(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    tables: dict[str, Table] = Field(default_factory=dict)

    def table(self, name: str) -> Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"{name!r} is not a table of the extract contract") from None

    def __iter__(self):  # type: ignore[override]
        return iter(self.tables.values())


@cache
def load_contract(path: Path = CONTRACT_PATH) -> Contract:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    tables = {}
    for name, body in document["tables"].items():
        columns = tuple(Column(name=col, **attrs) for col, attrs in body.pop("columns").items())
        tables[name] = Table(name=name, columns=columns, **body)
    contract = Contract(version=document["version"], tables=tables)
    _check_consistency(contract)
    return contract


def _check_consistency(contract: Contract) -> None:
    """Keys must name real columns, so that a typo in the YAML fails loudly at load time."""
    for table in contract:
        names = set(table.column_names)
        for column in table.columns:
            if column.required and not column.needed_by:
                raise ValueError(f"{table.name}.{column.name}: a required column must say what needs it (needed_by)")
        for key in table.primary_key:
            if key not in names:
                raise ValueError(f"{table.name}: primary key column {key!r} is not a column")
        for fk in table.foreign_keys:
            if fk.column not in names:
                raise ValueError(f"{table.name}: foreign key column {fk.column!r} is not a column")
            target = contract.tables.get(fk.table)
            if target is None or fk.referenced_column not in target.column_names:
                raise ValueError(f"{table.name}.{fk.column}: references unknown {fk.references}")
