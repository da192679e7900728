{#
    One row per section 47 enquiry record with the initial child protection conference(s) held for it (linked by
    the conference's S47 enquiry id): the first conference date and the working days from the S47 start to it.
#}
with

s47_enquiries as (
    select * from {{ ref('stg_ssd__s47_enquiry') }}
),

initial_conferences as (
    select * from {{ ref('stg_ssd__initial_cp_conference') }}
),

calendar as (
    select * from {{ ref('int_calendar_days') }}
),

conferences_per_enquiry as (
    select
        la_code,
        s47_enquiry_key,
        min(conference_date) as first_conference_date,
        count(*) as conference_count
    from initial_conferences
    where s47_enquiry_key is not null
    group by la_code, s47_enquiry_key
),

final as (
    select
        s47_enquiries.la_code,
        s47_enquiries.s47_enquiry_key,
        s47_enquiries.child_key,
        s47_enquiries.referral_key,
        s47_enquiries.team_id,
        s47_enquiries.worker_key,
        s47_enquiries.source_line_no,
        s47_enquiries.s47_start_date,
        s47_enquiries.s47_end_date,
        conferences_per_enquiry.first_conference_date,
        start_day.working_day_index as start_working_day_index,
        {{ working_days_between('start_day.working_day_index', 'conference_day.working_day_index') }}
            as working_days_to_first_conference,
        coalesce(conferences_per_enquiry.conference_count, 0) as conference_count,
        s47_enquiries.is_no_further_action,
        s47_enquiries.outcome_nfa,
        s47_enquiries.outcome_cp_conference
    from s47_enquiries
    left join conferences_per_enquiry
        on s47_enquiries.la_code = conferences_per_enquiry.la_code
        and s47_enquiries.s47_enquiry_key = conferences_per_enquiry.s47_enquiry_key
    left join calendar as start_day on s47_enquiries.s47_start_date = start_day.date_day
    left join calendar as conference_day on conferences_per_enquiry.first_conference_date = conference_day.date_day
)

select * from final
