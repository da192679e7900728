"""The SSDA903 return (children looked after) of one collection year, in the DfE's CSV layout.

One file per table, with the DfE's column names (the same as the validator's ``lac_validator.config``):
header, episodes, reviews, missing and OC3 from the warehouse's staging tables; UASC, OC2, AD1, placed for adoption
and previous permanence (and the header's UPN and MC_DOB, the episodes' HOME_POST) from the optional SSD tables
(:data:`OPTIONAL_SOURCES`). An episode row starts at every
change of period of care, placement or legal status, coded as the DfE's reason for new episode (RNE) and its rules 217,
434, 435 and 436 read it: S started; L legal status only; P placement and carers only; B legal status, placement and
carers together; T placement only but the carers unchanged and U legal status and placement with the carers unchanged,
both only into placement for adoption with the current foster carers (A3/A5): elsewhere the SSD does not say whether
the carers stayed the same, so a new placement is taken as new carers. The rows before a change end with REC X1.

Files the warehouse cannot fill (the extract lacks their optional table, or the SSD does not hold them:
:data:`NOT_YET_HELD`) are not written, and the validator then skips the rules that need them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csc.settings import Settings
from csc.statutory.years import CollectionYear, StatutoryError
from csc.warehouse.connection import connect

COLUMNS: dict[str, list[str]] = {
    "header": ["CHILD", "SEX", "DOB", "ETHNIC", "UPN", "MOTHER", "MC_DOB"],
    "episodes": ["CHILD", "DECOM", "RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC",
                 "REASON_PLACE_CHANGE", "HOME_POST", "PL_POST", "URN"],
    "reviews": ["CHILD", "DOB", "REVIEW", "REVIEW_CODE"],
    "missing": ["CHILD", "DOB", "MISSING", "MIS_START", "MIS_END"],
    "oc3": ["CHILD", "DOB", "IN_TOUCH", "ACTIV", "ACCOM"],
    "uasc": ["CHILD", "SEX", "DOB", "DUC"],
    "oc2": ["CHILD", "DOB", "SDQ_SCORE", "SDQ_REASON", "CONVICTED", "HEALTH_CHECK", "IMMUNISATIONS", "TEETH_CHECK",
            "HEALTH_ASSESSMENT", "SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"],
    "ad1": ["CHILD", "DOB", "DATE_INT", "DATE_MATCH", "FOSTER_CARE", "NB_ADOPTR", "SEX_ADOPTR", "LS_ADOPTR"],
    "placed_for_adoption": ["CHILD", "DOB", "DATE_PLACED", "DATE_PLACED_CEASED", "REASON_PLACED_CEASED"],
    "previous_permanence": ["CHILD", "DOB", "PREV_PERM", "LA_PERM", "DATE_PERM"],
}

# Fields and tables of the return that need data the SSD does not hold (issue 13). The SSD tables the return reads
# beyond the core (ssd_address, ssd_mother, ssd_immigration_status, the OC2 tables, ssd_permanence,
# ssd_cla_previous_permanence) are optional: an extract without one gives that file or field empty.
NOT_YET_HELD: dict[str, str] = {
    "sw_episodes.csv": "the workforce census social worker id (SW_ID) of each allocated worker",
}

# Episodes: every change of period of care, placement or legal status starts a row. The state on each date is carried
# forward from the latest change of each kind (window functions: one sort per period, no lookups per row).
EPISODES_SQL = """
with episodes as (
    select e.child_key, e.period_of_care_key, e.episode_start_date, e.episode_ceased_date,
           e.reason_episode_ceased_code, e.primary_need_code
    from staging.stg_ssd__cla_episodes e
    where e.la_code = %(la)s and e.episode_start_date is not null
),
periods as (
    select child_key, period_of_care_key,
           min(episode_start_date) as period_start,
           case when bool_or(episode_ceased_date is null) then null else max(episode_ceased_date) end as period_end,
           (array_agg(reason_episode_ceased_code order by episode_start_date desc))[1] as period_end_reason
    from episodes
    group by child_key, period_of_care_key
),
in_year as (
    select * from periods
    where period_start <= %(year_end)s and (period_end is null or period_end >= %(year_start)s)
),
placements as (
    select p.period_of_care_key, p.placement_key, p.placement_start_date, p.placement_type_code,
           p.placement_provider_code, p.placement_postcode, p.placement_urn, p.placement_change_reason_code
    from staging.stg_ssd__cla_placement p
    join in_year y using (period_of_care_key)
    where p.la_code = %(la)s and p.placement_start_date is not null
      and (y.period_end is null or p.placement_start_date < y.period_end)
),
legal as (
    select y.period_of_care_key, l.legal_status_start_date, l.legal_status_code
    from staging.stg_ssd__legal_status l
    join in_year y on y.child_key = l.child_key
    where l.la_code = %(la)s and l.legal_status_start_date is not null
      and (y.period_end is null or l.legal_status_start_date < y.period_end)
),
-- what holds on the first day of each period: the latest placement, legal status and need begun by then
first_placement as (
    select distinct on (p.period_of_care_key) p.*
    from placements p join in_year y using (period_of_care_key)
    where p.placement_start_date <= y.period_start
    order by p.period_of_care_key, p.placement_start_date desc, p.placement_key
),
first_legal as (
    select distinct on (l.period_of_care_key) l.*
    from legal l join in_year y using (period_of_care_key)
    where l.legal_status_start_date <= y.period_start
    order by l.period_of_care_key, l.legal_status_start_date desc, l.legal_status_code
),
changes as (
    select y.period_of_care_key, y.period_start as on_date,
           fp.placement_key, fp.placement_type_code, fp.placement_provider_code, fp.placement_postcode,
           fp.placement_urn, fp.placement_change_reason_code, fl.legal_status_code,
           (select e.primary_need_code from episodes e where e.period_of_care_key = y.period_of_care_key
            order by e.episode_start_date limit 1) as need
    from in_year y
    left join first_placement fp using (period_of_care_key)
    left join first_legal fl using (period_of_care_key)
    union all
    select p.period_of_care_key, p.placement_start_date, p.placement_key, p.placement_type_code,
           p.placement_provider_code, p.placement_postcode, p.placement_urn, p.placement_change_reason_code,
           null, null
    from placements p join in_year y using (period_of_care_key)
    where p.placement_start_date > y.period_start
    union all
    select l.period_of_care_key, l.legal_status_start_date, null, null, null, null, null, null,
           l.legal_status_code, null
    from legal l join in_year y using (period_of_care_key)
    where l.legal_status_start_date > y.period_start
    union all
    select e.period_of_care_key, e.episode_start_date, null, null, null, null, null, null, null, e.primary_need_code
    from episodes e join in_year y using (period_of_care_key)
    where e.episode_start_date > y.period_start
),
on_day as (  -- one row per period and date; a placement and a legal status may begin the same day
    select period_of_care_key, on_date,
           (array_agg(placement_key order by placement_key) filter (where placement_key is not null))[1]
               as placement_key,
           (array_agg(legal_status_code order by legal_status_code) filter (where legal_status_code is not null))[1]
               as legal_status_code,
           (array_agg(need) filter (where need is not null))[1] as need
    from changes
    group by period_of_care_key, on_date
),
counted as (
    select d.*,
           count(d.placement_key) over w as placement_group,
           count(d.legal_status_code) over w as legal_group,
           count(d.need) over w as need_group
    from on_day d
    window w as (partition by d.period_of_care_key order by d.on_date)
),
state as (
    select c.period_of_care_key, c.on_date,
           max(c.placement_key) over (partition by c.period_of_care_key, c.placement_group) as placement_key,
           max(c.legal_status_code) over (partition by c.period_of_care_key, c.legal_group) as legal_status_code,
           max(c.need) over (partition by c.period_of_care_key, c.need_group) as need
    from counted c
),
flagged as (
    select s.*,
           lag(s.placement_key) over w as prev_placement,
           lag(s.legal_status_code) over w as prev_legal,
           row_number() over w as n
    from state s
    window w as (partition by s.period_of_care_key order by s.on_date)
),
kept as (
    select f.*, pl.placement_type_code, pl.placement_provider_code, pl.placement_postcode, pl.placement_urn,
           pl.placement_change_reason_code,
           case when f.n = 1 then 'S'
                when f.placement_key is distinct from f.prev_placement
                     and f.legal_status_code is distinct from f.prev_legal
                     and pl.placement_type_code in ('A3', 'A5') then 'U'
                when f.placement_key is distinct from f.prev_placement
                     and f.legal_status_code is distinct from f.prev_legal then 'B'
                when f.placement_key is distinct from f.prev_placement
                     and pl.placement_type_code in ('A3', 'A5') then 'T'
                when f.placement_key is distinct from f.prev_placement then 'P'
                else 'L' end as rne
    from flagged f
    left join (select distinct on (placement_key) * from placements order by placement_key) pl
      on pl.placement_key = f.placement_key
    where f.n = 1 or f.placement_key is distinct from f.prev_placement
          or f.legal_status_code is distinct from f.prev_legal
),
bounded as (
    select k.*, y.child_key, y.period_end, y.period_end_reason,
           lead(k.on_date) over w as next_start,
           lead(k.placement_key) over w as next_placement
    from kept k join in_year y using (period_of_care_key)
    window w as (partition by k.period_of_care_key order by k.on_date)
)
select pe.person_id as child, b.on_date as decom, b.rne, b.legal_status_code as ls, b.need as cin,
       b.placement_type_code as place, b.placement_provider_code as place_provider,
       coalesce(b.next_start, b.period_end) as dec,
       case when b.next_start is not null then 'X1' else b.period_end_reason end as rec,
       case when b.next_start is not null and b.next_placement is distinct from b.placement_key
            then b.placement_change_reason_code end as reason_place_change,
       b.placement_postcode as pl_post, b.placement_urn as urn
