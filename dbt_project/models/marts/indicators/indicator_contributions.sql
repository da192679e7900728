{#
    What every indicator value is made of: one row per subject counted (a pseudonymised child, referral,
    assessment, plan or worker, a team, or an extract file) with its share of numerator and denominator. Flow
    indicators: period_type month, quarter or financial_year; stock indicators: period_type 'as_at' and the date
    counted at (a quarter's or year's stock is the one as at its last day).
#}
with

contributions as (
    select * from {{ ref('int_indicator_contributions') }}
),

final as (
    select * from contributions
)

select * from final
