{#
    One row per looked-after review, as BI reads it: months instead of dates; days after the due date as a measure (negative: early).
    Exact dates stay in marts.fct_cla_reviews (analyst roles only).
#}
{{ config(alias='fct_cla_reviews') }}

with

cla_reviews as (
    select * from {{ ref('fct_cla_reviews') }}
),

final as (
    {{ bi_safe_select('fct_cla_reviews', 'cla_reviews', durations={'days_after_due': 'review_date - review_due_date'}) }}
)

select * from final
