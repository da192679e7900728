{#
    One row per child (pseudonymised person id) per LA, as BI reads it: safe by design (issue 15, finding 5).
    Age band at the extract date (never the date of birth), sex, ethnicity in the DfE major groups, and the team of
    the child's latest referral; no exact date of any kind, no gender, disability codes or other rare attributes.

    k-anonymity over what BI can combine (age band, sex, ethnicity major group, team): every combination holds at
    least var('bi_min_class_size') children (5) of the LA. A child in a smaller class is generalised one step at a
    time, only as far as needed, each step only among the children still in small classes:
      1. the team becomes 'OTHER' (other teams);
      2. the age band becomes a broad band (0-9, 10-17, 18+);
      3. the ethnicity group becomes 'Not shown';
      4. the sex becomes 'Not shown'.
    Children still in a class smaller than that after step 4 are left out of this dimension (their facts keep their
    key). tests/security/test_k_anonymity.py measures it on a built warehouse. Exact values: marts.dim_child and the
    facts of marts (analyst roles only).
#}
{{ config(alias='dim_child') }}

with

dim_child as (
    select * from {{ ref('dim_child') }}
),

fct_referrals as (
    select * from {{ ref('fct_referrals') }}
),

latest_referral_team as (
    select distinct on (la_code, child_key)
        la_code,
        child_key,
        team_id
    from fct_referrals
    where team_id is not null
    order by la_code, child_key, referral_date desc nulls last, referral_key
),

described as (
    select
        dim_child.la_code,
        dim_child.child_key,
        case
            when dim_child.age_at_extract_date is null then 'Not known'
            when dim_child.age_at_extract_date < 1 then 'Under 1'
            when dim_child.age_at_extract_date < 5 then '1-4'
            when dim_child.age_at_extract_date < 10 then '5-9'
            when dim_child.age_at_extract_date < 16 then '10-15'
            when dim_child.age_at_extract_date < 18 then '16-17'
            else '18+'
        end as age_band,
        case
            when dim_child.age_at_extract_date is null then 'Not known'
            when dim_child.age_at_extract_date < 10 then '0-9'
            when dim_child.age_at_extract_date < 18 then '10-17'
            else '18+'
        end as broad_age_band,
        coalesce(dim_child.sex, 'Not known') as sex,
        case
            when upper(dim_child.ethnicity) in ('WBRI', 'WIRI', 'WIRT', 'WOTH', 'WROM') then 'White'
            when upper(dim_child.ethnicity) in ('MWBC', 'MWBA', 'MWAS', 'MOTH') then 'Mixed'
            when upper(dim_child.ethnicity) in ('AIND', 'APKN', 'ABAN', 'AOTH') then 'Asian or Asian British'
            when upper(dim_child.ethnicity) in ('BCRB', 'BAFR', 'BOTH') then 'Black or Black British'
            when upper(dim_child.ethnicity) in ('CHNE', 'OOTH') then 'Other ethnic group'
            else 'Refused or not obtained'
        end as ethnicity_major_group,
        coalesce(latest_referral_team.team_id, 'NONE') as team_id,
        dim_child.has_send,
        dim_child.has_disability,
        dim_child.is_unborn
    from dim_child
    left join latest_referral_team
        on dim_child.la_code = latest_referral_team.la_code
        and dim_child.child_key = latest_referral_team.child_key
),

step_0 as (
    select
        *,
        count(*) over (partition by la_code, age_band, sex, ethnicity_major_group, team_id) as class_size
    from described
),

step_1_generalised as (
    select
        la_code, child_key, age_band, broad_age_band, sex, ethnicity_major_group,
        case when class_size < {{ var('bi_min_class_size') }} then 'OTHER' else team_id end as team_id,
        has_send, has_disability, is_unborn
    from step_0
),

step_1 as (
    select
        *,
        count(*) over (partition by la_code, age_band, sex, ethnicity_major_group, team_id) as class_size
    from step_1_generalised
),

step_2_generalised as (
    select
        la_code, child_key, sex, ethnicity_major_group, team_id, has_send, has_disability, is_unborn,
        case when class_size < {{ var('bi_min_class_size') }} then broad_age_band else age_band end as age_band
    from step_1
),

step_2 as (
    select
        *,
        count(*) over (partition by la_code, age_band, sex, ethnicity_major_group, team_id) as class_size
    from step_2_generalised
),

step_3_generalised as (
    select
        la_code, child_key, sex, age_band, team_id, has_send, has_disability, is_unborn,
        case
            when class_size < {{ var('bi_min_class_size') }} then 'Not shown' else ethnicity_major_group
        end as ethnicity_major_group
    from step_2
),

step_3 as (
    select
        *,
        count(*) over (partition by la_code, age_band, sex, ethnicity_major_group, team_id) as class_size
    from step_3_generalised
),

step_4_generalised as (
    select
        la_code, child_key, age_band, ethnicity_major_group, team_id, has_send, has_disability, is_unborn,
        case when class_size < {{ var('bi_min_class_size') }} then 'Not shown' else sex end as sex
    from step_3
),

step_4 as (
    select
        *,
        count(*) over (partition by la_code, age_band, sex, ethnicity_major_group, team_id) as class_size
    from step_4_generalised
),

final as (
    select
        la_code,
        child_key,
        age_band,
        sex,
        ethnicity_major_group,
        team_id,
        has_send,
        has_disability,
        is_unborn
    from step_4
    where class_size >= {{ var('bi_min_class_size') }}
)

select * from final
