{# Every reporting period of each LA's published data: months, financial-year quarters, financial years. #}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

final as (
    select
        la_code,
        period_type,
        period_start,
        period_end,
        period_label,
        extract_date
    from reporting_periods
    where period_type != 'day'
)

select * from final
