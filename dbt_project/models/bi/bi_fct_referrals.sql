{#
    One row per referral, as BI reads it: months instead of dates; days open as a measure.
    Exact dates stay in marts.fct_referrals (analyst roles only).
#}
{{ config(alias='fct_referrals') }}

with

referrals as (
    select * from {{ ref('fct_referrals') }}
),

final as (
    {{ bi_safe_select('fct_referrals', 'referrals', durations={'days_open': 'closure_date - referral_date'}) }}
)

select * from final
