"""A template as plain dicts and lists: what ``Template.to_dict()`` gives, in a third of the time.

troposphere's ``encode_to_dict`` turns an object into a dict (``BaseAWSObject.to_dict``, which
encodes its properties) and then walks that dict again, at every level of nesting: a property
three levels down is copied three times. ``body`` makes the same calls in the same order (each
object's ``_validate_props`` and ``validate``, so the same errors) and copies each value once.
tests/test_render.py compares it with ``Template.to_dict()`` on every kind of generated template.

Speed only: the env renders and the Service Catalog product's placeholder builds (catalog/)
take their templates' dicts from here.
"""

from __future__ import annotations

from typing import Any

from troposphere import AWSHelperFn, BaseAWSObject, Tags, Template

# Values that encode to themselves (exact types: a subclass might have ``to_dict``).
_LEAVES = frozenset({str, int, bool, float, type(None)})


# Template.to_dict's sections, in its order; each only when set (Resources always).
_SECTIONS = (("description", "Description"), ("metadata", "Metadata"), ("conditions", "Conditions"),
             ("mappings", "Mappings"), ("outputs", "Outputs"), ("parameters", "Parameters"),
             ("version", "AWSTemplateFormatVersion"), ("transform", "Transform"), ("rules", "Rules"),
             ("globals", "Globals"))


def body(template: Template) -> dict[str, Any]:
    """``template.to_dict()``, equal to it key for key and in the same order."""
    t: dict[str, Any] = {key: value for name, key in _SECTIONS if (value := getattr(template, name))}
    t["Resources"] = template.resources
    return encode(t)


def encode(obj: Any) -> Any:
    """troposphere's ``encode_to_dict(obj)``: the same value, each level built once. Its output
    is plain data, which encodes to an equal copy of itself; so where troposphere encodes what an
    object's ``to_dict`` encoded already, encoding the object's content once is the same."""
    kind = type(obj)
    if kind in _LEAVES:
        return obj
    if kind is dict:
        return {name: encode(value) for name, value in obj.items()}
    if kind is list or kind is tuple:
        return [encode(item) for item in obj]
    if hasattr(obj, "to_dict"):
        return _object(obj)
    if isinstance(obj, (list, tuple)):
        return [encode(item) for item in obj]
    if isinstance(obj, dict):
        return {name: encode(value) for name, value in obj.items()}
    if hasattr(obj, "JSONrepr"):  # awacs
        return encode(obj.JSONrepr())
    return obj


def _object(obj: Any) -> Any:
    """``encode_to_dict(obj.to_dict())`` for an object with ``to_dict``."""
    method = type(obj).to_dict
    if method is BaseAWSObject.to_dict:
        if obj.do_validation:
            obj._validate_props()
            obj.validate()
        if obj.properties:
            return encode(obj.resource)
        if hasattr(obj, "resource_type"):
            return encode({k: v for k, v in obj.resource.items() if k != "Properties"})
        return {}
    if method is AWSHelperFn.to_dict:
        return encode(obj.data)
    if method is Tags.to_dict:
        return [encode(tag) for tag in obj.tags]
    return encode(obj.to_dict())
