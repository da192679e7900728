{#
    One row per placement, as BI reads it: months instead of dates (the placement's length is placement_days).
    Exact dates stay in marts.fct_cla_placements (analyst roles only).
#}
{{ config(alias='fct_cla_placements') }}

with

cla_placements as (
    select * from {{ ref('fct_cla_placements') }}
),

final as (
    {{ bi_safe_select('fct_cla_placements', 'cla_placements') }}
)

select * from final
