"""``rds-proxy-cfn status ENV``: is the proxy healthy, and is it what we reviewed? Read-only.

``facts`` holds the data (template property -> API field maps, the intrinsic functions it can
resolve, the advice for each target health reason); ``clients`` the allow-listed boto3 clients;
``drift`` the three-way comparison (committed template, deployed template, live proxy);
``health`` the stack's, the proxy's and each target's health; ``database`` the database's
effective max_connections against the build's connection budget; ``command`` the arguments,
the output (text or JSON) and the exit codes. boto3 is imported by ``command`` only, lazily:
the build never needs it (``pip install 'rds-proxy-cfn[status]'``).
"""