from bounded b
join (select distinct on (child_key) child_key, person_id from staging.stg_ssd__person
      where la_code = %(la)s order by child_key, source_line_no) pe on pe.child_key = b.child_key
where coalesce(b.next_start, b.period_end) is null or coalesce(b.next_start, b.period_end) >= %(year_start)s
order by pe.person_id, b.on_date
"""

REVIEWS_SQL = """
select distinct pe.person_id as child, pe.date_of_birth as dob, r.review_date as review,
       r.participation_code as review_code
from staging.stg_ssd__cla_reviews r
join (select distinct child_key, period_of_care_key from staging.stg_ssd__cla_episodes where la_code = %(la)s) e
  on e.period_of_care_key = r.period_of_care_key
join staging.stg_ssd__person pe on pe.child_key = e.child_key and pe.la_code = %(la)s
where r.la_code = %(la)s and r.review_date between %(year_start)s and %(year_end)s
  and not coalesce(r.is_cancelled, false)
order by 1, 3
"""

MISSING_SQL = """
select pe.person_id as child, pe.date_of_birth as dob, upper(m.missing_type_code) as missing,
       m.missing_start_date as mis_start, m.missing_end_date as mis_end
from staging.stg_ssd__missing m
join staging.stg_ssd__person pe on pe.child_key = m.child_key and pe.la_code = %(la)s
where m.la_code = %(la)s and m.missing_start_date between %(year_start)s and %(year_end)s
  and exists (
      select 1 from staging.stg_ssd__cla_episodes e
      where e.la_code = %(la)s and e.child_key = m.child_key and e.episode_start_date <= m.missing_start_date
        and (e.episode_ceased_date is null or e.episode_ceased_date > m.missing_start_date))
