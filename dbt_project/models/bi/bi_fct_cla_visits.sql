{#
    One row per looked-after visit, as BI reads it: the month of the visit.
    Exact dates stay in marts.fct_cla_visits (analyst roles only).
#}
{{ config(alias='fct_cla_visits') }}

with

cla_visits as (
    select * from {{ ref('fct_cla_visits') }}
),

final as (
    {{ bi_safe_select('fct_cla_visits', 'cla_visits') }}
)

select * from final
