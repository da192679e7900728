{#
    The body of a CTE giving, for each row of `counted` (la_code, as_at_date, child_key), the date of the child's
    latest visit on or before as_at_date (last_visit_date, null when none). The visits (a relation with la_code,
    child_key and visit_date; those meeting visit_condition) are interleaved with the dates the child is counted
    at, and the latest visit on or before each date is a running maximum (a visit on the date itself comes first):
    one pass over the visits instead of a join of every visit to every date.
#}
{% macro last_visit_on_dates(visits, counted, visit_condition='true') -%}
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
        from (
            select
                la_code,
                child_key,
                visit_date as event_date,
                visit_date,
                false as is_as_at_date
            from {{ visits }}
            where {{ visit_condition }}
                and visit_date is not null
                and child_key is not null
            union all
            select
                la_code,
                child_key,
                as_at_date,
                null,
                true
            from {{ counted }}
        ) as visits_and_counted
    ) as running
    where is_as_at_date
{%- endmacro %}
