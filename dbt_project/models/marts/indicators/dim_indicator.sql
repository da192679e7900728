{# The indicator catalogue (docs/INDICATORS.md) for BI: one row per indicator. #}
with

catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

final as (
    select
        indicator_id,
        indicator_name,
        kind,
        unit,
        polarity,
        numerator_definition,
        denominator_definition,
        reference
    from catalogue
)

select * from final
