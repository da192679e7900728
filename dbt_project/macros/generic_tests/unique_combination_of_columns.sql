{#
    Generic test: the given columns together identify a row. Fails with each duplicated combination and how often
    it occurs. NULLs compare equal here (a key with a NULL part is still a key).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {% for column in combination_of_columns -%}
    {{ column }},
    {% endfor -%}
    count(*) as occurrences
from {{ model }}
group by {% for column in combination_of_columns %}{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
having count(*) > 1
{% endtest %}
