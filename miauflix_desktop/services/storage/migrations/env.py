"""Alembic environment: runs migrations on the connection the app hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from miauflix_desktop.services.storage.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = engine_from_config(
            config.get_section(config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
        )
        with engine.begin() as conn:
            _run_on(conn)
    else:
        _run_on(connection)


def _run_on(connection: object) -> None:
    # batch mode: SQLite cannot ALTER most things, Alembic copies the table instead.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
