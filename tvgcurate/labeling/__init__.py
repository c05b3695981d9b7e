"""Label Studio re-annotation (cQvH style): labeling config, push, pull, consensus, local server.

Modules, one concept each:

- ``config``    the labeling config XML and the names of its controls
- ``frames``    seconds <-> Label Studio timeline frames (exact, per task fps)
- ``offline``   ``tasks_for(...)``: importable task dicts (also used by ``export --format labelstudio``)
- ``select``    ``--select`` expressions and ``rank_samples`` (audit ranking)
- ``client``    connecting with retries/backoff; errors that never show the API key
- ``server``    start/stop a local Label Studio from its own virtual environment
- ``push``      send tasks (idempotent, resumable)
- ``pull``      bring every annotation back into the ``labels`` table (incremental)
- ``consensus`` per-sample consensus and the corrected samples version
- ``stats``     what relabeling changed (the cQvH table)

Nothing here imports ``label_studio_sdk`` at module level.
"""
