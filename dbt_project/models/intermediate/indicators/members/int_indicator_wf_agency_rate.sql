{#
    WF_AGENCY_RATE members: every worker role in post on the date adds its FTE to the denominator (agency FTE +
    LA-employed FTE); agency workers' FTE is also the numerator.
#}
with

workers as (
    select * from {{ ref('int_workers_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'WF_AGENCY_RATE', as_at='as_at_date', subject_type='worker', subject_key='worker_key',
            team_id='team_id', numerator='case when is_agency_worker then full_time_equivalent else 0 end',
            denominator='full_time_equivalent'
        ) }}
    from workers
)

select * from final
