{#
    S47_RATE members: section 47 enquiries started in the period. The denominator, population aged 0-17 / 10,000,
    is added in indicator_values.
#}
with

reporting_periods as (
    select * from {{ ref('int_reporting_periods') }}
),

s47_enquiries as (
    select * from {{ ref('int_s47_enquiries_linked') }}
),

final as (
    select
        {{ indicator_member_columns(
            'S47_RATE', periods='reporting_periods', subject_type='s47_enquiry',
            subject_key='s47_enquiries.s47_enquiry_key', team_id='s47_enquiries.team_id', numerator='1::numeric'
        ) }}
    from s47_enquiries
    {{ join_event_reporting_periods('s47_enquiries', 's47_enquiries.s47_start_date') }}
)

select * from final
