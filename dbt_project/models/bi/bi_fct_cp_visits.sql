{#
    One row per child protection visit, as BI reads it: the month of the visit.
    Exact dates stay in marts.fct_cp_visits (analyst roles only).
#}
{{ config(alias='fct_cp_visits') }}

with

cp_visits as (
    select * from {{ ref('fct_cp_visits') }}
),

final as (
    {{ bi_safe_select('fct_cp_visits', 'cp_visits') }}
)

select * from final
