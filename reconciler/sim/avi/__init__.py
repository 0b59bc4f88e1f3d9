"""A local Avi Controller stand-in that speaks the REST dialect route-reconciler depends on.

Tests, the demo and benchmarks use it to exercise real HTTP: sessions with CSRF and Referer
checks, paged collections, PUT with the 412 conflict on a stale ``_last_modified``, PATCH
add/replace/delete and the controller's static-route validation (unique ``route_id``, one label).
Where the Avi VrfContext API reference marks a behaviour as unknown, the choice made here is
stated in the docstring that implements it. Faults (errors, delays, holds released by the test,
dropped connections, 412 storms, expired sessions) can be injected, and every request is logged
for assertions.

Modules: ``controller`` (the HTTP entry and ``AviSim``), ``sessions`` (login, cookies, CSRF),
``objects`` (the object store and its REST operations), ``patch`` (PATCH semantics),
``validation`` (the static-route schema and body checks), ``faults`` (injection), ``messages``
(request, reply, request record) and ``standalone`` (``route-reconciler sim avi``).
"""

from reconciler.sim.avi.controller import AviSim
from reconciler.sim.avi.messages import RequestRecord
from reconciler.sim.avi.standalone import run_standalone
from reconciler.sim.avi.validation import SimRequestError, static_route

__all__ = [
    "AviSim",
    "RequestRecord",
    "SimRequestError",
    "run_standalone",
    "static_route",
]
