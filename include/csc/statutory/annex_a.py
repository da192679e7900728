"""Ofsted's Annex A lists (ILACS inspections) as one xlsx workbook, one sheet per list, with the published headings.

Each list is built from the published marts (the same facts as the indicators), with the LA's own child ids, names
of teams and workers from staging (as the casework lists do). The windows, relative to the as-of date D:

- List 1 contacts, List 3 referrals, List 4 assessments, List 5 section 47 enquiries: dated in the six months up to D
  (after D minus six months, on or before D); referrals exclude same-day duplicates, as the marts count them.
- List 2 early help: the early help episodes (ssd_early_help_episodes: the early help assessment, its start and
  completion) open at any time in those six months, one row per episode.
- List 6 children in need: CIN episodes (referrals not ending in no further action) open at any time in those six
  months; List 7 child protection plans open at any time in them; List 8 children looked after at any time in them
  (one row per child, their latest episode); List 9 care leavers: the care-leaver records of children aged 16-25 on D.
- List 10 adoption: the children with a decision that they should be placed for adoption (ssd_permanence's agency
  decision maker date) on or before D whose adoption journey was still open at any time in the 12 months up to D:
  neither a permanence order (adoption or other) nor a decision that they should no longer be placed for adoption
  on or before D minus 12 months. One row per permanence record; the family identifier from ssd_family.

List 11 (adopters) is not produced (:data:`NOT_PRODUCED`), and some columns of the others are left blank
(:data:`BLANK_COLUMNS`), never guessed. Lists 2 and 10 read optional SSD tables (ssd_early_help_episodes,
ssd_permanence, ssd_family): empty when the extract does not carry them, and the Notes sheet says so. List 8 and 9
take UASC, the permanence plan and the last health and dental checks from the optional SSD tables (empty when the
extract does not carry them).
Text is written as text: a value that looks like a formula gets Excel's quote prefix (csc.returns.formula_safety).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import xlsxwriter

from csc.returns.formula_safety import starts_like_formula
from csc.settings import Settings
from csc.statutory.years import StatutoryError
from csc.warehouse.connection import connect

COMMON = ["Child Unique ID", "Gender", "Ethnicity", "Date of Birth", "Age of Child (Years)"]

HEADINGS: dict[str, list[str]] = {
    "List 1": [*COMMON, "Date of Contact", "Contact Source"],
    "List 2": [*COMMON, "Assessment start date", "Assessment completion date", "Organisation completing assessment"],
    "List 3": [*COMMON, "Date of referral", "Referral Source", "Referral NFA?",
               "Number of Referrals in Last 12 Months", "Allocated Team", "Allocated Worker"],
    "List 4": [*COMMON, "Does the Child have a Disability", "Continuous Assessment Start Date",
               "Child Seen During Continuous Assessment", "Continuous Assessment Date of Authorisation",
               "Was the child assessed as requiring LA children's social care support?", "Allocated Team",
               "Allocated Worker"],
    "List 5": [*COMMON, "Does the Child have a Disability",
               "Strategy discussion initiating Section 47 Enquiry Start Date",
               "Was an Initial Child Protection Conference deemed unnecessary?",
               "Date of Initial Child Protection Conference",
               "Did the Initial Child Protection Conference Result in a Child Protection Plan",
               "Number of Section 47 Enquiries in the last 12 months", "Number of ICPCs in the last 12 months",
               "Allocated Team", "Allocated Worker"],
    "List 6": [*COMMON, "Does the Child have a Disability", "CIN Start Date", "Primary Need Code",
               "Date Child Was Last Seen", "CIN Closure Date", "Reason for Closure", "Case Status",
               "Allocated Team", "Allocated Worker"],
    "List 7": [*COMMON, "Does the Child have a Disability", "Child Protection Plan Start Date",
               "Initial Category of Abuse", "Latest Category of Abuse", "Date of the Last Statutory Visit",
               "Was the Child Seen Alone?", "Date of latest review conference", "Child Protection Plan End Date",
               "Subject to Emergency Protection Order or Protected Under Police Powers in Last Six Months (Y/N)",
               "Number of Previous Child Protection Plans", "Allocated Team", "Allocated Worker"],
    "List 8": [*COMMON, "Unaccompanied Asylum Seeking Child (UASC) within the Last 12 Months (Y/N)",
               "Does the Child have a Disability", "Date Started to be Looked After", "Child's Category of Need",
               "Is this a second or subsequent period of being a Looked After Child within the last 12 months (Y/N)",
               "Start date of current legal status", "Child's Legal Status", "Date of Latest Statutory Review",
               "Date of Last Social Work Visit", "What is the permanence plan for this child?",
               "Date of Last IRO Visit / Contact to the Child", "Date of Last Health Assessment",
               "Date of Last Dental Check", "Number of Placements in the Last 12 months",
               "Date Ceased to be Looked After", "Reason Ceased to be Looked After",
               "Start Date of Most Recent Placement", "Placement Type", "Placement Provider", "Placement postcode",
               "URN of Placement", "Placement Location", "LA of Placement",
               "Number of Episodes the Child has been 'Missing' from their Placement in the last 12 months",
               "Number of Episodes the Child has been 'Absent' from their Placement in the last 12 months",
               "Was the child offered a Return Interview after their last missing episode (Y/N)?",
               "Did the child accept a Return Interview after their last missing episode (Y/N)?",
               "Allocated Team", "Allocated Worker"],
    "List 9": [*COMMON, "Unaccompanied Asylum Seeking Child (UASC), or formerly UASC if 18 or over (Y/N)",
               "Does the Child have a Disability", "Allocated Team", "Allocated Worker", "Allocated Personal Advisor",
               "Eligibility Category", "Latest Pathway Plan Review Date", "LA in Touch", "Latest Date of Contact",
               "Type of Accommodation", "Suitability of Accommodation", "Activity Status"],
    # List 10 puts the family identifier second, before the other common columns
    "List 10": [COMMON[0], "Family identifier", *COMMON[1:], "Does the Child have a Disability",
                "Date the Child Entered Care", "Date of Decision that Child Should be Placed for Adoption",
                "Date of Placement Order", "Date of Matching Child and Prospective Adopters",
                "Date Placed for Adoption", "Date of Adoption Order",
                "Date of Decision that Child Should No Longer be Placed for Adoption",
                "Reason Why Child No Longer Placed for Adoption",
                "Date the child was placed for fostering in FFA or concurrent planning placement"],
}

TITLES = {"List 1": "Contacts", "List 2": "Early help", "List 3": "Referrals", "List 4": "Assessments",
          "List 5": "Section 47 enquiries", "List 6": "Children in need", "List 7": "Child protection",
          "List 8": "Children looked after",
          "List 9": "Care leavers", "List 10": "Adoption"}

NOT_PRODUCED: dict[str, str] = {
    "List 11 (adopters)": "adopters are not in the SSD",
}

# The optional SSD tables a list reads: when the extract does not carry one, the Notes sheet says the list (or
# column) is empty for that reason rather than for want of children.
OPTIONAL_TABLES: dict[str, tuple[str, ...]] = {
    "List 2": ("ssd_early_help_episodes",),
    "List 10": ("ssd_permanence", "ssd_family"),
}

BLANK_COLUMNS: dict[str, str] = {
    "List 8: Placement Location, LA of Placement": "ssd_address and a postcode lookup",
    "List 4: Was the child assessed as requiring LA children's social care support?": "the assessment outcome codes",
    "List 6: Date Child Was Last Seen": "CIN visits are held but not linked to the episode (left blank)",
}

GENDER = {"M": "a) Male", "F": "b) Female", "U": "c) Not stated/recorded", "I": "d) Neither"}
ETHNICITY = {code: f"{letter}) {code}" for letter, code in zip(
    "abcdefghijklmnopqrs", ["WBRI", "WIRI", "WIRT", "WOTH", "WROM", "MWBC", "MWBA", "MWAS", "MOTH", "AIND", "APKN",
                            "ABAN", "AOTH", "BCRB", "BAFR", "BOTH", "CHNE", "OOTH", "REFU"], strict=True)}
ETHNICITY["NOBT"] = "t) NOBT"
SOURCE = {"1A": "a) 1A: Individual", "1B": "b) 1B: Individual", "1C": "c) 1C: Individual", "1D": "d) 1D: Individual",
          "2A": "e) 2A: Schools", "2B": "f) 2B: Education services", "3A": "g) 3A: Health services",
          "3B": "h) 3B: Health services", "3C": "i) 3C: Health services", "3D": "j) 3D: Health services",
          "3E": "k) 3E: Health services", "3F": "l) 3F: Health services", "4": "m) 4: Housing",
          "5A": "n) 5A: LA services", "5B": "o) 5B: LA services", "5C": "p) 5C: LA services",
          "5D": "p1) 5D: LA services", "6": "q) 6: Police", "7": "r) 7: Other legal agency", "8": "s) 8: Other",
          "9": "t) 9: Anonymous", "10": "u) 10: Unknown"}
NEED = {"N0": "N0 - Not stated", "N1": "N1 - Abuse or neglect", "N2": "N2 - Child's disability",
        "N3": "N3 - Parental disability or illness", "N4": "N4 - Family in acute stress",
        "N5": "N5 - Family dysfunction", "N6": "N6 - Socially unacceptable behaviour", "N7": "N7 - Low income",
        "N8": "N8 - Absent parenting", "N9": "N9 - Cases other than children in need"}
ABUSE = {"NEG": "a) Neglect", "PHY": "b) Physical abuse", "SAB": "c) Sexual abuse", "EMO": "d) Emotional abuse",
         "MUL": "e) Multiple/not recommended"}
CLOSURE = {"RC1": "RC1 - Adopted", "RC2": "RC2 - Died", "RC3": "RC3 - Child arrangements order",
           "RC4": "RC4 - Special guardianship order",
           "RC5": "RC5 - Transferred to services of another local authority",
           "RC6": "RC6 - Transferred to adult social care services",
           "RC7": "RC7 - Services ceased for any other reason, including child no longer in need",
           "RC8": "RC8 - Case closed after assessment, no further action",
           "RC9": "RC9 - Case closed after assessment, referred to early help"}
LEGAL_STATUS = {"C1": "C1: ICO", "C2": "C2: FCO", "D1": "D1: Freeing order", "E1": "E1: Placement order",
                "V2": "V2: Single period under S20", "L1": "L1: Police protection LA accommodation",
                "L2": "L2: EPO", "L3": "L3: Child assessment order LA accommodation",
                "J1": "J1: Remanded to LA or youth detention", "J2": "J2: LA accommodation under PACE",
                "J3": "J3: Youth rehabilitation order", "V3": "V3: Short term breaks, episodes recorded",
                "V4": "V4: Short term breaks, agreements recorded"}
PROVIDER = {"PR0": "a) PR0: Parents/Parental responsibility", "PR1": "b) PR1: Own provision",
            "PR2": "c) PR2: Other LA provision", "PR3": "d) PR3: Other public provision",
            "PR4": "e) PR4: Private provision", "PR5": "f) PR5: Voluntary/third sector"}
REVERSAL = {"RD1": "RD1 - The child's needs changed subsequent to the decision",
            "RD2": "RD2 - The Court did not make a placement order",
            "RD3": "RD3 - Prospective adopters could not be found", "RD4": "RD4 - Any other reason"}
IN_TOUCH = {"YES": "a) Yes", "NO": "b) No", "DIED": "c) Died", "REFU": "d) Refu", "NREQ": "e) NREQ",
            "RHOM": "f) Rhom"}


def _yes_no(flag: bool | None, unknown: bool = False) -> str | None:
    if flag is None:
        return "c) Unknown" if unknown else None
    return "a) Yes" if flag else "b) No"


@dataclass
class AnnexA:
    path: Path
    rows: dict[str, int] = field(default_factory=dict)
    children: dict[str, set[str]] = field(default_factory=dict)
    not_held: dict[str, str] = field(default_factory=dict)  # list -> the optional SSD tables the extract lacks


# Every query: (child_id, sex, ethnicity, dob, <the list's own columns...>), ordered. %(d)s is the as-of date,
# %(w)s the window start (as-of minus six months, excluded), %(y)s a year before the as-of date (excluded).
PERSON = """
    join staging.stg_ssd__person pe on pe.la_code = f.la_code and pe.child_key = f.child_key
