{#
    One row per period of care (the looked-after episodes sharing a CLA id): the child, when the period started
    (its first episode), when it ended (blank while any episode is open) and how many episodes it has.
#}
with

cla_episodes as (
    select * from {{ ref('stg_ssd__cla_episodes') }}
),

final as (
    select
        la_code,
        period_of_care_key,
        min(child_key) as child_key,
        min(episode_start_date) as period_of_care_start_date,
        case
            when bool_and(episode_ceased_date is not null) then max(episode_ceased_date)
        end as period_of_care_end_date,
        count(*) as episode_count
    from cla_episodes
    where period_of_care_key is not null
    group by la_code, period_of_care_key
)

select * from final
