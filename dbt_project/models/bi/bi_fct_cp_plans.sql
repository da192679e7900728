{#
    One row per child protection plan, as BI reads it: months instead of dates (the plan's length is plan_duration_days).
    Exact dates stay in marts.fct_cp_plans (analyst roles only).
#}
{{ config(alias='fct_cp_plans') }}

with

cp_plans as (
    select * from {{ ref('fct_cp_plans') }}
),

final as (
    {{ bi_safe_select('fct_cp_plans', 'cp_plans') }}
)

select * from final
