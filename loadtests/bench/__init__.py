"""The benchmark runner: every listing variant under the same load, side by side, in one run.

    make bench                     # 100,000 products, 300 categories
    make bench-quick               # 20,000 products, about nine minutes
    bin/with-stack .venv/bin/python -m loadtests.bench --tiny --out /tmp/bench   # seconds (tests)

It uses the stack the environment names (``bin/with-stack`` starts it), in databases of its own
(``bench_catalog`` unless ``--database``), seeds the catalog when its size differs, starts
gunicorn with ``config/gunicorn.conf.py`` and production settings on 127.0.0.1, and runs Locust
headless, bounded in time, against each variant in turn (in rounds of alternating order). When
the stack's MongoDB is the stand-in, the run reads from an in-memory stand-in of its own
(``standin.py`` says why; ``--stack-mongodb`` keeps the stack's). Results go to
``loadtests/results/<timestamp>/`` and ``loadtests/results/latest/``: report.md, report.json,
Locust's HTML and CSV files, and PNG plots.

The parts, in the order a run uses them:

- ``cli``: the options, and the plan they make (mode, guard thresholds, database, output);
- ``modes`` and ``variants``: the tables (catalog sizes and load per mode; the variants measured);
- ``environment``: the environment of every process of the run (its own databases, production
  settings);
- ``database`` and ``catalog_size``: the databases created, migrated and seeded when the size
  differs (``catalog_size`` runs in a child process, under Django);
- ``standin``: the runner's own in-memory MongoDB stand-in;
- ``servers``: gunicorn (WSGI and ASGI) and the outbox relay, started and stopped;
- ``round_trips``: SQL queries and MongoDB round trips of one warm request per variant
  (measured in a child process, under Django);
- ``probes``: plain HTTP against a server (the category tree, warm-up, deep pages);
- ``locust_runs``: Locust driven headless (forked into ``--processes``), and its CSV read into
  results;
- ``cpu``: the kernel's CPU accounting: the workers' CPU time per request, Locust's own share
  of its cores;
- ``rounds``: every variant in rounds of alternating order, averaged; the profiling pass;
  ``progress``: "variant N of M" and the time left, as log lines;
- ``profiling``: py-spy on the workers; ``describe``: the machine and MongoDB, for the report;
- ``report``: the ratios on req/s and on CPU per request, their targets, the regression guard;
  ``generator``: whether the load generator was the bottleneck;
- ``output``: the report files, written by ``markdown`` (report.md) and ``plots`` (the PNGs);
- ``run``: one whole run, from the databases to the report.
"""
