"""Every fact the generator relies on, as data (and lookups over it): AWS's (``aws``,
``cloudformation``, ``stack_sets``, ``partitions``, ``connections``, ``monitoring``,
``provisioner``, ``sql``, ``drivers``) and the project's own fixed names (``paths``, ``naming``,
``hazards``, ``exit_codes``). Every stage reads them; they import nothing from any stage."""
