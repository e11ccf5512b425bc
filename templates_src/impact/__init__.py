"""Change impact: what updating a deployed stack to a new template does, from the provider schemas.

``template`` reads a template for comparison, ``schemas`` what CloudFormation's resource
provider schemas (shipped with cfn-lint) say about a type, ``analysis`` compares two templates
(add / remove / modify / replace and the hazards: ``changes`` is what it says, ``replacement``,
``collisions``, ``orphans``, ``findings``, ``outputs`` and ``policy`` each model one behaviour),
``assess`` applies it to a build and the out folder and words it for reviewers; the key table
documents what changing each params key does (``docgen.key_table``).
"""

OUTPUT_TYPE = "Output"  # the ``type`` of an output's change (outputs have no resource type)