order by 1, 4
"""

# Care leavers whose 17th to 21st birthday falls in the year and who left care aged 16 or over (the OC3 cohort).
OC3_SQL = """
with left_care as (
    select e.child_key, max(e.episode_ceased_date) as left_on
    from staging.stg_ssd__cla_episodes e
    where e.la_code = %(la)s
    group by e.child_key
    having bool_and(e.episode_ceased_date is not null)
)
select distinct on (pe.person_id) pe.person_id as child, pe.date_of_birth as dob, c.in_touch_code as in_touch,
       c.activity_code as activ, c.accommodation, c.accommodation_suitability, lc.left_on
from staging.stg_ssd__care_leavers c
join staging.stg_ssd__person pe on pe.child_key = c.child_key and pe.la_code = %(la)s
join left_care lc on lc.child_key = c.child_key
where c.la_code = %(la)s
  and extract(year from age(%(year_end)s::date, pe.date_of_birth)) between 17 and 21
  and extract(year from age(lc.left_on, pe.date_of_birth)) >= 16
order by pe.person_id, c.latest_contact_date desc nulls last
"""


# The SSD tables beyond the core (optional: empty when the extract did not carry them).
MOTHER_SQL = """
select pe.person_id, min(m.childs_dob) as first_child_dob
from staging.stg_ssd__mother m
join staging.stg_ssd__person pe on pe.child_key = m.child_key and pe.la_code = %(la)s
where m.la_code = %(la)s and pe.person_id = any(%(children)s)
group by pe.person_id
"""

# The child's home postcode on each date an episode starts: the HOME address open that day, else any address open.
ADDRESS_SQL = """
select pe.person_id, a.address_start_date, a.address_end_date, a.address_postcode,
       coalesce(a.address_type, '') in ('HOME', 'H', 'MAIN', 'PERMANENT') as is_home
from staging.stg_ssd__address a
join staging.stg_ssd__person pe on pe.child_key = a.child_key and pe.la_code = %(la)s
where a.la_code = %(la)s and pe.person_id = any(%(children)s) and a.address_postcode is not null
order by pe.person_id, a.address_start_date nulls first
"""

UASC_SQL = """
select pe.person_id, min(i.immigration_status_start_date) as uasc_from,
       max(coalesce(i.immigration_status_end_date, date '9999-12-31')) as uasc_until
