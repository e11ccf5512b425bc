"""The tables of docs/ that nobody writes by hand: the params reference (``params_reference``,
from the schema) and the key table of docs/updates.md (``key_table``, from the change analysis),
each between two markers of its page (``markers``). Run by maintainers, never by a build."""
