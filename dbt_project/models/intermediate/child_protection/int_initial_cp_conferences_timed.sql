{#
    One row per initial child protection conference record with the start of the S47 enquiry it links to and the
    working days between them. A conference dated before its S47 starts is flagged (ICPC_15WD leaves it out of
    numerator and denominator). The conference links to an S47 when its S47 enquiry id is found with a start date;
    when the id occurs more than once, its first record (in file order) gives the start date.
#}
with

initial_conferences as (
    select * from {{ ref('stg_ssd__initial_cp_conference') }}
),

s47_enquiries as (
    select * from {{ ref('stg_ssd__s47_enquiry') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

s47_starts as (
    select distinct on (la_code, s47_enquiry_key)
        la_code,
        s47_enquiry_key,
        s47_start_date
    from s47_enquiries
    where s47_enquiry_key is not null
    order by la_code, s47_enquiry_key, source_line_no
),

final as (
    select
        initial_conferences.la_code,
        initial_conferences.initial_cp_conference_key,
        initial_conferences.child_key,
        initial_conferences.s47_enquiry_key,
        initial_conferences.cp_plan_key,
        initial_conferences.referral_key,
        initial_conferences.team_id,
        initial_conferences.worker_key,
        initial_conferences.conference_date,
        initial_conferences.conference_target_date,
        s47_starts.s47_start_date,
        {{ working_days_between('start_day.working_day_index', 'conference_day.working_day_index') }}
            as working_days_from_s47_start,
        initial_conferences.is_transfer_in,
        initial_conferences.is_child_protection_plan_outcome,
        s47_starts.s47_start_date is not null as has_linked_s47,
        initial_conferences.conference_date < s47_starts.s47_start_date as is_dated_before_s47,
        {{ working_days_between('start_day.working_day_index', 'conference_day.working_day_index') }} <= 15
            as is_within_15_working_days
    from initial_conferences
    left join s47_starts
        on initial_conferences.la_code = s47_starts.la_code
        and initial_conferences.s47_enquiry_key = s47_starts.s47_enquiry_key
    left join calendar as start_day on s47_starts.s47_start_date = start_day.date_day
    left join calendar as conference_day on initial_conferences.conference_date = conference_day.date_day
)

select * from final
