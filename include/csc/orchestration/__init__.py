"""Running the pipeline under Airflow: the Airflow environment, local Airflow processes, DAG helpers."""
