"""Writing many rows of a model at once, faster than bulk_create on PostgreSQL."""

import enum

from django.db import connection
from django.db.models import FileField
from django.utils import timezone


def bulk_insert(model, rows: list[dict], *, ids: bool = False) -> list[int]:
    """Inserts `rows` (field attname → value; the fields left out take their default) as
    new rows of `model`; returns their pks in order when `ids`, else an empty list.

    On PostgreSQL, through COPY, the pks drawn from the table's sequence first: a billing
    run writes hundreds of thousands of rows, and building model instances for
    bulk_create, then preparing every value, costs several times what the database spends
    on them (bench/RESULTS.md, « Billing run »). Elsewhere, bulk_create. For models of plain
    fields, file names and timestamps (auto_now/auto_now_add are set here); no save() nor
    signals, as with bulk_create.
    """
    if not rows:
        return []
    if connection.vendor != "postgresql":
        objs = model.objects.bulk_create([model(**row) for row in rows])
        return [obj.pk for obj in objs] if ids else []
    meta = model._meta
    now = timezone.now()
    pks: list[int] = []
    with connection.cursor() as cursor:
        if ids:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(rows)],
            )
            pks = [pk for (pk,) in cursor.fetchall()]
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        defaults = []
        for f in fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                default = now
            elif f.has_default() or not f.null:
                default = f.get_default()
            else:
                default = None
            if isinstance(f, FileField):
                default = default or ""
            # Choices are enums: COPY takes their value, not psycopg's idea of an enum.
            defaults.append(default.value if isinstance(default, enum.Enum) else default)
        names = [f.attname for f in fields]
        columns = [f.column for f in fields]
        if ids:
            columns.insert(0, meta.pk.column)
        sql = "COPY {} ({}) FROM STDIN".format(
            connection.ops.quote_name(meta.db_table),
            ", ".join(connection.ops.quote_name(c) for c in columns),
        )
        pairs = list(zip(names, defaults, strict=True))
        with cursor.cursor.copy(sql) as copy:
            for i, row in enumerate(rows):
                values = [row.get(name, default) for name, default in pairs]
                values = [v.value if isinstance(v, enum.Enum) else v for v in values]
                copy.write_row([pks[i], *values] if ids else values)
    return pks
