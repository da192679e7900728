{#
    Section 47 enquiries started more than 15 working days before the extract date with no initial child
    protection conference recorded for them (no conference record carries their id) and still awaiting one: the
    enquiry is still open, or it ended with a conference recommended (outcome CP_CONFERENCE_FLAG Y). An enquiry
    closed without that flag needed no conference. The S47-to-ICPC backlog, with the child and the enquiry's team.
#}
with

s47_enquiries as (
    select * from {{ ref('int_s47_enquiries_linked') }}
),

reporting_dates as (
    select * from {{ ref('int_reporting_dates') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

extract_dates as (
    select reporting_dates.*
    from reporting_dates
    inner join build_batches
        on reporting_dates.la_code = build_batches.la_code
        and reporting_dates.as_at_date = build_batches.extract_date
),

awaiting as (
    select
        s47_enquiries.la_code,
        s47_enquiries.s47_enquiry_key,
        s47_enquiries.child_key,
        s47_enquiries.team_id,
        s47_enquiries.source_line_no,
        s47_enquiries.s47_start_date,
        s47_enquiries.s47_end_date,
        extract_dates.as_at_date,
        extract_dates.working_day_index - s47_enquiries.start_working_day_index as working_days_since_start
    from s47_enquiries
    inner join extract_dates
        on s47_enquiries.la_code = extract_dates.la_code
        and s47_enquiries.s47_start_date <= extract_dates.as_at_date
    where extract_dates.working_day_index - s47_enquiries.start_working_day_index > 15
        and s47_enquiries.conference_count = 0
        and (s47_enquiries.s47_end_date is null or coalesce(s47_enquiries.outcome_cp_conference, false))
),

{{ casework_list('awaiting', record_model='stg_ssd__s47_enquiry', record_id='s47_enquiry_id', team_from='listed', columns=[
    'awaiting.s47_start_date', 'awaiting.s47_end_date', 'awaiting.working_days_since_start',
    'awaiting.working_days_since_start - 15 as working_days_overdue'
]) }}

select * from final
