{{ config(indexes=[{'columns': ['batch_id', 'concept', 'source_value']}]) }}
{#
    Per build batch: every known source value of each vocabulary of the profile the batch is read with (its LA's
    profile with the LA's `vocabulary:` overrides, ops.la_vocabulary, refreshed before every build by
    csc.quality.vocabulary) and its DfE code or product role. Read by the macro map_vocabulary.
#}
with

build_batches as (
    select * from {{ source('ops', 'build_batches') }}
),

vocabulary as (
    select * from {{ source('ops', 'batch_vocabulary') }}
),

final as (
    select
        vocabulary.batch_id,
        vocabulary.concept,
        vocabulary.table_name,
        vocabulary.column_name,
        vocabulary.match,
        vocabulary.source_value,
        vocabulary.target,
        vocabulary.is_explicit
    from vocabulary
    inner join build_batches on vocabulary.batch_id = build_batches.batch_id
)

select * from final
