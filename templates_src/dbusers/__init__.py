"""The database users: what each one is granted per engine (``grants``), ``db-users.sql``
rendered once for the reviewer and the provisioner (``sql``), and when in a deploy they are made
(``deploy_order``). Read by the builders (the provisioner carries the SQL) and the guides."""