"""
TEAM_WORKER = """
    left join staging.stg_ssd__department dt on dt.la_code = f.la_code and dt.team_id = f.team_id
    left join lateral (select pr.worker_name from staging.stg_ssd__professionals pr
                       where pr.la_code = f.la_code and pr.worker_key = f.worker_key limit 1) wk on true
"""
QUERIES: dict[str, str] = {
    "List 1": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, f.contact_date, f.contact_source_code
        from staging.stg_ssd__contacts f """ + PERSON + """
        where f.la_code = %(la)s and f.contact_date > %(w)s and f.contact_date <= %(d)s
        order by f.contact_date, pe.person_id""",
    "List 2": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, f.episode_start_date,
               case when f.episode_end_date <= %(d)s then f.episode_end_date end, f.episode_organisation
        from staging.stg_ssd__early_help_episodes f """ + PERSON + """
        where f.la_code = %(la)s and f.episode_start_date <= %(d)s
          and (f.episode_end_date is null or f.episode_end_date > %(w)s)
        order by f.episode_start_date, pe.person_id""",
    "List 3": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, f.referral_date, f.referral_source_code,
               f.is_no_further_action,
               (select count(*) from marts.fct_referrals p
                where p.la_code = f.la_code and p.child_key = f.child_key and not p.is_same_day_duplicate
                  and p.referral_date > %(y)s and p.referral_date < f.referral_date),
               dt.team_name, wk.worker_name
        from marts.fct_referrals f """ + PERSON + TEAM_WORKER + """
        where f.la_code = %(la)s and f.referral_date > %(w)s and f.referral_date <= %(d)s
          and not f.is_same_day_duplicate
        order by f.referral_date, pe.person_id""",
    "List 4": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, dc.has_disability, f.assessment_start_date,
               f.is_child_seen, case when f.assessment_authorised_date <= %(d)s then f.assessment_authorised_date end,
               dt.team_name, wk.worker_name
        from marts.fct_assessments f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key""" + TEAM_WORKER + """
        where f.la_code = %(la)s and f.assessment_start_date > %(w)s and f.assessment_start_date <= %(d)s
        order by f.assessment_start_date, pe.person_id""",
    "List 5": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, dc.has_disability, f.s47_start_date,
               case when f.s47_end_date <= %(d)s then not coalesce(f.is_conference_recommended, false) end,
               case when f.first_conference_date <= %(d)s then f.first_conference_date end,
               (select bool_or(i.is_child_protection_plan_outcome) from marts.fct_initial_cp_conferences i
                where i.la_code = f.la_code and i.s47_enquiry_key = f.s47_enquiry_key and i.conference_date <= %(d)s),
               (select count(*) from marts.fct_s47_enquiries s
                where s.la_code = f.la_code and s.child_key = f.child_key and s.s47_start_date > %(y)s
                  and s.s47_start_date <= %(d)s),
               (select count(*) from marts.fct_initial_cp_conferences i
                where i.la_code = f.la_code and i.child_key = f.child_key and i.conference_date > %(y)s
                  and i.conference_date <= %(d)s),
               dt.team_name, wk.worker_name
        from marts.fct_s47_enquiries f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key""" + TEAM_WORKER + """
        where f.la_code = %(la)s and f.s47_start_date > %(w)s and f.s47_start_date <= %(d)s
        order by f.s47_start_date, pe.person_id""",
    "List 6": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, dc.has_disability, f.referral_date,
               f.primary_need_code, null::date,
               case when f.closure_date <= %(d)s then f.closure_date end,
               case when f.closure_date <= %(d)s then f.closure_reason_code end,
               case when f.closure_date <= %(d)s then 'e) Closed episode'
                    when exists (select 1 from marts.fct_cla_episodes e where e.la_code = f.la_code
                                 and e.child_key = f.child_key and e.episode_start_date <= %(d)s
                                 and (e.episode_ceased_date is null or e.episode_ceased_date > %(d)s))
                        then 'a) Looked after child'
                    when exists (select 1 from marts.fct_cp_plans c where c.la_code = f.la_code
                                 and c.child_key = f.child_key and c.cp_plan_start_date <= %(d)s
                                 and (c.cp_plan_end_date is null or c.cp_plan_end_date > %(d)s))
                        then 'b) Child Protection plan'
                    when exists (select 1 from staging.stg_ssd__cin_plans c where c.la_code = f.la_code
                                 and c.referral_key = f.referral_key and c.cin_plan_start_date <= %(d)s
                                 and (c.cin_plan_end_date is null or c.cin_plan_end_date > %(d)s))
                        then 'c) Child in need plan'
                    else 'd) Open assessment' end,
               dt.team_name, wk.worker_name
        from marts.fct_referrals f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key""" + TEAM_WORKER + """
        where f.la_code = %(la)s and f.referral_date <= %(d)s and (f.closure_date is null or f.closure_date > %(w)s)
          and not f.is_same_day_duplicate and not coalesce(f.is_no_further_action, false)
        order by f.referral_date, pe.person_id""",
    "List 7": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, dc.has_disability, f.cp_plan_start_date,
               f.initial_category_of_abuse, coalesce(f.latest_category_of_abuse, f.initial_category_of_abuse),
               v.visit_date, v.is_child_seen_alone,
               (select max(r.review_date) from marts.fct_cp_reviews r
                where r.la_code = f.la_code and r.cp_plan_key = f.cp_plan_key and r.review_date <= %(d)s),
               case when f.cp_plan_end_date <= %(d)s then f.cp_plan_end_date end,
               exists (select 1 from staging.stg_ssd__legal_status l where l.la_code = f.la_code
                       and l.child_key = f.child_key and upper(l.legal_status_code) in ('L1', 'L2')
                       and l.legal_status_start_date > %(w)s and l.legal_status_start_date <= %(d)s),
               f.earlier_plan_count, dt.team_name, wk.worker_name
        from marts.fct_cp_plans f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key
        left join lateral (select cv.visit_date, cv.is_child_seen_alone from staging.stg_ssd__cp_visits cv
                           where cv.la_code = f.la_code and cv.cp_plan_key = f.cp_plan_key
                             and cv.visit_date <= %(d)s order by cv.visit_date desc limit 1) v on true
        left join lateral (select r.team_id, r.worker_key from staging.stg_ssd__cin_episodes r
                           where r.la_code = f.la_code and r.referral_key = f.referral_key limit 1) a on true
        left join staging.stg_ssd__department dt on dt.la_code = f.la_code and dt.team_id = a.team_id
        left join lateral (select pr.worker_name from staging.stg_ssd__professionals pr
                           where pr.la_code = f.la_code and pr.worker_key = a.worker_key limit 1) wk on true
        where f.la_code = %(la)s and f.cp_plan_start_date <= %(d)s
          and (f.cp_plan_end_date is null or f.cp_plan_end_date > %(w)s)
        order by f.cp_plan_start_date, pe.person_id""",
    "List 8": """
        select distinct on (pe.person_id)
               pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, dc.has_disability, f.period_of_care_start_date,
               f.primary_need_code,
               exists (select 1 from marts.fct_cla_episodes e2 where e2.la_code = f.la_code
                       and e2.child_key = f.child_key and e2.period_of_care_key <> f.period_of_care_key
                       and e2.period_of_care_start_date < f.period_of_care_start_date
                       and e2.period_of_care_start_date > %(y)s),
               ls.legal_status_start_date, ls.legal_status_code,
               (select max(r.review_date) from marts.fct_cla_reviews r
                where r.la_code = f.la_code and r.period_of_care_key = f.period_of_care_key
                  and r.review_date <= %(d)s),
               (select max(v.visit_date) from marts.fct_cla_visits v
                where v.la_code = f.la_code and v.period_of_care_key = f.period_of_care_key
                  and v.visit_date <= %(d)s),
               f.last_iro_contact_date,
               (select count(*) from marts.fct_cla_placements p where p.la_code = f.la_code
                and p.child_key = f.child_key and p.placement_start_date <= %(d)s
                and (p.placement_end_date is null or p.placement_end_date > %(y)s)),
               case when f.period_of_care_end_date <= %(d)s then f.period_of_care_end_date end,
               case when f.period_of_care_end_date <= %(d)s then f.reason_episode_ceased_code end,
               pl.placement_start_date, pl.placement_type_code, pl.placement_provider_code, pl.placement_postcode,
               pl.placement_urn,
               (select count(*) from staging.stg_ssd__missing m where m.la_code = f.la_code
                and m.child_key = f.child_key and upper(m.missing_type_code) = 'M' and m.missing_start_date > %(y)s
                and m.missing_start_date <= %(d)s),
               (select count(*) from staging.stg_ssd__missing m where m.la_code = f.la_code
                and m.child_key = f.child_key and upper(m.missing_type_code) = 'A' and m.missing_start_date > %(y)s
                and m.missing_start_date <= %(d)s),
               mi.return_interview_offered, mi.return_interview_accepted,
               exists (select 1 from staging.stg_ssd__immigration_status u where u.la_code = f.la_code
                       and u.child_key = f.child_key and upper(u.immigration_status) like 'UASC%%'
                       and u.immigration_status_start_date <= %(d)s
                       and (u.immigration_status_end_date is null or u.immigration_status_end_date > %(y)s)),
               (select cp.cla_care_plan_json from staging.stg_ssd__cla_care_plan cp where cp.la_code = f.la_code
                and cp.child_key = f.child_key and cp.cla_care_plan_start_date <= %(d)s
                order by cp.cla_care_plan_start_date desc limit 1),
               (select max(h.health_check_date) from staging.stg_ssd__cla_health h where h.la_code = f.la_code
                and h.child_key = f.child_key and h.health_check_date <= %(d)s
                and lower(h.health_check_type) like '%%health%%'
                and lower(coalesce(h.health_check_status, 'completed')) like 'complete%%'),
               (select max(h.health_check_date) from staging.stg_ssd__cla_health h where h.la_code = f.la_code
                and h.child_key = f.child_key and h.health_check_date <= %(d)s
                and lower(h.health_check_type) like '%%dental%%'
                and lower(coalesce(h.health_check_status, 'completed')) like 'complete%%')
        from marts.fct_cla_episodes f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key
        left join lateral (select l.legal_status_start_date, l.legal_status_code from staging.stg_ssd__legal_status l
                           where l.la_code = f.la_code and l.child_key = f.child_key
                             and l.legal_status_start_date <= %(d)s
                           order by l.legal_status_start_date desc limit 1) ls on true
        left join lateral (select p.* from staging.stg_ssd__cla_placement p
                           where p.la_code = f.la_code and p.period_of_care_key = f.period_of_care_key
                             and p.placement_start_date <= %(d)s
                           order by p.placement_start_date desc limit 1) pl on true
        left join lateral (select m.return_interview_offered, m.return_interview_accepted
                           from staging.stg_ssd__missing m where m.la_code = f.la_code
                             and m.child_key = f.child_key and m.missing_start_date <= %(d)s
                           order by m.missing_start_date desc limit 1) mi on true
        where f.la_code = %(la)s and f.episode_start_date <= %(d)s
          and (f.episode_ceased_date is null or f.episode_ceased_date > %(w)s)
        order by pe.person_id, f.episode_start_date desc""",
    "List 9": """
        select distinct on (pe.person_id)
               pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, dc.has_disability, dt.team_name,
               wk.worker_name, f.personal_advisor, f.eligibility, f.pathway_plan_review_date, f.in_touch_code,
               f.latest_contact_date, f.accommodation, f.accommodation_suitability, f.activity_code,
               exists (select 1 from staging.stg_ssd__immigration_status u where u.la_code = f.la_code
                       and u.child_key = f.child_key and upper(u.immigration_status) like 'UASC%%'
                       and u.immigration_status_start_date <= %(d)s)
        from staging.stg_ssd__care_leavers f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key""" + TEAM_WORKER + """
        where f.la_code = %(la)s
          and pe.date_of_birth <= %(d)s::date - interval '16 years'
          and pe.date_of_birth > %(d)s::date - interval '26 years'
        order by pe.person_id, f.latest_contact_date desc nulls last""",
    "List 10": """
        select pe.person_id, pe.sex, pe.ethnicity, pe.date_of_birth, fa.family_id, dc.has_disability,
               (select max(e.period_of_care_start_date) from marts.fct_cla_episodes e where e.la_code = f.la_code
                and e.child_key = f.child_key and e.period_of_care_start_date <= f.adm_decision_date),
               f.adm_decision_date,
               case when f.placement_order_date <= %(d)s then f.placement_order_date end,
               case when f.matched_date <= %(d)s then f.matched_date end,
               case when f.placed_for_adoption_date <= %(d)s then f.placed_for_adoption_date end,
               case when f.permanence_order_date <= %(d)s
                         and lower(coalesce(f.permanence_order_type, '')) like 'adoption%%'
                    then f.permanence_order_date end,
               case when f.decision_reversed_date <= %(d)s then f.decision_reversed_date end,
               case when f.decision_reversed_date <= %(d)s then f.decision_reversed_reason end,
               case when f.placed_ffa_cp_date <= %(d)s then f.placed_ffa_cp_date end
        from staging.stg_ssd__permanence f """ + PERSON + """
        left join marts.dim_child dc on dc.la_code = f.la_code and dc.child_key = f.child_key
        left join lateral (select m.family_id from staging.stg_ssd__family m
                           where m.la_code = f.la_code and m.child_key = f.child_key and m.family_id is not null
                           order by m.family_id limit 1) fa on true
        where f.la_code = %(la)s and f.adm_decision_date <= %(d)s
          and (f.permanence_order_date is null or f.permanence_order_date > %(y)s)
          and (f.decision_reversed_date is null or f.decision_reversed_date > %(y)s)
        order by f.adm_decision_date, pe.person_id""",
}

