"""Loading ratings data in bulk: the management commands' machinery.

``bulkload`` writes rows fast (``COPY`` on PostgreSQL), ``movielens`` reads
and imports a MovieLens data set, ``synthetic`` generates one shaped like it.
"""
