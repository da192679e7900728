{#
    One row per person's family membership (ssd_family): the Annex A family id. Rows of each LA's build batch
    (ops.build_batches) only, typed (dates in ISO or dd/mm/yyyy, with or without a time; Y/N flags), trimmed,
    codes normalised, child, worker and record ids pseudonymised. An optional table: empty when the extract does
    not carry it.
#}
with

source as (
    {{ staging_source('ssd', 'family') }}
),

renamed as (
    select
        -- lineage
        source.la_code,
        source.batch_id,
        source.extract_date,
        source.source_line_no,

        -- ids
        {{ pseudonymise('family_membership', 'source.fami_table_id') }} as family_membership_key,
        {{ clean_text('source.fami_table_id') }} as family_membership_id,
        {{ clean_text('source.fami_family_id') }} as family_id,
        {{ pseudonymise('person', 'source.fami_person_id') }} as child_key

    from source
)

select * from renamed
