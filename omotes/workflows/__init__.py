"""Workflow plug-ins.

A plug-in is an object that follows :class:`omotes.workflows.base.Workflow`. Workers find plug-ins
through the ``omotes.workflows`` entry-point group (:mod:`omotes.workflows.registry`), so a new
workflow type is added by installing a package that declares one and starting a worker with its
name; the built-in ones here are declared the same way, in ``omotes/pyproject.toml``.
"""
