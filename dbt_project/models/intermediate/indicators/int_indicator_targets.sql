{#
    The targets and RAG thresholds in force for each LA: the rows of the LA's own targets file (config/las.yml
    `targets:`, copied into ops.la_indicator_targets by csc build before dbt runs), or, for an LA with none there,
    its rows of the indicator_targets seed.
#}
with

configured as (
    select * from {{ source('ops', 'la_indicator_targets') }}
),

seeded as (
    select * from {{ ref('indicator_targets') }}
),

final as (
    select la_code, indicator_id, effective_from, target, amber_threshold, target_source,
        'targets file' as target_origin
    from configured
    union all
    select la_code, indicator_id, effective_from, target, amber_threshold, target_source,
        'seed' as target_origin
    from seeded
    where la_code not in (select configured.la_code from configured)
)

select * from final
