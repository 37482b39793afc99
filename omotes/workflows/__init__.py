"""Workflow plug-ins.

A plug-in is an object that follows :class:`omotes.workflows.base.Workflow`. Workers find plug-ins
through the ``omotes.workflows`` entry-point group, so a new workflow type is added by installing a
package that declares one and starting a worker with its name; the built-in ones are registered the
same way in :mod:`omotes.workflows.registry`.
"""
