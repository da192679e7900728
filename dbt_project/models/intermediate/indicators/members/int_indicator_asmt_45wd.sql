{#
    ASMT_45WD members: assessments authorised in the period that have a start date (without one the duration is
    unknown), in the numerator when authorised within 45 working days of the start (see int_assessments_timed;
    one authorised before it started took 0 working days).
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

assessments as (
    select * from {{ ref('int_assessments_timed') }}
),

final as (
    select
        {{ indicator_member_columns(
            'ASMT_45WD', periods='reporting_periods', subject_type='assessment',
            subject_key='assessments.assessment_key', team_id='assessments.team_id',
            numerator_when='assessments.is_authorised_within_45_working_days'
        ) }}
    from assessments
    {{ join_event_reporting_periods('assessments', 'assessments.assessment_authorised_date') }}
    where assessments.assessment_start_date is not null
)

select * from final
