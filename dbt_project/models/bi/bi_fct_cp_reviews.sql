{#
    One row per child protection review, as BI reads it: months instead of dates; days after the due date as a measure (negative: early).
    Exact dates stay in marts.fct_cp_reviews (analyst roles only).
#}
{{ config(alias='fct_cp_reviews') }}

with

cp_reviews as (
    select * from {{ ref('fct_cp_reviews') }}
),

final as (
    {{ bi_safe_select('fct_cp_reviews', 'cp_reviews', durations={'days_after_due': 'review_date - review_due_date'}) }}
)

select * from final
