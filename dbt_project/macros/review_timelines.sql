{#
    Review timeliness, the same rule for child protection plans and periods of care (looked after). A parent record
    (a plan, a period of care: its key parent_key) is described by stretches of time between its reviews.
#}

{#
    Writes the CTEs stretches_ordered and final of a review timeline model from `stretches`: one row before the
    first review (reviews_held 0) and one after each review, with la_code, parent_key, child_key, start_date (the
    parent's start), reviews_held, stretch_start_date, reviewed_on and next_review_due_date. Each stretch ends where
    the next starts, its review was due by the previous stretch's next_review_due_date, and it carries how many
    reviews so far were late (held after their due date). The model ends with `select * from final`.
#}
{% macro review_timeline(stretches, parent_key, start_date) -%}
stretches_ordered as (
    select
        *,
        lead(stretch_start_date) over (
            partition by la_code, {{ parent_key }} order by reviews_held
        ) as stretch_end_date,
        lag(next_review_due_date) over (
            partition by la_code, {{ parent_key }} order by reviews_held
        ) as this_review_due_date
    from {{ stretches }}
),

final as (
    select
        la_code,
        {{ parent_key }},
        child_key,
        {{ start_date }},
        reviews_held,
        stretch_start_date,
        stretch_end_date,
        reviewed_on,
        this_review_due_date,
        next_review_due_date,
        sum(case when reviewed_on > this_review_due_date then 1 else 0 end) over (
            partition by la_code, {{ parent_key }} order by reviews_held
            rows between unbounded preceding and current row
        )::int as late_reviews_so_far
    from stretches_ordered
)
{%- endmacro %}

{#
    The body of a CTE review_status: for each row of open_records (la_code, as_at_date, parent_key) the stretch of
    its review timeline (a model written with review_timeline) in which as_at_date falls, as la_code, as_at_date,
    parent_key, reviews_held, next_review_due_date and late_reviews_so_far.
#}
{% macro review_stretch_on_date(open_records, review_timelines, parent_key) -%}
    select distinct on ({{ open_records }}.la_code, {{ open_records }}.as_at_date, {{ open_records }}.{{ parent_key }})
        {{ open_records }}.la_code,
        {{ open_records }}.as_at_date,
        {{ open_records }}.{{ parent_key }},
        {{ review_timelines }}.reviews_held,
        {{ review_timelines }}.next_review_due_date,
        {{ review_timelines }}.late_reviews_so_far
    from {{ open_records }}
    inner join {{ review_timelines }}
        on {{ open_records }}.la_code = {{ review_timelines }}.la_code
        and {{ open_records }}.{{ parent_key }} = {{ review_timelines }}.{{ parent_key }}
        and {{ review_timelines }}.stretch_start_date <= {{ open_records }}.as_at_date
        and ({{ review_timelines }}.stretch_end_date is null
            or {{ review_timelines }}.stretch_end_date > {{ open_records }}.as_at_date)
    order by {{ open_records }}.la_code, {{ open_records }}.as_at_date, {{ open_records }}.{{ parent_key }},
        {{ review_timelines }}.reviews_held desc
{%- endmacro %}

{#
    The two review flags at as_at_date from a review_status relation (review_stretch_on_date, left joined, so
    possibly null): are_reviews_on_time (no late review so far and the next not yet due) and
    is_next_review_overdue. A record with no review stretch is neither.
#}
{% macro review_timeliness_columns(review_status, as_at_date) -%}
        coalesce(
            {{ review_status }}.late_reviews_so_far = 0
            and {{ review_status }}.next_review_due_date >= {{ as_at_date }},
            false
        ) as are_reviews_on_time,
        coalesce({{ review_status }}.next_review_due_date < {{ as_at_date }}, false) as is_next_review_overdue
{%- endmacro %}
