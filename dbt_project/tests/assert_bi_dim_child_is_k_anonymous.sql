-- bi.dim_child is k-anonymous on what BI can combine (issue 15, finding 5): every class of (LA, age band, sex,
-- ethnicity major group, team) holds at least var('bi_min_class_size') children. Rows returned: the small classes.
with

children as (
    select * from {{ ref('bi_dim_child') }}
),

classes as (
    select la_code, age_band, sex, ethnicity_major_group, team_id, count(*) as children
    from children
    group by la_code, age_band, sex, ethnicity_major_group, team_id
)

select * from classes where children < {{ var('bi_min_class_size') }}
