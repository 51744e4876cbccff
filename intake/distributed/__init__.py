"""Distributed mode: page OCR as Celery tasks on workers of other machines, Redis as the broker.

The coordinator (`docintake ingest|watch --broker redis://...`) stays the only writer of
the database and the archive; workers (`docintake worker --broker ...`) read pages and
send back plain JSON. Without `--broker` nothing here is imported.
"""
