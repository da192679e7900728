"""Every record a failing rule flags, written to ``ops.dq_failing_records`` by the database itself.

Great Expectations decides whether a rule passes and counts its failures; the full list of flagged records (which
DQ_PASS_RATE, the report and the exception lists need) is written server-side with ``insert ... select`` from the
same query, so it never travels through Python. For built-in expectations the query is derived from the
expectation's parameters, and its row count must equal GX's unexpected count - a disagreement is reported as an
error of the rule, not hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from csc.quality.catalogue import BatchContext, Catalogue, Rule, record_key_sql


@dataclass
class Findings:
    rows: int
    records: int
    sample: list[str] = field(default_factory=list)
    team_counts: dict[str, int] = field(default_factory=dict)


def failing_records_query(rule: Rule, catalogue: Catalogue, ctx: BatchContext) -> str:
    """A query returning (table_name, record_key, team_id) for every record the rule flags in the batch."""
    table = catalogue.contract.table(rule.table)
    batch = ctx.work_table(table.name)
    if rule.expectation == "unexpected_rows":
        inner = catalogue.render(rule.sql_template, ctx, **rule.params).replace("{batch}", batch)
        return (f"select q.table_name::text as table_name, q.record_key::text as record_key, "
                f"to_jsonb(q) ->> 'team_id' as team_id from ({inner}) q")
    key = record_key_sql(table, "t")
    head = f"select '{table.name}'::text as table_name, {key} as record_key, null::text as team_id from {batch} t"
    if rule.expectation == "not_null":
        return f"{head} where t.{rule.column} is null"
    if rule.expectation == "regex":
        return f"{head} where t.{rule.column} is not null and not (t.{rule.column} ~ {_literal(rule.regex)})"
    if rule.expectation == "unique":
        columns = ", ".join(f"t.{c}" for c in rule.columns)
        plain = ", ".join(rule.columns)
        return (f"{head} where ({columns}) in (select {plain} from {batch} d where "
                + " and ".join(f"d.{c} is not null" for c in rule.columns)
                + f" group by {plain} having count(*) > 1)")
    raise ValueError(f"rule {rule.id} ({rule.expectation}) flags no records")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def record_findings(conn: psycopg.Connection, rule: Rule, catalogue: Catalogue, ctx: BatchContext, dq_run_id: int,
                    sample_size: int) -> Findings:
    """Write the rule's flagged records for this run; return counts, a sample of keys and counts per team."""
    query = failing_records_query(rule, catalogue, ctx)
    with conn.transaction():
        conn.execute(sql.SQL("create temporary table dq_flagged on commit drop as {}").format(sql.SQL(query)))
        rows = conn.execute("select count(*) from dq_flagged").fetchone()[0]
        records = conn.execute(
            "insert into ops.dq_failing_records (dq_run_id, rule_id, kind, table_name, record_key) "
            "select distinct %s, %s, %s, table_name, record_key from dq_flagged on conflict do nothing",
            (dq_run_id, rule.id, rule.kind)).rowcount
        team_counts = {team or "": n for team, n in conn.execute(
            "select team_id, count(distinct (table_name, record_key)) from dq_flagged group by team_id")}
        sample = [key if table == rule.table else f"{table}: {key}" for table, key in conn.execute(
            "select distinct table_name, record_key from dq_flagged order by table_name, record_key limit %s",
            (sample_size,))]
    return Findings(rows=rows, records=records, sample=sample, team_counts=team_counts)


def batch_findings(conn: psycopg.Connection, rule: Rule, catalogue: Catalogue, ctx: BatchContext,
                   sample_size: int) -> list[str]:
    """What a failing batch-level rule found, as readable lines (``subject: detail``)."""
    if rule.expectation == "row_count_between":
        return []
    query = catalogue.render(rule.sql_template, ctx, **rule.params).replace("{batch}", ctx.work_table(rule.table))
    return [f"{subject}: {detail}" for subject, detail in conn.execute(sql.SQL(
        "select subject::text, detail::text from ({}) q order by 1 limit {}").format(
            sql.SQL(query), sql.Literal(sample_size)))]