from staging.stg_ssd__immigration_status i
join staging.stg_ssd__person pe on pe.child_key = i.child_key and pe.la_code = %(la)s
where i.la_code = %(la)s and pe.person_id = any(%(children)s)
  and upper(i.immigration_status) in ('UASC', 'UNACCOMPANIED ASYLUM SEEKING CHILD',
                                      'UNACCOMPANIED ASYLUM-SEEKING CHILD')
group by pe.person_id
"""

# OC2 inputs in the year: the latest check of each kind, misuse, convictions and the latest SDQ.
OC2_SQL = """
with p as (
    select distinct on (child_key) child_key, person_id from staging.stg_ssd__person
    where la_code = %(la)s and person_id = any(%(children)s) order by child_key, source_line_no
)
select p.person_id,
       exists (select 1 from staging.stg_ssd__cla_health h where h.la_code = %(la)s and h.child_key = p.child_key
               and h.health_check_date between %(year_start)s and %(year_end)s
               and lower(h.health_check_type) like '%%health%%'
               and lower(coalesce(h.health_check_status, 'completed')) like 'complete%%') as health_assessed,
       exists (select 1 from staging.stg_ssd__cla_health h where h.la_code = %(la)s and h.child_key = p.child_key
               and h.health_check_date between %(year_start)s and %(year_end)s
               and lower(h.health_check_type) like '%%dental%%'
               and lower(coalesce(h.health_check_status, 'completed')) like 'complete%%') as teeth_checked,
       exists (select 1 from staging.stg_ssd__cla_health h where h.la_code = %(la)s and h.child_key = p.child_key
               and h.health_check_date between %(year_start)s and %(year_end)s
               and lower(h.health_check_type) like '%%develop%%'
               and lower(coalesce(h.health_check_status, 'completed')) like 'complete%%') as development_checked,
       (select i.immunisations_status from staging.stg_ssd__cla_immunisations i
        where i.la_code = %(la)s and i.child_key = p.child_key
        order by i.immunisations_status_date desc nulls last limit 1) as immunised,
       (select bool_or(coalesce(s.intervention_received, false)) from staging.stg_ssd__cla_substance_misuse s
        where s.la_code = %(la)s and s.child_key = p.child_key
          and s.substance_misuse_date between %(year_start)s and %(year_end)s) as intervention,
       exists (select 1 from staging.stg_ssd__cla_substance_misuse s where s.la_code = %(la)s
               and s.child_key = p.child_key
               and s.substance_misuse_date between %(year_start)s and %(year_end)s) as misuse,
       exists (select 1 from staging.stg_ssd__cla_convictions c where c.la_code = %(la)s
               and c.child_key = p.child_key
               and c.cla_conviction_date between %(year_start)s and %(year_end)s) as convicted,
       (select row(q.sdq_score, q.sdq_reason)::text from staging.stg_ssd__sdq_scores q
        where q.la_code = %(la)s and q.child_key = p.child_key
          and q.sdq_completed_date between %(year_start)s and %(year_end)s
        order by q.sdq_completed_date desc limit 1) as sdq
from p
"""

# Adoption: the permanence record of each period of care ending in the year by adoption (AD1), and every placement
# for adoption in the year (placed for adoption).
PERMANENCE_SQL = """
select pe.person_id, pe.date_of_birth, m.adm_decision_date, m.matched_date, m.adopted_by_carer_flag,
       m.number_of_adopters, m.adopter_sex, m.adopter_legal_status, m.placed_for_adoption_date,
       m.decision_reversed_date, m.decision_reversed_reason, m.permanence_order_date,
       upper(coalesce(m.permanence_order_type, '')) like 'ADOPT%%' as is_adoption
from staging.stg_ssd__permanence m
join staging.stg_ssd__person pe on pe.child_key = m.child_key and pe.la_code = %(la)s
where m.la_code = %(la)s and pe.person_id = any(%(children)s)
order by pe.person_id, m.placed_for_adoption_date nulls last
"""

PREVIOUS_PERMANENCE_SQL = """
select distinct on (pe.person_id) pe.person_id, pe.date_of_birth, p.previous_permanence_option,
       p.previous_permanence_la, p.previous_permanence_order_date
