"""The custom resources `check` reads besides the IPAM ones, each in the versions an API server
may serve it, newest first: the first one served is listed. Facts from the CRDs themselves
(cilium/cilium `pkg/k8s/apis/cilium.io/client/crds`, AKO `helm/ako/crds`)."""

from __future__ import annotations

from reconciler.ipam.model import CustomResource

_BGP_HINT = "Cilium's BGP control plane (Helm bgpControlPlane.enabled) serves it"


def _versions(
    kind: str, group: str, plural: str, hint: str, *versions: str
) -> tuple[CustomResource, ...]:
    return tuple(CustomResource(kind, group, version, plural, hint) for version in versions)


# BGP control plane v2 (Cilium 1.16 on): `spec.advertisements[].advertisementType: PodCIDR`;
# v2 is served from Cilium 1.18, v2alpha1 before it (and, deprecated, beside it).
CILIUM_BGP_ADVERTISEMENTS = _versions(
    "CiliumBGPAdvertisement", "cilium.io", "ciliumbgpadvertisements", _BGP_HINT, "v2", "v2alpha1"
)
# BGP control plane v1: `spec.virtualRouters[].exportPodCIDR: true`.
CILIUM_BGP_PEERING_POLICIES = _versions(
    "CiliumBGPPeeringPolicy", "cilium.io", "ciliumbgppeeringpolicies", _BGP_HINT, "v2alpha1"
)
# Cluster-scoped; `spec.seGroup.name` names an SE group AKO places virtual services on.
AVI_INFRA_SETTINGS = _versions(
    "AviInfraSetting",
    "ako.vmware.com",
    "aviinfrasettings",
    "AKO installs it with its Helm chart",
    "v1beta1",
    "v1alpha1",
)
CHECKED_RESOURCES = (CILIUM_BGP_ADVERTISEMENTS, CILIUM_BGP_PEERING_POLICIES, AVI_INFRA_SETTINGS)
CHECKED_KINDS = frozenset(versions[0].kind for versions in CHECKED_RESOURCES)
