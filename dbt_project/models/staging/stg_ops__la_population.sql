{#
    The 0-17 population of the LAs that keep their own population file (config/las.yml `population:`, ONS mid-year
    estimates by year), as csc.quality.reference stored it in ops.dq_population before this build (checked: a bad
    file is refused with file, line and field). int_indicator_values_computed divides such an LA's rates by these
    rows, and an LA without a file by the la_population seed.
#}
with

population as (
    select * from {{ source('ops', 'dq_population') }}
),

final as (
    select
        la_code,
        year,
        population_0_17,
        population_file
    from population
    where population_file is not null
)

select * from final
