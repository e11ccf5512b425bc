"""One module per resource family. Each builder takes a validated ``EnvConfig`` (and the
references it needs to other resources) and returns troposphere objects: no I/O, no checks."""
