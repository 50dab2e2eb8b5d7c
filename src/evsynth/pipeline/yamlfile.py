"""Safe YAML files (the config, ``prisma.yaml``, the quality form): no Python objects, no
duplicate keys, limits on size and aliases (an alias bomb is refused), problems naming the line."""

from __future__ import annotations

from pathlib import Path

import yaml

from evsynth.errors import InputError, clean_text, quote
from evsynth.pipeline.reading import refuse_special_file

__all__ = ["read_yaml", "MAX_YAML_BYTES", "MAX_YAML_ALIASES", "MAX_YAML_NODES"]

MAX_YAML_BYTES = 1024 * 1024  # config.yaml, prisma.yaml, the quality form
MAX_YAML_ALIASES = 100  # YAML aliases (*name) in one file
MAX_YAML_NODES = 100_000  # values in one YAML file once its aliases are expanded


class _LimitedLoader(yaml.SafeLoader):
    """Safe YAML that refuses duplicate keys and more than ``MAX_YAML_ALIASES`` aliases
    (an alias bomb expands a few KB into gigabytes)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_YAML_ALIASES:
                ev = self.peek_event()
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"more than {MAX_YAML_ALIASES} aliases (*name); refused (YAML alias bomb?)",
                    ev.start_mark,
                )
        return super().compose_node(parent, index)

    def compose_document(self):
        node = super().compose_document()
        sizes: dict[int, int] = {}

        def size(n) -> int:  # nodes after expanding every alias, without expanding them
            k = id(n)
            if k in sizes:
                return sizes[k]
            sizes[k] = 1
            if isinstance(n, yaml.SequenceNode):
                total = 1 + sum(size(c) for c in n.value)
            elif isinstance(n, yaml.MappingNode):
                total = 1 + sum(size(a) + size(b) for a, b in n.value)
            else:
                total = 1
            sizes[k] = total
            if total > MAX_YAML_NODES:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"aliases expand to more than {MAX_YAML_NODES:,} values; refused (YAML alias bomb?)",
                    n.start_mark,
                )
            return total

        if node is not None:
            size(node)
        return node

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                k = key_node.value
                if k in seen:
                    raise yaml.constructor.ConstructorError(
                        None,
                        None,
                        f"duplicate key {quote(k)} (first on line {seen[k] + 1}); each key may appear once",
                        key_node.start_mark,
                    )
                seen[k] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_LimitedLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LimitedLoader.construct_mapping)


def read_yaml(path, error: type = InputError) -> object:
    """Safe YAML (no Python objects, no duplicate keys, at most ``MAX_YAML_ALIASES`` aliases,
    at most ``MAX_YAML_BYTES``); problems raise ``error`` naming the line."""
    p = Path(path)
    if not p.exists():
        raise error(f"{p}: file not found")
    refuse_special_file(p, error=error)
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(f"{p}: the file is {size:,} bytes; YAML files may be at most {MAX_YAML_BYTES:,} bytes")
        raw = p.read_bytes()
    except OSError as exc:
        raise error(f"{p}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{p}: not UTF-8 text") from None
    try:
        return yaml.load(text, Loader=_LimitedLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise error(f"{p}: not valid YAML{where}: {clean_text(getattr(exc, 'problem', None) or exc)}") from None
    except RecursionError:
        raise error(f"{p}: nested too deeply") from None
