{#
    Keyed pseudonym of a source identifier: HMAC-SHA256(key, "<kind>:<id>") in lower-case hex.

    Built from PostgreSQL's own sha256() (no pgcrypto needed). The key never reaches SQL text, compiled files,
    logs or tables: csc.transform derives the HMAC inner and outer pads from it and hands them to dbt's sessions
    only through PGOPTIONS (-c csc.hmac_ipad=<hex> -c csc.hmac_opad=<hex>). Without them the build fails instead
    of producing unkeyed hashes. Blank identifiers give NULL.
#}
{% macro pseudonymise(kind, column) -%}
    case
        when nullif(trim({{ column }}), '') is not null then encode(
            sha256(
                decode(current_setting('csc.hmac_opad'), 'hex')
                || sha256(
                    decode(current_setting('csc.hmac_ipad'), 'hex')
                    || convert_to('{{ kind }}:' || trim({{ column }}), 'UTF8')
                )
            ),
            'hex'
        )
    end
{%- endmacro %}
