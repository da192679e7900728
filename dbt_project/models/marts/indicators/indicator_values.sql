{#
    One row per LA, indicator, period type (month, financial-year quarter, financial year) and period: exact
    numerator and denominator, the value (docs/INTERFACES.md: rounded to 4 decimal places, NULL on a zero
    denominator), the target in force at the period end and its RAG rating. Trace any value to the subjects behind
    it with indicator_contributions.
#}
with

indicator_values as (
    select * from {{ ref('int_indicator_values_computed') }}
),

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

targets as (
    select * from {{ ref('int_indicator_targets') }}
),

periods as (
    select * from indicator_values
    where period_type in ('month', 'quarter', 'financial_year')
),

targets_in_force as (
    select distinct on (periods.la_code, periods.indicator_id, periods.period_type, periods.period_start)
        periods.la_code,
        periods.indicator_id,
        periods.period_type,
        periods.period_start,
        targets.target,
        targets.amber_threshold
    from periods
    inner join targets
        on periods.la_code = targets.la_code
        and periods.indicator_id = targets.indicator_id
        and targets.effective_from <= periods.period_end
    order by periods.la_code, periods.indicator_id, periods.period_type, periods.period_start,
        targets.effective_from desc
),

final as (
    select
        periods.la_code,
        periods.indicator_id,
        periods.period_type,
        periods.period_start,
        periods.period_end,
        periods.period_label,
        periods.extract_date,
        catalogue.indicator_name,
        catalogue.unit,
        catalogue.polarity,
        periods.numerator,
        periods.denominator,
        periods.value,
        periods.not_available_reason,
        targets_in_force.target,
        targets_in_force.amber_threshold,
        {{ rag_rating('periods.value', 'catalogue.polarity', 'targets_in_force.target',
                      'targets_in_force.amber_threshold') }} as rag
    from periods
    inner join catalogue on periods.indicator_id = catalogue.indicator_id
    left join targets_in_force
        on periods.la_code = targets_in_force.la_code
        and periods.indicator_id = targets_in_force.indicator_id
        and periods.period_type = targets_in_force.period_type
        and periods.period_start = targets_in_force.period_start
)

select * from final
