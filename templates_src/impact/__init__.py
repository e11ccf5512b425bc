"""Change impact: what updating a deployed stack to a new template does, from the provider schemas.

``template`` reads a template for comparison, ``schemas`` what CloudFormation's resource
provider schemas (shipped with cfn-lint) say about a type, ``analysis`` compares two templates
(add / remove / modify / replace and the hazards), ``assess`` applies it to a build and the out
folder and words it for reviewers, ``keytable`` documents what changing each params key does.
"""

OUTPUT_TYPE = "Output"  # the ``type`` of an output's change (outputs have no resource type)
