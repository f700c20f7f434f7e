"""Zero-downtime migration rules: migrations that would break the release still serving traffic
while they run are refused (``manage.py check_migrations_safe``, and ``check --deploy``)."""
