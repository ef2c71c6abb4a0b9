"""Kernels for grading: started through jupyter_client's provisioner extension point.

:class:`GradingKernelManager` is jupyter_client's ``AsyncKernelManager`` carrying a
:class:`~from_memory.engine.launch.Launch` (folder, environment, memory limit,
sandbox, descriptors to keep, stderr file). It selects its provisioner by name
(``provisioner_name``): :class:`FreshProvisioner` (registered as
``from-memory-fresh``) starts a new process that applies the limits to itself and
then ``exec``s the kernel; the warm provisioner (``from-memory-warm``,
:mod:`from_memory.engine.warm`) forks a template that has everything imported.
nbclient and nbgrader's ``Execute`` use the manager as they would any other; its client
(:class:`GradingKernelClient`) waits for a started kernel without jupyter_client's
fixed pauses.
"""

from __future__ import annotations

import copy
import os

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Any, Type, Unicode, default

from from_memory.engine import launcher
from from_memory.engine.launch import Launch

FRESH = "from-memory-fresh"
# Seconds the client waits for an IOPub message while it checks that a started kernel is
# ready (jupyter_client waits 0.2 s, and drains IOPub until it has been quiet that long).
READY_POLL = 0.02


class GradingKernelClient(AsyncKernelClient):
    """jupyter_client's client, whose ``wait_for_ready`` polls IOPub every 0.02 s instead of 0.2 s.

    jupyter_client's ``wait_for_ready`` asks for ``kernel_info`` until the reply comes
    and an IOPub message follows it (IOPub is connected), then reads IOPub until it has
    been quiet for 0.2 s: a pause of 0.2 s or more for every kernel. The same steps run
    here, with shorter polls: what was still coming on IOPub is the kernel's status
    around those ``kernel_info`` requests, which nbclient ignores anyway (it reads only
    the messages of the request it sent).
    """

    async def _async_wait_for_ready(self, timeout=None):
        channel = self.iopub_channel
        read = channel.get_msg

        async def get_msg(timeout=None, **kwargs):
            return await read(timeout=None if timeout is None else min(timeout, READY_POLL), **kwargs)

        channel.get_msg = get_msg
        try:
            await super()._async_wait_for_ready(timeout)
        finally:
            del channel.get_msg

    wait_for_ready = _async_wait_for_ready


class GradingKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel is started as its :class:`Launch` says."""

    launch = Any(None, allow_none=True, help="the Launch of this manager's kernel")
    provisioner_name = Unicode(FRESH, help="the kernel provisioner that starts the kernel")
    client_factory = Type(klass=AsyncKernelClient)

    @default("client_factory")
    def _grading_client(self):
        return GradingKernelClient

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is None or spec.metadata.get("kernel_provisioner", {}).get("provisioner_name") == (
            self.provisioner_name
        ):
            return spec
        spec = copy.copy(spec)
        spec.metadata = {**spec.metadata,
                         "kernel_provisioner": {"provisioner_name": self.provisioner_name, "config": {}}}
        self._kernel_spec = spec
        return spec

    async def _async_pre_start_kernel(self, **kw):
        launch: Launch | None = self.launch
        if launch is not None:
            kw.setdefault("cwd", launch.cwd)
            kw["env"] = dict(launch.env)
        return await super()._async_pre_start_kernel(**kw)


def stderr_file(launch: Launch | None):
    """An open file for the kernel's stderr, or None (inherit)."""
    if launch is None or not launch.stderr:
        return None
    return open(launch.stderr, "ab")  # noqa: SIM115 - closed by the provisioner once the kernel has it


class FreshProvisioner(LocalProvisioner):
    """``LocalProvisioner`` whose kernel first limits itself (:mod:`from_memory.engine.launcher`)."""

    async def launch_kernel(self, cmd, **kwargs):
        launch: Launch | None = getattr(self.parent, "launch", None)
        if launch is None:
            return await super().launch_kernel(cmd, **kwargs)
        cmd = launcher.command(launch, cmd)
        if launch.pass_fds:
            kwargs["pass_fds"] = tuple(launch.pass_fds)
        stderr = stderr_file(launch)
        if stderr is not None:
            kwargs["stderr"] = stderr
        kwargs.setdefault("stdin", open(os.devnull, "rb"))  # noqa: SIM115 - the kernel reads no stdin
        try:
            return await super().launch_kernel(cmd, **kwargs)
        finally:
            if stderr is not None:
                stderr.close()
            kwargs["stdin"].close()