ELIGIBILITY = {"relevant": "a) Relevant child", "former relevant": "b) Former relevant child",
               "qualifying": "c) Qualifying care leaver", "eligible": "d) Eligible child"}
ACCOMMODATION_LABELS = {
    "B": "B: Parents/relatives", "C": "C: Community home/residential care",
    "D": "D: Semi-independent, transitional accommodation and self-contained accommodation",
    "E": "E: Supported lodgings", "G": "G: Abroad", "H": "H: Deported",
    "K": "K: Ordinary lodgings, without formal support", "R": "R: Residence not known",
    "S": "S: No fixed adobe/homeless", "T": "T: Foyers and similar supported accommodation",
    "U": "U: Independent living", "V": "V: Emergency accommodation", "W": "W: Bed and breakfast",
    "X": "X: In custody", "Y": "Y: Other accommodation", "Z": "Z: With former foster carers"}


def _age(dob: date | None, on: date) -> int | None:
    if dob is None:
        return None
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def _eligibility(text: str | None) -> str | None:
    lowered = (text or "").strip().lower()
    for phrase in ("former relevant", "relevant", "qualifying", "eligible"):
        if lowered.startswith(phrase):
            return ELIGIBILITY[phrase]
    return text


def _accommodation(text: str | None) -> str | None:
    from csc.statutory.ssda903 import ACCOMMODATION_CODES

    lowered = (text or "").lower()
    letter = next((code for phrase, code in ACCOMMODATION_CODES if phrase in lowered), None)
    return ACCOMMODATION_LABELS.get(letter, text) if text else None


