{#
    One row per child (pseudonymised person id) per LA, with what BI may know about them: sex, ethnicity, age in
    completed years at the extract date, SEND and disability. No name, date of birth, NHS number or source id.
    When a person id occurs more than once in the extract, its first record describes the child.
#}
with

people as (
    select * from {{ ref('stg_ssd__person') }}
),

disabilities as (
    select * from {{ ref('stg_ssd__disability') }}
),

children as (
    select distinct on (la_code, child_key)
        la_code,
        child_key,
        extract_date,
        date_of_birth,
        expected_date_of_birth,
        date_of_death,
        sex,
        gender,
        ethnicity,
        upn_unknown_reason,
        has_send,
        is_mother
    from people
    where child_key is not null
    order by la_code, child_key, source_line_no
),

disability_codes as (
    select
        la_code,
        child_key,
        string_agg(distinct disability_code, ',' order by disability_code) as disability_codes
    from disabilities
    where child_key is not null and disability_code is not null
    group by la_code, child_key
),

final as (
    select
        children.la_code,
        children.child_key,
        extract(year from age(children.extract_date, children.date_of_birth))::int as age_at_extract_date,
        children.sex,
        children.gender,
        children.ethnicity,
        children.upn_unknown_reason,
        disability_codes.disability_codes,
        children.has_send,
        children.is_mother,
        children.date_of_birth is null and children.expected_date_of_birth is not null as is_unborn,
        children.date_of_death is not null as has_died,
        coalesce(disability_codes.disability_codes not in ('NONE'), false) as has_disability
    from children
    left join disability_codes
        on children.la_code = disability_codes.la_code
        and children.child_key = disability_codes.child_key
)

select * from final
