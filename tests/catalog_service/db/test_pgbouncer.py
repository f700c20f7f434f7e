"""A real PgBouncer in transaction pooling mode in front of the primary and a replica:
listings, Admin saves and readiness checks through it, and no session state left behind."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connections

from catalog.models import Product
from catalog_service import environment
from catalog_service.db.config import build_databases
from tests.conftest import HEALTH_HEADERS, ROOT, free_port, wait_for
from tests.factories import CategoryFactory, make_products

pytestmark = pytest.mark.django_db(transaction=True)
PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def test_database_pgbouncer_disables_server_side_cursors_and_prepared_statements():
    env = {"DJANGO_DEBUG": "true", "DATABASE_PGBOUNCER": "true"}
    loaded = environment.load(env)
    assert loaded.database_pgbouncer is True
    databases = build_databases(loaded.database, loaded.replicas, pgbouncer=loaded.database_pgbouncer)
    for entry in databases.values():
        assert entry["DISABLE_SERVER_SIDE_CURSORS"] is True and entry["PGBOUNCER"] is True
        assert entry["OPTIONS"]["prepare_threshold"] is None
        assert entry["CONN_MAX_AGE"] > 0  # persistent connections, to PgBouncer
    plain = build_databases(environment.load({"DJANGO_DEBUG": "true"}).database, [])
    assert plain["default"]["DISABLE_SERVER_SIDE_CURSORS"] is False


@pytest.fixture
def pgbouncer():
    """PgBouncer 1.x on a free loopback port, transaction pooling, one server session per
    database (so a session-level leak would reach the next client); returns its port."""
    if not Path(PGBOUNCER).exists():
        pytest.skip("pgbouncer is not installed (bin/install-system-deps installs it)")
    primary = connections["default"].settings_dict
    replica = connections["replica1"].settings_dict
    port = free_port()
    workdir = ROOT / "var" / f"pgbouncer-test-{port}"
    workdir.mkdir(parents=True)
    (workdir / "userlist.txt").write_text(f'"{primary["USER"]}" ""\n')
    (workdir / "pgbouncer.ini").write_text(f"""
