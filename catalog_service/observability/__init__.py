"""What the service tells its operators: request ids, JSON log lines, gunicorn's access log."""
