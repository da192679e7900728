"""``csc dq accept | accepted | revoke``: findings a performance lead knows about and accepts, so that the nightly
data-quality e-mail stops repeating them (``csc.quality.accepted``)."""

from __future__ import annotations

import click

from csc.cli.common import started_settings
from csc.cli.exit_status import REFUSED

DATE = click.DateTime(formats=["%Y-%m-%d"])


@click.group()
def dq() -> None:
    """Data-quality findings accepted by a performance lead: not repeated by the alert while accepted."""


@dq.command()
@click.option("--la", "la_code", required=True, metavar="CODE", help="The LA whose finding it is.")
@click.option("--rule", "rule_id", required=True, metavar="RULE_ID", help="The rule that flags the record.")
@click.option("--record", "record_key", required=True, metavar="KEY",
              help="The record's key as the report lists it (composite keys joined with '|').")
@click.option("--table", "table_name", default=None, help="The record's table, when the rule flags several tables.")
@click.option("--reason", required=True, metavar="TEXT", help="Why it is accepted.")
@click.option("--by", "accepted_by", required=True, metavar="NAME", help="Who accepts it.")
@click.option("--until", required=True, type=DATE, metavar="YYYY-MM-DD",
              help="The last extract date the acceptance covers (inclusive).")
def accept(la_code: str, rule_id: str, record_key: str, table_name: str | None, reason: str, accepted_by: str,
           until) -> None:
    """Accept one finding of the LA's latest check (the rule must flag the record there).

    The alert leaves it out until UNTIL has passed, the acceptance is revoked, or the record changes in a later
    extract. The report still lists it, as accepted. Exit status: 0 accepted, 1 refused (the message says why).
    """
    from csc.quality.accepted import AcceptanceError
    from csc.quality.accepted import accept as do_accept

    try:
        done = do_accept(started_settings(), la_code, rule_id, record_key, reason, accepted_by, until.date(),
                         table_name=table_name)
    except AcceptanceError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(REFUSED) from None
    click.echo(f"accepted ({done.acceptance_id}): LA {done.la_code} {done.rule_id} {done.table_name} "
               f"{done.record_key} until {done.accepted_until}, by {done.accepted_by}: {done.reason}")


@dq.command()
@click.option("--la", "la_code", default=None, metavar="CODE", help="Only this LA's acceptances.")
@click.option("--all", "include_ended", is_flag=True, help="Also the expired and revoked ones.")
def accepted(la_code: str | None, include_ended: bool) -> None:
    """List the accepted findings in force (newest first)."""
    from csc.quality.accepted import listed

    rows = listed(started_settings(), la_code, include_ended=include_ended)
    if not rows:
        click.echo("no accepted findings" + (f" for LA {la_code}" if la_code else ""))
        return
    click.echo(f"{'id':>5}  {'LA':<4} {'rule':<28} {'record':<28} {'until':<10}  {'by':<16} reason")
    for a in rows:
        ended = f"  [revoked {a.revoked_at:%Y-%m-%d} by {a.revoked_by}]" if a.revoked_at else ""
        click.echo(f"{a.acceptance_id:>5}  {a.la_code:<4} {a.rule_id:<28} {a.table_name + ': ' + a.record_key:<28} "
                   f"{a.accepted_until.isoformat():<10}  {a.accepted_by:<16} {a.reason}{ended}")


@dq.command()
@click.argument("acceptance_id", type=int)
@click.option("--by", "revoked_by", required=True, metavar="NAME", help="Who revokes it.")
def revoke(acceptance_id: int, revoked_by: str) -> None:
    """Revoke an acceptance (its id from `csc dq accepted`): the alert reports the finding again.
    Exit status: 0 revoked, 1 no such acceptance in force."""
    from csc.quality.accepted import AcceptanceError
    from csc.quality.accepted import revoke as do_revoke

    try:
        done = do_revoke(started_settings(), acceptance_id, revoked_by)
    except AcceptanceError as exc:
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(REFUSED) from None
    click.echo(f"revoked ({done.acceptance_id}): LA {done.la_code} {done.rule_id} {done.record_key}")



def register(cli: click.Group) -> None:
    cli.add_command(dq)
