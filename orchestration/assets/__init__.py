"""Asset definitions of the daily build: raw → data quality → dbt → publish → alerts."""
