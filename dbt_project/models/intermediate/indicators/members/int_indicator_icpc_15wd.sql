{#
    ICPC_15WD members: initial child protection conferences held in the period that link to an S47 enquiry and are
    not dated before it, in the numerator when held within 15 working days of the S47 start.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

initial_conferences as (
    select * from {{ ref('int_initial_cp_conferences_timed') }}
),

final as (
    select
        {{ indicator_member_columns(
            'ICPC_15WD', periods='reporting_periods', subject_type='initial_cp_conference',
            subject_key='initial_conferences.initial_cp_conference_key', team_id='initial_conferences.team_id',
            numerator_when='initial_conferences.is_within_15_working_days'
        ) }}
    from initial_conferences
    {{ join_event_reporting_periods('initial_conferences', 'initial_conferences.conference_date') }}
    where initial_conferences.has_linked_s47
        and not initial_conferences.is_dated_before_s47
)

select * from final
