{#
    WF_NQSW_SHARE members: every worker role in post on the date counts once in the denominator, and in the
    numerator when the worker qualified less than two years before the date.
#}
with

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'WF_NQSW_SHARE', as_at='as_at_date', subject_type='worker', subject_key='worker_key', team_id='team_id',
            numerator_when='is_newly_qualified'
        ) }}
    from workers
)

select * from final