def _permanence_plan(plan_json: str | None) -> str | None:
    """The permanence plan of ssd_cla_care_plan's JSON: the key(s) flagged Y (e.g. REMAINSTAY), or its text."""
    if not plan_json:
        return None
    try:
        document = json.loads(plan_json)
    except ValueError:
        return plan_json
    if isinstance(document, dict):
        chosen = [str(k) for k, v in document.items() if str(v).strip().upper() in ("Y", "YES", "1", "TRUE")]
        return ", ".join(chosen) or None
    return str(document)


def _shape(name: str, row: tuple, as_of: date) -> list:
    """The list's row: the common columns, then the list's own, labelled as Ofsted publishes them."""
    child, sex, ethnicity, dob, *rest = row
    common = [child, GENDER.get((sex or "").upper(), "c) Not stated/recorded"),
              ETHNICITY.get((ethnicity or "").upper(), "t) NOBT"), dob, _age(dob, as_of)]
    if name == "List 10":
        family, disabled, entered, decided, order, matched, placed, adopted, reversed, reason, ffa = rest
        return [child, family, *common[1:], _yes_no(disabled, True), entered, decided, order, matched, placed,
                adopted, reversed, REVERSAL.get((reason or "").upper(), reason) if reversed else None, ffa]
    if name == "List 1":
        contact_date, source = rest
        own = [contact_date, SOURCE.get(source or "", "u) 10: Unknown")]
    elif name == "List 2":
        started, completed, organisation = rest
        own = [started, completed, organisation]
    elif name == "List 3":
        day, source, nfa, previous, team, worker = rest
        own = [day, SOURCE.get(source or "", "u) 10: Unknown"), _yes_no(bool(nfa)), previous, team, worker]
    elif name == "List 4":
        disabled, start, seen, authorised, team, worker = rest
        own = [_yes_no(disabled, True), start, _yes_no(seen, True), authorised, None, team, worker]
    elif name == "List 5":
        disabled, start, unnecessary, icpc, to_plan, s47s, icpcs, team, worker = rest
        own = [_yes_no(disabled, True), start, _yes_no(unnecessary), icpc, _yes_no(to_plan), s47s, icpcs, team,
               worker]
    elif name == "List 6":
        disabled, start, need, seen, closed, reason, status, team, worker = rest
        own = [_yes_no(disabled, True), start, NEED.get(need or "", "N0 - Not stated"), seen, closed,
               CLOSURE.get(reason or ""), status, team, worker]
    elif name == "List 7":
        disabled, start, initial, latest, visit, alone, review, end, epo, previous, team, worker = rest
        own = [_yes_no(disabled, True), start, ABUSE.get((initial or "").upper()), ABUSE.get((latest or "").upper()),
               visit, _yes_no(alone, True) if visit else None, review, end, "a) Yes" if epo else "b) No",
               previous, team, worker]
    elif name == "List 8":
        (disabled, started, need, second, ls_start, ls, review, visit, iro, placements, ceased, reason,
         pl_start, pl_type, provider, postcode, urn, missing, absent, offered, accepted, uasc, plan, health,
         dental) = rest
        own = [_yes_no(uasc), _yes_no(disabled, True), started, NEED.get(need or "", "N0 - Not stated"),
               "a) Yes" if second else "b) No", ls_start, LEGAL_STATUS.get((ls or "").upper(), ls), review, visit,
               _permanence_plan(plan), iro, health, dental, placements, ceased, reason, pl_start, pl_type,
               PROVIDER.get((provider or "").upper(), provider), postcode, urn, None, None, missing, absent,
               _yes_no(offered, True) if offered is not None else None,
               _yes_no(accepted, True) if accepted is not None else None, None, None]
    else:  # List 9
        (disabled, team, worker, advisor, eligibility, pathway, in_touch, contact, accommodation, suitability,
         activity, uasc) = rest
        suitable = (suitability or "").strip().lower()
        own = [_yes_no(uasc), _yes_no(disabled, True), team, worker, advisor, _eligibility(eligibility), pathway,
               IN_TOUCH.get((in_touch or "").upper(), in_touch), contact, _accommodation(accommodation),
               "a) Suitable" if suitable == "suitable" else "b) Unsuitable" if suitable else None, activity]
    return common + own