from staging.stg_ssd__cla_previous_permanence p
join staging.stg_ssd__person pe on pe.child_key = p.child_key and pe.la_code = %(la)s
where p.la_code = %(la)s and pe.person_id = any(%(children)s)
order by pe.person_id, p.source_line_no desc
"""

# SSDA903 PREV_PERM codes from the SSD's text: P1 adoption, P2 special guardianship, P3 child arrangements order
# (residence), Z1 not known.
PREVIOUS_PERMANENCE_CODES: list[tuple[str, str]] = [
    ("adopt", "P1"), ("special guardian", "P2"), ("child arrangement", "P3"), ("residence", "P3"),
    ("not known", "Z1"), ("unknown", "Z1"),
]


@dataclass
class Return903:
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    # file or field -> the optional SSD table the LA's extract did not carry (the file is not written, the field is
    # left blank)
    not_held: dict[str, str] = field(default_factory=dict)


# The 903 files and fields that read an optional SSD table: without the table in the LA's built extract, a file is
# not written (the validator skips its rules) and a field is left blank, rather than written as if nothing happened.
OPTIONAL_SOURCES: dict[str, tuple[str, ...]] = {
    "header.MC_DOB": ("ssd_mother",),
    "episodes.HOME_POST": ("ssd_address",),
    "uasc": ("ssd_immigration_status",),
    "oc2": ("ssd_cla_health", "ssd_cla_immunisations", "ssd_cla_substance_misuse", "ssd_cla_convictions",
            "ssd_sdq_scores"),
    "ad1": ("ssd_permanence",),
    "placed_for_adoption": ("ssd_permanence",),
    "previous_permanence": ("ssd_cla_previous_permanence",),
}

ABSENT_TABLES_SQL = """
select distinct s.table_name from ops.extract_shape s
join ops.build_batches b on b.batch_id = s.batch_id
where b.la_code = %(la)s and s.kind = 'missing_table'
"""


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


SHORT_BREAK = ("V3", "V4")
TEMPORARY_PLACEMENTS = ("T0", "T1", "T2", "T3", "T4", "Z11", "Z12", "Z13", "Z14")

# The DfE's OC3 accommodation codes (ssd_care_leavers holds the accommodation as text): the first phrase found wins.
ACCOMMODATION_CODES: list[tuple[str, str]] = [
    ("parents or relatives", "B"), ("community home", "C"), ("residential care", "C"), ("semi-independent", "D"),
    ("transitional", "D"), ("self-contained", "D"), ("supported lodgings", "E"), ("abroad", "G"), ("deported", "H"),
    ("ordinary lodgings", "K"), ("not known", "R"), ("no fixed abode", "S"), ("homeless", "S"), ("foyer", "T"),
    ("independent living", "U"), ("tenancy", "U"), ("emergency", "V"), ("bed and breakfast", "W"), ("custody", "X"),
    ("former foster carer", "Z"), ("staying put", "Z"), ("other", "Y"),
]


def accommodation_code(text: str | None, suitability: str | None) -> str | None:
    """OC3 ACCOM: the DfE accommodation letter and 1 (suitable) or 2 (not suitable); None when unknown."""
    if not text:
        return None
    lowered = text.lower()
    letter = next((code for phrase, code in ACCOMMODATION_CODES if phrase in lowered), None)
    suit = (suitability or "").strip().lower()
    digit = "1" if suit in ("suitable", "1", "y", "yes") else "2" if suit in ("not suitable", "2", "n", "no") else None
    if letter is None or digit is None:
        return None
    return letter + ("2" if letter == "X" else digit)  # custody is never recorded as suitable


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _episode_rows(rows: list[tuple], year: CollectionYear) -> list[tuple]:
    """DfE rules on the rows: no dates ceased after the year; short breaks carry no placement location; temporary
    placements carry no provider and no reason for placement change on either side of them."""
    out = []
    for i, r in enumerate(rows):
        child, decom, rne, ls, cin, place, provider, dec, rec, reason, pl_post, urn = r
        if decom > year.end:
            continue
        if dec is not None and dec > year.end:
            dec, rec = None, None
        if ls in SHORT_BREAK:
            pl_post, urn = None, None
        if place in TEMPORARY_PLACEMENTS:
            provider, reason = None, None
        following = rows[i + 1] if i + 1 < len(rows) and rows[i + 1][0] == child else None
        if following is not None and following[5] in TEMPORARY_PLACEMENTS:
            reason = None
        if rec is None:
            reason = None
        out.append((child, decom, rne, ls, cin, place, provider, dec, rec, reason, None, pl_post, urn))
    return out


def _age_on(dob: date, day: date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))



def header_rows_of(header: list[tuple], first_child: dict[str, date], asked: set[str]) -> list[tuple]:
    """Header rows: UPN the UPN itself, else the UPN-unknown reason; MOTHER for the girls of ``asked`` (looked after
    in the year, not on short breaks only): 1 when ssd_person.pers_is_mother or a child in ssd_mother, else 0;
    MC_DOB the date of birth of her first child (ssd_mother)."""
    rows = []
    for child, sex, dob, ethnic, upn, upn_unknown, mother in header:
        girl = sex == "F" and child in asked
        is_mother = bool(mother) or child in first_child
        rows.append((child, sex or "U", dob, ethnic, upn or upn_unknown,
                     ("1" if is_mother else "0") if girl else None,
                     first_child.get(child) if girl and is_mother else None))
    return rows

def _with_home_postcodes(rows: list[tuple], addresses: list[tuple], uasc: set[str] | frozenset = frozenset()
                         ) -> list[tuple]:
    """HOME_POST: the child's home postcode on the day the episode started (ssd_address: the home address open
    that day, else any address open that day); none for short breaks, as for PL_POST, and none for the children of
    ``uasc`` (unaccompanied asylum-seeking children, now or formerly): they have no home in the UK from which the
    validator could measure a placement's distance, which must be blank for them (rule 406)."""
    by_child: dict[str, list[tuple]] = {}
    for child, start, end, postcode, is_home in addresses:
        by_child.setdefault(child, []).append((start, end, postcode, is_home))
    out = []
    for row in rows:
        child, decom, ls = row[0], row[1], row[3]
        home = None
        if ls not in SHORT_BREAK and child not in uasc:
            open_then = [a for a in by_child.get(child, [])
                         if (a[0] is None or a[0] <= decom) and (a[1] is None or a[1] > decom)]
            open_then.sort(key=lambda a: (not a[3], -(a[0].toordinal() if a[0] else 0)))
            home = open_then[0][2] if open_then else None
        out.append((*row[:10], home, *row[11:]))
    return out


