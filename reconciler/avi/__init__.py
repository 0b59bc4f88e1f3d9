"""Adapter for the Avi Controller: the REST session and the VRF calls route-reconciler needs."""
