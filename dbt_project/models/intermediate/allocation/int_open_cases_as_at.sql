{#
    One row per child with an open case at each reporting date D (int_children_with_open_cases_as_at), saying
    whether the child is allocated on D and, when not, since when (int_unallocated_children_as_at). Unallocated
    children, and every child on the extract date, also get the team responsible: the team of the child's latest
    allocation started on or before D, else of its latest referral with a team on or before D.
#}
with

open_cases as (
    select * from {{ ref('int_children_with_open_cases_as_at') }}
),

unallocated as (
    select * from {{ ref('int_unallocated_children_as_at') }}
),

build_batches as (
    select * from {{ ref('stg_ops__build_batches') }}
),

referrals as (
    select * from {{ ref('stg_ssd__cin_episodes') }}
),

involvements as (
    select * from {{ ref('stg_ssd__involvements') }}
),

needing_a_team as (
    select la_code, as_at_date, child_key
    from unallocated
    union
    select open_cases.la_code, open_cases.as_at_date, open_cases.child_key
    from open_cases
    inner join build_batches
        on open_cases.la_code = build_batches.la_code
        and open_cases.as_at_date = build_batches.extract_date
),

team_changes as (
    -- the allocations (rank 1) and referrals with a team (rank 2) of the children who need a team
    select
        involvements.la_code,
        involvements.child_key,
        involvements.team_id,
        involvements.worker_key,
        1 as source_rank,
        involvements.involvement_start_date as started_on,
        involvements.source_line_no
    from involvements
    where involvements.is_allocated_case_worker
        and involvements.involvement_start_date is not null
        and exists (
            select 1 from needing_a_team
            where needing_a_team.la_code = involvements.la_code and needing_a_team.child_key = involvements.child_key
        )
    union all
    select
        referrals.la_code,
        referrals.child_key,
        referrals.team_id,
        null,
        2,
        referrals.referral_date,
        referrals.source_line_no
    from referrals
    where referrals.team_id is not null
        and referrals.referral_date is not null
        and exists (
            select 1 from needing_a_team
            where needing_a_team.la_code = referrals.la_code and needing_a_team.child_key = referrals.child_key
        )
),

team_spells as (
    -- each change sets the child's team from its start until the next one of the same rank starts
    select
        *,
        lead(started_on) over (
            partition by la_code, child_key, source_rank order by started_on, source_line_no
        ) as next_started_on
    from team_changes
),

teams_on_date as (
    select
        needing_a_team.la_code,
        needing_a_team.as_at_date,
        needing_a_team.child_key,
        allocation_team.team_id as allocation_team_id,
        allocation_team.worker_key,
        referral_team.team_id as referral_team_id
    from needing_a_team
    left join team_spells as allocation_team
        on needing_a_team.la_code = allocation_team.la_code
        and needing_a_team.child_key = allocation_team.child_key
        and allocation_team.source_rank = 1
        and allocation_team.started_on <= needing_a_team.as_at_date
        and (allocation_team.next_started_on is null or allocation_team.next_started_on > needing_a_team.as_at_date)
    left join team_spells as referral_team
        on needing_a_team.la_code = referral_team.la_code
        and needing_a_team.child_key = referral_team.child_key
        and referral_team.source_rank = 2
        and referral_team.started_on <= needing_a_team.as_at_date
        and (referral_team.next_started_on is null or referral_team.next_started_on > needing_a_team.as_at_date)
),

final as (
    select
        open_cases.la_code,
        open_cases.as_at_date,
        open_cases.child_key,
        coalesce(teams_on_date.allocation_team_id, teams_on_date.referral_team_id) as team_id,
        teams_on_date.worker_key as latest_allocated_worker_key,
        open_cases.case_opened_date,
        unallocated.last_allocation_ended_on,
        unallocated.days_unallocated,
        case
            when open_cases.is_looked_after then 'CLA'
            when open_cases.has_open_cp_plan then 'CP'
            else 'CIN'
        end as case_type,
        open_cases.has_open_cin_episode,
        open_cases.has_open_cp_plan,
        open_cases.is_looked_after,
        unallocated.child_key is null as is_allocated
    from open_cases
    left join unallocated
        on open_cases.la_code = unallocated.la_code
        and open_cases.as_at_date = unallocated.as_at_date
        and open_cases.child_key = unallocated.child_key
    left join teams_on_date
        on open_cases.la_code = teams_on_date.la_code
        and open_cases.as_at_date = teams_on_date.as_at_date
        and open_cases.child_key = teams_on_date.child_key
)

select * from final