def continuously_looked_after(rows: list[tuple], year: CollectionYear) -> set[str]:
    """Children looked after continuously for the 12 months to 31 March (the OC2 cohort), by the validator's own
    reading of the episodes: in care during the year, never entering or leaving care in it, no short breaks."""
    during: set[str] = set()
    broken: set[str] = set()
    for child, decom, rne, ls, _cin, _place, _prov, dec, rec, *_ in rows:
        in_year = decom <= year.end and (dec is None or dec >= year.start)
        if in_year:
            during.add(child)
        if ((rne == "S" and year.start < decom <= year.end)
                or (rec not in (None, "X1") and dec is not None and year.start <= dec < year.end)
                or (ls in SHORT_BREAK and in_year)):
            broken.add(child)
    return during - broken


def _uasc_rows(uasc: dict[str, tuple], dob_of: dict, sex_of: dict, year: CollectionYear) -> list[tuple]:
    """UASC: the children looked after in the year who were unaccompanied asylum-seeking children
    (ssd_immigration_status); DUC, the date the status ceased: its end or the 18th birthday, if in or before the
    year). Children whose status ceased before the year are left out."""
    out = []
    for child, (_since, until) in sorted(uasc.items()):
        dob = dob_of.get(child)
        if dob is None:
            continue
        eighteenth = _add_years(dob, 18)
        ceased = min(until, eighteenth) if until is not None else eighteenth
        if ceased < year.start:  # no longer UASC before the year: not in this year's table (rule 104)
            continue
        out.append((child, sex_of.get(child) or "U", dob, ceased if ceased <= year.end else None))
    return out


def _oc2_rows(inputs: list[tuple], continuous: set[str], dob_of: dict, year: CollectionYear) -> list[tuple]:
    """OC2: the children looked after continuously for 12 months at 31 March, with their health in the year
    (ssd_cla_health, ssd_cla_immunisations), substance misuse, convictions (aged 10 or over) and SDQ (aged 4 to 16;
    a reason when no score). Development checks (HEALTH_CHECK) only for the under-fives."""
    out = []
    for (child, health, teeth, development, immunised, intervention, misuse, convicted, sdq) in sorted(inputs):
        dob = dob_of.get(child)
        if child not in continuous or dob is None:
            continue
        age_end, age_start = _age_on(dob, year.end), _age_on(dob, year.start)
        score = reason = None
        if age_end >= 4 and age_start <= 16:  # aged 4 to 16 at some time in the year (rules 197B, 187, 188)
            if sdq:
                value, text = (sdq.strip("()").split(",") + [""])[:2]
                score = value.strip('" ') or None
                reason = None if score else (text.strip('" ') or "SDQ5")
            else:
                reason = "SDQ5"  # no SDQ recorded in the year: other reason
        out.append((child, dob, score, reason,
                    ("1" if convicted else "0") if age_end >= 10 else None,
                    ("1" if development else "0") if age_end < 5 else None,
                    "1" if immunised else "0", "1" if teeth else "0", "1" if health else "0",
                    "1" if misuse else "0",
                    ("1" if intervention else "0") if misuse else None,
                    # offered: asked only when none was received (rules 158, 159); the SSD holds no offer, so 0
                    "0" if misuse and not intervention else None))
    return out