def six_months_before(day: date) -> date:
    """The same day six months earlier (the last day of that month when it is shorter): the start of a list's window."""
    month, year = day.month - 6, day.year
    if month <= 0:
        month, year = month + 12, year - 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def window(la_code: str, as_of: date) -> dict:
    """The query parameters of an as-of date: %(d)s, %(w)s (six months before) and %(y)s (a year before)."""
    return {"la": la_code, "d": as_of, "w": six_months_before(as_of),
            "y": date(as_of.year - 1, as_of.month, 28 if (as_of.month, as_of.day) == (2, 29) else as_of.day)}


ABSENT_TABLES_SQL = """
select distinct s.table_name from ops.extract_shape s
join ops.build_batches b on b.batch_id = s.batch_id
where b.la_code = %(la)s and s.kind = 'missing_table'
"""


def not_held(settings: Settings, la_code: str) -> dict[str, str]:
    """The lists that read an optional SSD table the LA's built extract does not carry, and those tables."""
    with connect(settings, application="csc statutory annex-a") as conn:
        absent = {r[0] for r in conn.execute(ABSENT_TABLES_SQL, {"la": la_code}).fetchall()}
    return {name: ", ".join(t for t in tables if t in absent) for name, tables in OPTIONAL_TABLES.items()
            if absent.intersection(tables)}


