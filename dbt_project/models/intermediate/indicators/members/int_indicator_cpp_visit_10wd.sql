{#
    CPP_VISIT_10WD members: children on a CP plan at the date, in the numerator when seen on a CP visit within the
    last 10 working days (var cp_visit_working_days) up to and including the date, or when their plan started
    within them (see int_cp_children_as_at).
#}
with

cp_children as (
    select * from {{ ref('int_cp_children_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CPP_VISIT_10WD', as_at='as_at_date', subject_type='child', subject_key='child_key', case_type="'CP'",
            numerator_when='is_seen_within_visit_standard'
        ) }}
    from cp_children
)

select * from final