def _ad1_rows(permanence: list[tuple], year: CollectionYear) -> list[tuple]:
    """AD1: the children adopted in the year (ssd_permanence, an adoption order in the year)."""
    out = []
    for (child, dob, decided, matched, by_carer, adopters, sex, legal, _placed, _rev, _reason, order_on,
         is_adoption) in permanence:
        if not is_adoption or order_on is None or not (year.start <= order_on <= year.end):
            continue
        out.append((child, dob, decided, matched, "1" if by_carer else "0", adopters, sex, legal))
    return out


def _placed_rows(permanence: list[tuple], year: CollectionYear) -> list[tuple]:
    """Placed for adoption: every decision that the child should be placed for adoption (ssd_permanence) live in the
    year (DATE_PLACED: the decision, the same date as AD1 DATE_INT), with the date and reason it was reversed."""
    out = []
    for (child, dob, decided, _m, _c, _n, _s, _l, _placed, reversed_on, reversed_reason, order_on,
         is_adoption) in permanence:
        started = decided  # DATE_PLACED: the date of the decision that the child should be placed for adoption
        if not is_adoption or started is None or started > year.end:
            continue
        if reversed_on is not None and reversed_on < year.start:
            continue
        if reversed_on is None and order_on is not None and order_on < year.start:
            continue
        ceased = reversed_on if reversed_on is not None and reversed_on <= year.end else None
        out.append((child, dob, started, ceased, reversed_reason if ceased else None))
    return out


def previous_permanence_code(text: str | None) -> str:
    lowered = (text or "").lower()
    return next((code for phrase, code in PREVIOUS_PERMANENCE_CODES if phrase in lowered), "Z1")


def _previous_rows(previous: list[tuple], starters: dict[str, date], la_code: str) -> list[tuple]:
    """Previous permanence: every child who started to be looked after in the year (RNE S, rule 630), with the
    option of ssd_cla_previous_permanence (P1 adoption, P2 special guardianship, P3 child arrangements order) or Z1
    (not known, no record); LA_PERM a DfE LA code (``la_code``, the LA's own DfE number, for "same LA"), else
    blank."""
    held = {row[0]: row for row in previous}
    out = []
    for child, dob in sorted(starters.items()):
        row = held.get(child)
        code = previous_permanence_code(row[2]) if row is not None else "Z1"
        if row is None or code == "Z1":
            out.append((child, dob, "Z1", None, None))
            continue
        out.append((child, dob, code, _la_perm(row[3], la_code), row[4]))
    return out


def _la_perm(text: str | None, la_code: str) -> str | None:
    value = (text or "").strip().upper()
    if re.fullmatch(r"\d{3}", value) or value in ("WAL", "SCO", "NUK", "NIR"):
        return value
    if value.startswith("SAME") or value in ("THIS LA", "OWN LA"):
        return la_code
    return None


OC2_FIELDS_BY_TABLE: dict[str, tuple[str, ...]] = {
    "ssd_sdq_scores": ("SDQ_SCORE", "SDQ_REASON"),
    "ssd_cla_convictions": ("CONVICTED",),
    "ssd_cla_health": ("HEALTH_CHECK", "TEETH_CHECK", "HEALTH_ASSESSMENT"),
    "ssd_cla_immunisations": ("IMMUNISATIONS",),
    "ssd_cla_substance_misuse": ("SUBSTANCE_MISUSE", "INTERVENTION_RECEIVED", "INTERVENTION_OFFERED"),
}


def _blank_absent_oc2(rows: list[tuple], absent: set[str]) -> list[tuple]:
    """OC2 fields of a table the extract did not carry: blank, not 0."""
    blank = {COLUMNS["oc2"].index(f) for t, fields in OC2_FIELDS_BY_TABLE.items() if t in absent for f in fields}
    if not blank:
        return rows
    return [tuple(None if i in blank else v for i, v in enumerate(r)) for r in rows]