def list_rows(settings: Settings, la_code: str, as_of: date) -> dict[str, list[list]]:
    """Every list's rows (already labelled), as written to the workbook."""
    params = window(la_code, as_of)
    out: dict[str, list[list]] = {}
    with connect(settings, application="csc statutory annex-a") as conn:
        for name, query in QUERIES.items():
            out[name] = [_shape(name, row, as_of) for row in conn.execute(query, params).fetchall()]
    return out


def write_annex_a(settings: Settings, la_code: str, as_of: date, out: Path) -> AnnexA:
    lists = list_rows(settings, la_code, as_of)
    if not any(lists.values()):
        raise StatutoryError(f"LA {la_code}: nothing in the warehouse for Annex A up to {as_of} "
                             "(has an extract been loaded, built and published?)")
    out.mkdir(parents=True, exist_ok=True)
    out.chmod(0o700)
    path = out / f"annex_a_{la_code}_{as_of.isoformat()}.xlsx"
    result = AnnexA(path=path, not_held=not_held(settings, la_code))
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                               "strings_to_numbers": False})
    header = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    text = workbook.add_format({})
    quoted = workbook.add_format({"quote_prefix": True})
    dated = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in lists.items():
        sheet = workbook.add_worksheet(f"{name} {TITLES[name]}"[:31])
        headings = HEADINGS[name]
        for col, heading in enumerate(headings):
            sheet.write_string(0, col, heading, header)
            sheet.set_column(col, col, 18)
        for r, row in enumerate(rows, start=1):
            if len(row) != len(headings):
                raise AssertionError(f"{name}: {len(row)} values for {len(headings)} headings")
            for col, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    sheet.write_datetime(r, col, value, dated)
                elif isinstance(value, bool):
                    sheet.write_string(r, col, "a) Yes" if value else "b) No", text)
                elif isinstance(value, int):
                    sheet.write_number(r, col, value)
                else:
                    value = str(value)
                    sheet.write_string(r, col, value, quoted if starts_like_formula(value) else text)
        sheet.freeze_panes(1, 0)
        result.rows[name] = len(rows)
        result.children[name] = {str(row[0]) for row in rows}
    notes = workbook.add_worksheet("Notes")
    notes.write_string(0, 0, f"Annex A of LA {la_code} as of {as_of.isoformat()}, from the published warehouse.",
                       header)
    line = 2
    missing = {f"{name} ({TITLES[name].lower()})": f"the extract does not carry {tables} (the list may be short)"
               for name, tables in result.not_held.items()}
    for what, why in {**NOT_PRODUCED, **BLANK_COLUMNS, **missing}.items():
        notes.write_string(line, 0, what, quoted if starts_like_formula(what) else text)
        notes.write_string(line, 1, f"not produced / left blank: {why}")
        line += 1
    notes.set_column(0, 0, 70)
    notes.set_column(1, 1, 70)
    workbook.close()
    path.chmod(0o600)
    return result
