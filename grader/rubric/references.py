"""Loads the trusted reference functions named in the rubric (only ever in the grader's process)."""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable


class ReferenceError_(LookupError):
    """A reference the rubric names that cannot be found."""


class References:
    """`module.function` names resolved inside one reference folder, loaded as a package."""

    def __init__(self, directory: Path):
        self.directory = directory.resolve()
        self.package = self._load_package()

    def _load_package(self) -> str:
        name = self.directory.name
        loaded = sys.modules.get(name)
        if loaded is not None:
            paths = [Path(p).resolve() for p in getattr(loaded, "__path__", [])]
            if self.directory in paths:
                return name
            name = f"_reference_{abs(hash(str(self.directory))):x}"
        if not self.directory.is_dir():
            raise ReferenceError_(f"reference folder {self.directory} does not exist")
        init = self.directory / "__init__.py"
        if init.exists():
            spec = importlib.util.spec_from_file_location(
                name, init, submodule_search_locations=[str(self.directory)])
        else:  # a plain folder of modules works as well
            spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
            spec.submodule_search_locations = [str(self.directory)]
        package = importlib.util.module_from_spec(spec)
        sys.modules[name] = package
        if spec.loader is not None:
            spec.loader.exec_module(package)
        return name

    def get(self, dotted: str) -> Callable[..., Any]:
        module_name, attr = dotted.rsplit(".", 1)
        try:
            module = importlib.import_module(f"{self.package}.{module_name}")
        except ImportError as exc:
            raise ReferenceError_(f"reference module {module_name!r} not found in "
                                  f"{self.directory}: {exc}") from None
        try:
            return getattr(module, attr)
        except AttributeError:
            raise ReferenceError_(f"{module_name}.py in {self.directory} has no {attr!r}") from None