def write_903(settings: Settings, la_code: str, year: CollectionYear, out: Path) -> Return903:
    """Write the SSDA903 CSV files of ``year`` into ``out`` (created owner-only); return the files and row counts."""
    from csc.las import identity_codes

    params = {"la": la_code, "year_start": year.start, "year_end": year.end}
    # the LA's DfE number (las.yml dfe_code): LA_PERM of an order the LA itself made; else its code
    dfe_number = identity_codes(settings, la_code)[1]
    with connect(settings, application="csc statutory 903") as conn:
        episodes = conn.execute(EPISODES_SQL, params).fetchall()
        if not episodes:
            raise StatutoryError(f"LA {la_code}: no children looked after in {year.name} in the warehouse "
                                 "(has an extract been loaded and built?)")
        children = sorted({row[0] for row in episodes})
        reviews = conn.execute(REVIEWS_SQL, params).fetchall()
        missing = conn.execute(MISSING_SQL, params).fetchall()
        leavers = conn.execute(OC3_SQL, params).fetchall()
        children = sorted(set(children) | {row[0] for row in leavers})
        header = conn.execute(
            "select distinct on (person_id) person_id, sex, date_of_birth, ethnicity, upn, upn_unknown_reason, "
            "is_mother from staging.stg_ssd__person where la_code = %(la)s and person_id = any(%(children)s) "
            "order by person_id", {**params, "children": children}).fetchall()
        scoped = {**params, "children": children}
        first_child = dict(conn.execute(MOTHER_SQL, scoped).fetchall())
        addresses = conn.execute(ADDRESS_SQL, scoped).fetchall()
        uasc = {r[0]: (r[1], r[2]) for r in conn.execute(UASC_SQL, scoped).fetchall()}
        oc2_inputs = conn.execute(OC2_SQL, scoped).fetchall()
        permanence = conn.execute(PERMANENCE_SQL, scoped).fetchall()
        previous = conn.execute(PREVIOUS_PERMANENCE_SQL, scoped).fetchall()
        absent = {r[0] for r in conn.execute(ABSENT_TABLES_SQL, params).fetchall()}
    oc3 = []
    for child, dob, in_touch, activ, text, suitability, left_on in leavers:
        accom = accommodation_code(text, suitability)
        age = year.end.year - dob.year - ((year.end.month, year.end.day) < (dob.month, dob.day))
        # 17- and 18-year-olds who left care after this year's birthday: no information is required (rule 1016)
        not_required = age in (17, 18) and left_on >= _add_years(dob, age)
        if not_required:
            continue
        if in_touch != "YES":  # not in touch, refused, died, returned home, not required: no activity, no home
            activ, accom = "0", "0"
        if not (in_touch and activ and accom):
            in_touch = activ = accom = None
        oc3.append((child, dob, in_touch, activ, accom))
    episode_rows = _with_home_postcodes(_episode_rows(episodes, year), addresses, set(uasc))
    looked_after = {r[0] for r in episode_rows}
    # children looked after only under short-break legal statuses (V3, V4): no mother field, no reviews
    short_breaks_only = looked_after - {r[0] for r in episode_rows if r[3] not in SHORT_BREAK}
    header_rows = header_rows_of(header, first_child, looked_after - short_breaks_only)
    dob_of = {r[0]: r[2] for r in header}
    sex_of = {r[0]: r[1] for r in header}
    continuous = continuously_looked_after(episode_rows, year)
    starters = {r[0]: dob_of.get(r[0]) for r in episode_rows if r[2] == "S" and r[1] >= year.start}
    tables: dict[str, list[tuple]] = {
        "header": header_rows,
        "episodes": episode_rows,
        "reviews": [r for r in reviews if r[0] not in short_breaks_only],
        "missing": missing,
        "oc3": oc3,
        "uasc": _uasc_rows(uasc, dob_of, sex_of, year),
        "oc2": _oc2_rows(oc2_inputs, continuous, dob_of, year),
        "ad1": _ad1_rows(permanence, year),
        "placed_for_adoption": _placed_rows(permanence, year),
        "previous_permanence": _previous_rows(previous, starters, dfe_number or la_code),
    }
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    result = Return903(folder=out)
    for item, sources in OPTIONAL_SOURCES.items():
        missing = [t for t in sources if t in absent]
        if not missing or (item == "oc2" and len(missing) < len(sources)):
            continue  # OC2 is written while one of its tables is held (the others' fields left blank)
        result.not_held[item] = ", ".join(missing)
        if "." in item:
            table, column = item.split(".")
            index = COLUMNS[table].index(column)
            tables[table] = [(*r[:index], None, *r[index + 1:]) for r in tables[table]]
        else:
            del tables[item]
    if "oc2" in tables:
        tables["oc2"] = _blank_absent_oc2(tables["oc2"], absent)
    for name, rows in tables.items():
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(COLUMNS[name])
            writer.writerows([_fmt(v) for v in row] for row in rows)
        path.chmod(0o600)
        result.files[name], result.rows[name] = path, len(rows)
    return result
