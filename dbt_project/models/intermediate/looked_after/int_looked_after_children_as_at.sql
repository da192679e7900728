{#
    One row per child with an open looked-after episode at each reporting date D, with what the CLA indicators
    need: whether the child is only on short breaks (at least one legal status open on D and every one V3 or V4:
    then not counted as looked after), age on D, when care started (the earliest start of the periods of care of
    the child's open episodes), whether every open period's reviews are on time, placements in the 12 months to D
    (records started on or before D and not ended by D - 12 months), whether a placement open on D started 2 years
    or more before, and how long since the later of the last visit and the start of care.
#}
with

cla_episodes_on_date as (
    select * from {{ ref('int_cla_episodes_as_at') }}
),

placements as (
    select * from {{ ref('stg_ssd__cla_placement') }}
),

legal_statuses as (
    select * from {{ ref('stg_ssd__legal_status') }}
),

cla_visits as (
    select * from {{ ref('stg_ssd__cla_visits') }}
),

people as (
    select * from {{ ref('stg_ssd__person') }}
),

children_with_open_episodes as (
    select
        la_code,
        as_at_date,
        child_key,
        min(period_of_care_start_date) as care_started_on,
        min(next_review_due_date) as next_review_due_date,
        count(*) as open_episodes,
        bool_and(are_reviews_on_time) as are_reviews_on_time
    from cla_episodes_on_date
    group by la_code, as_at_date, child_key
),

legal_status_on_date as (
    select
        children.la_code,
        children.as_at_date,
        children.child_key,
        bool_and(legal_statuses.legal_status_code in ('V3', 'V4')) as is_short_breaks_only
    from children_with_open_episodes as children
    inner join legal_statuses
        on children.la_code = legal_statuses.la_code
        and children.child_key = legal_statuses.child_key
        and legal_statuses.legal_status_start_date <= children.as_at_date
        and (legal_statuses.legal_status_end_date is null
            or legal_statuses.legal_status_end_date > children.as_at_date)
    group by children.la_code, children.as_at_date, children.child_key
),

placements_on_date as (
    select
        children.la_code,
        children.as_at_date,
        children.child_key,
        count(*) as placements_in_last_12_months,
        min(placements.placement_start_date) filter (
            where placements.placement_end_date is null or placements.placement_end_date > children.as_at_date
        ) as earliest_open_placement_start_date
    from children_with_open_episodes as children
    inner join placements
        on children.la_code = placements.la_code
        and children.child_key = placements.child_key
        and placements.placement_start_date <= children.as_at_date
        and (placements.placement_end_date is null
            or placements.placement_end_date > (children.as_at_date - interval '12 months')::date)
    group by children.la_code, children.as_at_date, children.child_key
),

visits_and_counted as (
    -- visits interleaved with the dates the child is counted at: the latest visit on or before each date is a
    -- running maximum (a visit on the date itself comes first)
    select
        la_code,
        child_key,
        visit_date as event_date,
        visit_date,
        false as is_as_at_date
    from cla_visits
    where visit_date is not null
        and child_key is not null
    union all
    select
        la_code,
        child_key,
        as_at_date,
        null,
        true
    from children_with_open_episodes
),

last_visits as (
    select
        la_code,
        event_date as as_at_date,
        child_key,
        last_visit_date
    from (
        select
            *,
            max(visit_date) over (
                partition by la_code, child_key order by event_date, is_as_at_date
                rows between unbounded preceding and current row
            ) as last_visit_date
        from visits_and_counted
    ) as running
    where is_as_at_date
),

dates_of_birth as (
    select distinct on (la_code, child_key)
        la_code,
        child_key,
        date_of_birth
    from people
    where child_key is not null
    order by la_code, child_key, source_line_no
),

final as (
    select
        children.la_code,
        children.as_at_date,
        children.child_key,
        children.care_started_on,
        placements_on_date.earliest_open_placement_start_date,
        last_visits.last_visit_date,
        children.next_review_due_date,
        extract(year from age(children.as_at_date, dates_of_birth.date_of_birth))::int as age_in_years,
        coalesce(placements_on_date.placements_in_last_12_months, 0) as placements_in_last_12_months,
        children.as_at_date - greatest(children.care_started_on, last_visits.last_visit_date)
            as days_since_visited_or_care_started,
        children.open_episodes,
        coalesce(legal_status_on_date.is_short_breaks_only, false) as is_short_breaks_only,
        coalesce(children.are_reviews_on_time, false) as are_reviews_on_time,
        coalesce(
            children.as_at_date - greatest(children.care_started_on, last_visits.last_visit_date)
                <= {{ var('cla_visit_days') }},
            false
        ) as is_visited_within_6_weeks,
        coalesce(
            (children.care_started_on + interval '30 months')::date <= children.as_at_date, false
        ) as is_looked_after_2_years_6_months_or_more,
        coalesce(
            (placements_on_date.earliest_open_placement_start_date + interval '24 months')::date
                <= children.as_at_date,
            false
        ) as is_in_same_placement_2_years_or_more
    from children_with_open_episodes as children
    left join legal_status_on_date
        on children.la_code = legal_status_on_date.la_code
        and children.as_at_date = legal_status_on_date.as_at_date
        and children.child_key = legal_status_on_date.child_key
    left join placements_on_date
        on children.la_code = placements_on_date.la_code
        and children.as_at_date = placements_on_date.as_at_date
        and children.child_key = placements_on_date.child_key
    left join last_visits
        on children.la_code = last_visits.la_code
        and children.as_at_date = last_visits.as_at_date
        and children.child_key = last_visits.child_key
    left join dates_of_birth
        on children.la_code = dates_of_birth.la_code
        and children.child_key = dates_of_birth.child_key
)

select * from final
