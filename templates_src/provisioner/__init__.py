"""The users provisioner: a Lambda-backed custom resource that creates the database users.

``runtime/`` is the function's code (zipped alone, at the artifact's root: it imports nothing
from ``templates_src``); ``artifact.py`` builds that zip with the pinned drivers of
``requirements.lock`` and the RDS CA bundle, byte for byte the same on every machine.
"""
