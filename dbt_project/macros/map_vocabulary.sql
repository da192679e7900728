{#
    The DfE code or product role of a source value under the vocabulary `concept` of the profile the row's batch is
    read with (stg_ops__vocabulary: the LA's profile with its config/las.yml `vocabulary:` overrides), NULL when no
    map knows it (the data-quality rule CODE_UNMAPPED names the table, column and value with its count).
    An exact match on the value trimmed, upper case, white space collapsed (for a prefix2 vocabulary: its explicit
    map entries), else for a prefix2 vocabulary the match of the value's first two characters - as
    csc.contract.profiles.Vocabulary.translate does. `batch_id` is the row's batch column.
        {{ map_vocabulary('legal_status', 'source.lega_legal_status') }}
#}
{% macro map_vocabulary(concept, column, batch_id='source.batch_id') -%}
    coalesce(
        (select vocabulary.target from {{ ref('stg_ops__vocabulary') }} as vocabulary
         where vocabulary.batch_id = {{ batch_id }} and vocabulary.concept = '{{ concept }}'
             and vocabulary.source_value = ops.vocabulary_key({{ column }})
             and (vocabulary.match != 'prefix2' or vocabulary.is_explicit)),
        (select vocabulary.target from {{ ref('stg_ops__vocabulary') }} as vocabulary
         where vocabulary.batch_id = {{ batch_id }} and vocabulary.concept = '{{ concept }}'
             and vocabulary.match = 'prefix2'
             and vocabulary.source_value = ops.vocabulary_key(left(btrim({{ column }}), 2)))
    )
{%- endmacro %}
