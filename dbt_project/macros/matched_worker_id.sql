{#
    The professional id a worker column's value stands for: where the batch's source-system profile says the column
    holds a worker's name or staff id (profile worker_columns), the id of the one professional of ssd_professionals
    with that name or staff id (stg_ops__worker_matches); else, or when nothing matches, the value itself.
        {{ pseudonymise('worker', matched_worker_id('ssd_cin_episodes.cine_referral_worker_id',
                                                    'source.cine_referral_worker_id')) }}
#}
{% macro matched_worker_id(worker_column, column, batch_id='source.batch_id') -%}
    coalesce(
        (select worker_matches.professional_id from {{ ref('stg_ops__worker_matches') }} as worker_matches
         where worker_matches.batch_id = {{ batch_id }} and worker_matches.worker_column = '{{ worker_column }}'
             and worker_matches.source_key = ops.vocabulary_key({{ column }})),
        {{ column }}
    )
{%- endmacro %}