[databases]
{primary["NAME"]} = host={primary["HOST"]} port={primary["PORT"]} dbname={primary["NAME"]}
{primary["NAME"]}_replica = host={replica["HOST"]} port={replica["PORT"]} dbname={replica["NAME"]}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {workdir}/userlist.txt
pool_mode = transaction
default_pool_size = 1
max_client_conn = 100
server_reset_query = DISCARD ALL
ignore_startup_parameters = extra_float_digits
logfile = {workdir}/pgbouncer.log
pidfile = {workdir}/pgbouncer.pid
""")
    command = [PGBOUNCER, str(workdir / "pgbouncer.ini")]
    if os.getuid() == 0:  # pgbouncer refuses to run as root
        shutil.chown(workdir, "postgres")
        for path in workdir.iterdir():
            shutil.chown(path, "postgres")
        command[1:1] = ["-u", "postgres"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def accepts():
        assert process.poll() is None, process.stderr.read()
        try:
            psycopg.connect(host="127.0.0.1", port=port, dbname=primary["NAME"], user=primary["USER"]).close()
            return True
        except psycopg.OperationalError:
            return False

    try:
        wait_for(accepts, timeout=15, interval=0.1)
        yield port
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)


def admin_post(opener, url, fields):
    page = opener.open(url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
    with opener.open(url, data) as response:
        return response.geturl(), response.read().decode()


def test_listings_admin_saves_and_readyz_work_through_pgbouncer_in_transaction_mode(
    pgbouncer, gunicorn, products_collection, django_user_model
):
    name = connections["default"].settings_dict["NAME"]
    user = connections["default"].settings_dict["USER"]
    category = CategoryFactory(slug="pooled")
    product = make_products(3, category=category)[0]
    django_user_model.objects.create_superuser("pooled", "p@example.com", "a long password")
    server = gunicorn(
        DATABASE_URL=f"postgres://{user}@127.0.0.1:{pgbouncer}/{name}",
        DATABASE_REPLICA_URLS=f"postgres://{user}@127.0.0.1:{pgbouncer}/{name}_replica",
        DATABASE_PGBOUNCER="true",
    )
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    landed, _ = admin_post(opener, f"{server.url}/admin/login/?next=/admin/",
                           {"username": "pooled", "password": "a long password"})  # fmt: skip
    assert landed.endswith("/admin/")
    change = f"{server.url}/admin/catalog/product/{product.pk}/change/"
    form = {"sku": product.sku, "category": category.pk, "is_published": "on", "description": "",
            "name": "Saved through PgBouncer", "price": "4.20", "attributes": "{}",
            "images": "[]"}  # fmt: skip
    landed, page = admin_post(opener, change, form)
    assert landed.endswith("/admin/catalog/product/"), page[:2000]  # redirected: saved
    assert Product.objects.get(pk=product.pk).version == 2
    assert products_collection.find_one({"_id": product.pk})["name"] == "Saved through PgBouncer"

    with urllib.request.urlopen(f"{server.url}/api/v1/categories/pooled/products/?ordering=name") as response:
        names = [item["name"] for item in json.load(response)["results"]]
    assert "Saved through PgBouncer" in names and len(names) == 3
    readyz = urllib.request.Request(f"{server.url}/readyz", headers=HEALTH_HEADERS)
    with urllib.request.urlopen(readyz) as response:
        checks = json.load(response)["checks"]
    assert checks["primary"]["status"] == "up" and checks["replica1"]["status"] == "up", checks

    # One server session per database: whatever a client left in it, the next client sees.
    for database in (name, f"{name}_replica"):
        with psycopg.connect(host="127.0.0.1", port=pgbouncer, dbname=database, user=user) as conn:
            assert conn.execute("SHOW statement_timeout").fetchone()[0] == "0"  # readyz used SET LOCAL


def test_the_lag_sampler_never_prepares_statements():
    """psycopg prepares a statement run five times; PgBouncer 1.18 in transaction mode may send
    the next execution to a server session that never saw it."""
    from catalog_service.db.health import LAG_REPLY_TIMEOUT, replica_health

    with replica_health.connect_for_lag("replica1") as conn:
        assert conn.prepare_threshold is None
        assert conn.reply_timeout == LAG_REPLY_TIMEOUT  # and its replies are bounded


def test_the_async_driver_connects_through_pgbouncer(pgbouncer):
    """The async listing's driver (catalog_service.db.aio) sends no startup options behind
    PgBouncer, which refuses them ("unsupported startup parameter: options")."""
    import asyncio

    from catalog_service.db import aio

    category = CategoryFactory(slug="pooled-async")
    make_products(2, category=category)
    entry = {**connections["default"].settings_dict, "HOST": "127.0.0.1", "PORT": pgbouncer}
    entry["OPTIONS"] = build_databases(entry, [], pgbouncer=True)["default"]["OPTIONS"]

    sql = "SELECT count(*) FROM catalog_product WHERE category_id = %s"

    async def count() -> tuple[int, str]:
        pooled = {**entry, "PGBOUNCER": True}
        async with await psycopg.AsyncConnection.connect(aio.entry_conninfo(pooled), autocommit=True) as conn:
            await aio.session_configure(pooled)(conn)
            found = (await (await conn.execute(sql, [category.pk])).fetchone())[0]
            return found, (await (await conn.execute("SHOW TimeZone")).fetchone())[0]

    assert asyncio.run(count()) == (2, "UTC")  # in UTC, as Django's sessions are
    with pytest.raises(psycopg.OperationalError, match="options"):  # what the fix avoids
        asyncio.run(psycopg.AsyncConnection.connect(aio.entry_conninfo({**entry, "PGBOUNCER": False})))
