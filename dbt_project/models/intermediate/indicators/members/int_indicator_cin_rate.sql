{#
    CIN_RATE members: children with an open referral/CIN episode at the date (referral on or before it, closure blank or after it). The denominator, population aged 0-17 / 10,000, is added in indicator_values.
#}
with

open_cases as (
    select * from {{ ref('int_open_cases_as_at') }}
),

final as (
    select
        {{ indicator_member_columns(
            'CIN_RATE', as_at='as_at_date', subject_type='child', subject_key='child_key', team_id='team_id',
            case_type="'CIN'", numerator='1::numeric'
        ) }}
    from open_cases
    where has_open_cin_episode
)

select * from final
